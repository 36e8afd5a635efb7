"""Where orderloop keeps its files.

Everything a run writes lives under one data folder (``data/`` in the project, or
``ORDERLOOP_DATA_DIR``), so a demo, a test and a real deployment never collide.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@dataclass(frozen=True)
class DataPaths:
    """The files and folders of one orderloop data folder."""

    root: Path

    @property
    def warehouse(self) -> Path:
        """The DuckDB file the pipeline writes (one writer at a time)."""
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        """The read-only copy dashboards and sensors read, replaced atomically after each run."""
        return self.root / "published" / "warehouse.duckdb"

    @property
    def rules(self) -> Path:
        """The rules in force for this data folder: its own ``rules/`` if it has one (the demo
        writes its merchant's there, dated to its world), else the project's ``rules/``."""
        own = self.root / "rules"
        return own if own.is_dir() else PROJECT_ROOT / "rules"

    @property
    def sandbox(self) -> Path:
        return self.root / "sandbox"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def dlt_pipelines(self) -> Path:
        """dlt's pipeline state (incremental cursors, load packages)."""
        return self.root / "dlt"

    @property
    def landing(self) -> Path:
        """Where files and webhook deliveries arrive before a source loads them."""
        return self.root / "landing"

    @property
    def warehouse_feeds_landing(self) -> Path:
        return self.landing / "3pl"

    @property
    def tracking_webhooks_landing(self) -> Path:
        return self.landing / "easypost"

    @property
    def order_files_landing(self) -> Path:
        """One subfolder per export kind, each with its mapping.yaml beside the CSV files."""
        return self.landing / "orders"

    def folders(self) -> tuple[Path, ...]:
        """Every folder a run writes in."""
        return (
            self.root, self.published.parent, self.sandbox, self.dagster_home, self.dlt_pipelines,
            self.warehouse_feeds_landing, self.tracking_webhooks_landing, self.order_files_landing,
        )

    def ensure(self) -> DataPaths:
        for folder in self.folders():
            folder.mkdir(parents=True, exist_ok=True)
        return self


def data_paths() -> DataPaths:
    """The data folder in force: ``ORDERLOOP_DATA_DIR`` or ``<project>/data``."""
    root = os.environ.get("ORDERLOOP_DATA_DIR")
    return DataPaths(Path(root).resolve() if root else PROJECT_ROOT / "data")
