"""Resources shared by the assets: the warehouse file, dbt and dlt."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from dagster_dbt.compat import DBT_PYTHON_VERSION
from dagster_dlt import DagsterDltResource

from orderloop.paths import data_paths
from pipelines.assets.dbt_project import dbt_project


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse and its published copy; empty paths mean the data folder in force."""

    path: str = ""
    published_path: str = ""

    @property
    def warehouse_path(self) -> Path:
        return Path(self.path) if self.path else data_paths().warehouse

    @property
    def published(self) -> Path:
        return Path(self.published_path) if self.published_path else data_paths().published

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A short-lived write connection; only assets in the ``duckdb`` pool call this."""
        self.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.warehouse_path))


class DbtCoreCliResource(DbtCliResource):
    """dagster-dbt's resource for the dbt-core of orderloop's own lock, without two start-up costs
    a pass does not use.

    Before each run's first build dagster-dbt asks the executable its version (``dbt --version``)
    to tell dbt Fusion from dbt Core: a child process that imports dbt and asks pypi.org for the
    latest release (one request per package, up to 1 s each), about 1.9 s here, and a call
    beyond 127.0.0.1 at run time. The executable is the dbt-core installed beside this Python
    (``orderloop.environment`` puts it first on PATH), whose version dagster-dbt has imported. And
    for every build it opens a dbt adapter in this process (0.4 to 1.4 s), which only
    ``fetch_row_counts`` and ``fetch_column_metadata`` use; no asset calls them, and dagster-dbt
    runs without an adapter for Fusion already. Both are private hooks of dagster-dbt, pinned in
    the lock; ``tests/pipelines/test_dbt_resource.py`` fails if an upgrade renames them.
    """

    @cached_property
    def _cli_version(self) -> Any:
        # The version of the dbt-core dagster-dbt imported, a packaging Version as it expects.
        return DBT_PYTHON_VERSION

    def _initialize_dbt_core_adapter(self, args: Any) -> None:
        return None


def build_resources() -> dict[str, object]:
    return {
        "dbt": DbtCoreCliResource(project_dir=dbt_project),
        "dlt": DagsterDltResource(),
        "warehouse": WarehouseResource(),
    }
