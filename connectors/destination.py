"""Where connectors load: a dlt pipeline per source into the warehouse.

The embedded default is one DuckDB file. Another dlt destination (a server database,
a lakehouse) is a change here and in the dbt profile, not in any source.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dlt
from dlt.common.destination import TLoaderFileFormat
from dlt.common.pipeline import LoadInfo
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.pipeline import Pipeline

# Exported by orderloop/environment.py for every command; connectors only read it.
MEMORY_LIMIT_VAR = "ORDERLOOP_DUCKDB_MEMORY_LIMIT"


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
    with _one_creator_at_a_time(pipelines_dir):
        return dlt.pipeline(
            pipeline_name=f"orderloop_{source_name}" + (f"_{instance}" if instance else ""),
            destination=dlt.destinations.duckdb(warehouse_credentials(warehouse)),
            dataset_name=raw_dataset(source_name),
            pipelines_dir=str(pipelines_dir),
        )


@contextmanager
def _one_creator_at_a_time(pipelines_dir: Path) -> Iterator[None]:
    """dlt creates a new pipeline's working folder by wiping it, creating it (refusing one that
    exists) and writing its state, with no lock: two processes opening the same new pipeline at
    once (a Dagster code server and a run, or two test workers importing the definitions) fail
    with FileExistsError or lose the folder under each other. An advisory lock (POSIX, as the
    landing area's fsyncs are) makes the second open the folder the first created."""
    pipelines_dir.mkdir(parents=True, exist_ok=True)
    with open(pipelines_dir / ".opening.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# DuckDB-only: DuckDB reads Parquet natively. Other destinations keep dlt's preference.
PARQUET_DESTINATIONS = frozenset({"duckdb", "motherduck"})


def loader_file_format(pipeline: Pipeline) -> TLoaderFileFormat | None:
    """Parquet for DuckDB, else the destination's own preference (None).

    dlt's default for DuckDB is INSERT statements, every value escaped into SQL text: loading
    55,000 tracker events and details took 8.5 s that way and 3.5 s as Parquet, the same
    tables and types (docs/PERFORMANCE.md step 31). Elsewhere Parquet may need extra drivers
    (Postgres loads it through ADBC), so the warehouse stays swappable by changing nothing.
    """
    kind = pipeline.destination.destination_type.rsplit(".", 1)[-1]
    return "parquet" if kind in PARQUET_DESTINATIONS else None


def warehouse_credentials(warehouse: Path) -> DuckDbCredentials:
    """The warehouse file, loaded under the memory budget every orderloop command exports
    (``ORDERLOOP_DUCKDB_MEMORY_LIMIT``, orderloop/warehouse_memory.py) when one is set: dlt's
    connection otherwise takes DuckDB's default, 80% of the machine (12 GiB merging 10M orders)."""
    budget = os.environ.get(MEMORY_LIMIT_VAR, "").strip()
    return DuckDbCredentials(str(warehouse), global_config={"memory_limit": budget} if budget else None)


def load_pending_packages(pipeline: Pipeline) -> LoadInfo | None:
    """Load what a killed run extracted but never loaded; call it before running a source.

    Given a pending package, ``pipeline.run(source)`` loads it and returns without extracting
    ``source``, so new data would arrive a run late. Afterwards the state is synced from the
    warehouse, which now holds the cursor the package carried: a run killed just after
    committing its extract may not have saved that cursor locally.
    """
    if not pipeline.has_pending_data:
        return None
    info = pipeline.run()  # no data: normalize and load the pending packages only
    pipeline.sync_destination()
    return info
