"""Passes load Parquet into DuckDB (connectors/destination.py): the same tables, types and rows
as dlt's default INSERT statements, and a destination without Parquet keeps its own format."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb

from connectors.destination import loader_file_format, warehouse_pipeline
from connectors.shopify import shopify_source

# Shopify's tables carry every kind of column a pass loads: text, decimals, timestamps, JSON.
TABLES = ["orders", "orders__line_items", "orders__transactions", "orders__refunds", "orders__fulfillments"]
DLT_IDS = ("_dlt_id", "_dlt_load_id", "_dlt_parent_id", "_dlt_root_id")


def _tables(warehouse: Path) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """Each table's columns and types, and its rows without dlt's own ids (they differ by load)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        found = {}
        for table in TABLES:
            columns = conn.execute(f"describe raw_shopify.{table}").fetchall()
            kept = [c[0] for c in columns if c[0] not in DLT_IDS]
            rows = conn.execute(f"select {', '.join(kept)} from raw_shopify.{table} order by all").fetchall()
            found[table] = ([(c[0], c[1]) for c in columns], rows)
        return found


def test_a_parquet_load_keeps_what_an_insert_load_keeps(world, sandbox_url, tmp_path):
    inserted = warehouse_pipeline("shopify", tmp_path / "inserted.duckdb", tmp_path / "p1")
    assert not inserted.run(shopify_source()).has_failed_jobs
    parquet = warehouse_pipeline("shopify", tmp_path / "parquet.duckdb", tmp_path / "p2")
    assert loader_file_format(parquet) == "parquet"
    info = parquet.run(shopify_source(), loader_file_format=loader_file_format(parquet))
    assert not info.has_failed_jobs
    formats = {
        job.job_file_info.file_format
        for package in info.load_packages
        for job in package.jobs["completed_jobs"]
        if job.job_file_info.table_name in TABLES
    }
    assert formats - {"sql"} == {"parquet"}, "the rows as Parquet (the merge's SQL follows them)"
    left, right = _tables(tmp_path / "inserted.duckdb"), _tables(tmp_path / "parquet.duckdb")
    for table in TABLES:
        assert left[table][1], f"the world should have some {table}"
        assert left[table] == right[table], table


def test_another_destination_keeps_its_own_format(tmp_path):
    for name, destination in [
        ("postgres", dlt.destinations.postgres("postgresql://u:p@127.0.0.1:1/db")),
        ("redshift", dlt.destinations.redshift("redshift://u:p@127.0.0.1:1/db")),
    ]:
        pipeline = dlt.pipeline(pipeline_name=name, destination=destination, pipelines_dir=str(tmp_path))
        assert loader_file_format(pipeline) is None, name
