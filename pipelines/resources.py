"""Resources shared by the assets: the warehouse file, dbt and dlt."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
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


def build_resources() -> dict[str, object]:
    return {
        "dbt": DbtCliResource(project_dir=dbt_project),
        "dlt": DagsterDltResource(),
        "warehouse": WarehouseResource(),
    }
