"""Where connectors load: a dlt pipeline per source into the warehouse.

The embedded default is one DuckDB file. Another dlt destination (a server database,
a lakehouse) is a change here and in the dbt profile, not in any source.
"""

from __future__ import annotations

from pathlib import Path

import dlt
from dlt.pipeline.pipeline import Pipeline


def raw_dataset(source_name: str) -> str:
    """Schema that holds a source's raw tables, e.g. ``raw_shopify``."""
    return f"raw_{source_name}"


def warehouse_pipeline(
    source_name: str, warehouse: Path, pipelines_dir: Path, instance: str | None = None
) -> Pipeline:
    """A dlt pipeline that loads ``source_name`` into ``raw_<source_name>`` of the warehouse.

    ``instance`` names one of several pipelines of the same source (one per landing
    folder, say), each with its own incremental state.
    """
    return dlt.pipeline(
        pipeline_name=f"orderloop_{source_name}" + (f"_{instance}" if instance else ""),
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=raw_dataset(source_name),
        pipelines_dir=str(pipelines_dir),
    )
