"""Ingest a bench world's files into a warehouse: through dlt as orderloop does, or DuckDB direct.

``--loader dlt`` is orderloop's way: one dlt pipeline per source into ``raw_<source>`` (the
connectors' own destination helper), each raw table a resource yielding Arrow record
batches, Shopify orders merged on ``id`` as the Shopify connector merges them, nested lists
and carrier events appended. It then lands the calendar with the real calendar source and
creates the tables of the sources the world leaves empty (``empty_sources.sql``) and the
label ledger, so ``dbt build`` finds what a merchant's first run would.

``--loader duckdb`` is the ingest limit: ``create table ... as select * from read_parquet``
of the same files into a fresh file, one statement per table.

Both time each source on its own and report rows per second.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from bench.world_files import TABLES
from connectors.shopify.source import ORDER_COLUMNS

EMPTY_SOURCES = Path(__file__).resolve().parent / "empty_sources.sql"
ARROW_BATCH_ROWS = 250_000
# The Shopify connector merges orders on their id, keeping the newest by updated_at (its
# ORDER_COLUMNS hint); the rest only ever gains rows here.
MERGE_KEYS = {("shopify", "orders"): "id"}
MERGE_HINTS = {("shopify", "orders"): ("updated_at",)}
# Money objects the connector lands as JSON; the files hold them as text (dlt takes no Arrow JSON).
JSON_COLUMNS = {
    ("shopify", "orders__line_items"): "original_unit_price_set__shop_money",
    ("shopify", "orders__transactions"): "amount_set__shop_money",
}


def _files(world: Path, source: str, table: str, batch: str) -> list[Path]:
    return sorted(world.glob(f"batch={batch}/{source}/{table}.parquet"))


def _record_batches(files: list[Path]) -> Iterator[pa.RecordBatch]:
    for file in files:
        yield from pq.ParquetFile(file).iter_batches(batch_size=ARROW_BATCH_ROWS)


def _count(files: list[Path]) -> int:
    return sum(pq.ParquetFile(file).metadata.num_rows for file in files)


def load_with_dlt(world: Path, warehouse: Path, batch: str) -> dict[str, Any]:
    """Every source of the world through its own dlt pipeline; seconds and rows per source."""
    import dlt

    from connectors.calendar import calendar_source
    from connectors.destination import loader_file_format, warehouse_pipeline
    from pipelines.actions.ledger import LEDGER_DDL

    pipelines_dir = warehouse.parent / "dlt"
    report: dict[str, Any] = {"sources": {}}
    for source, tables in TABLES.items():
        resources = []
        rows = 0
        for table in tables:
            files = _files(world, source, table, batch)
            rows += _count(files)
            key = MERGE_KEYS.get((source, table))
            json_column = JSON_COLUMNS.get((source, table))
            # A copy of each hint: dlt mutates the dicts it is given.
            columns = {name: dict(ORDER_COLUMNS[name]) for name in MERGE_HINTS.get((source, table), ())}
            if json_column:
                columns[json_column] = {"data_type": "json"}
            resources.append(dlt.resource(
                _record_batches(files), name=table, primary_key=key,
                write_disposition="merge" if key else "append", columns=columns or None,
            ))
        started = time.perf_counter()
        warehouse_pipeline(source, warehouse, pipelines_dir).run(resources)
        report["sources"][source] = {"rows": rows, "seconds": time.perf_counter() - started}

    started = time.perf_counter()
    calendar = warehouse_pipeline("calendar", warehouse, pipelines_dir)
    calendar.run(calendar_source(), loader_file_format=loader_file_format(calendar))  # as a pass loads it
    report["calendar_seconds"] = time.perf_counter() - started
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(EMPTY_SOURCES.read_text())
        conn.execute(LEDGER_DDL)
    return report


def load_with_duckdb(world: Path, warehouse: Path, batch: str) -> dict[str, Any]:
    """The same files read by DuckDB itself into ``raw_<source>`` tables of a fresh file."""
    report: dict[str, Any] = {"sources": {}}
    with duckdb.connect(str(warehouse)) as conn:
        for source, tables in TABLES.items():
            started = time.perf_counter()
            rows = 0
            conn.execute(f"create schema if not exists raw_{source}")
            for table in tables:
                files = [str(file) for file in _files(world, source, table, batch)]
                conn.execute(
                    f'create table raw_{source}."{table}" as '
                    "select * from read_parquet(?, hive_partitioning = false)",
                    [files],
                )
                rows += conn.execute(f'select count(*) from raw_{source}."{table}"').fetchone()[0]
            report["sources"][source] = {"rows": rows, "seconds": time.perf_counter() - started}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--loader", choices=("dlt", "duckdb"), required=True)
    parser.add_argument("--batch", default="*", help="which batch of the world to load (default: all)")
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    args.warehouse.parent.mkdir(parents=True, exist_ok=True)
    load = load_with_dlt if args.loader == "dlt" else load_with_duckdb
    args.report.write_text(json.dumps(load(args.world, args.warehouse, args.batch)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
