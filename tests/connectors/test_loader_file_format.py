"""Passes load Parquet into DuckDB (connectors/destination.py): the same tables, types and rows
as dlt's default INSERT statements, and a destination without Parquet keeps its own format."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import pytest

from connectors.destination import loader_file_format, warehouse_pipeline
from connectors.shopify import shopify_source
from connectors.woocommerce import woocommerce_source
from sandbox.world import world_path

# Between them these tables carry every kind of column a pass loads: text, decimals,
# timestamps, JSON, and WooCommerce's line prices (JSON numbers in a decimal column).
TABLES = {
    "shopify": [
        "orders", "orders__line_items", "orders__transactions", "orders__refunds", "orders__fulfillments"
    ],
    "woocommerce": ["orders", "orders__line_items", "orders__shipping_lines", "order_notes", "order_refunds"],
}
SOURCES = {"shopify": shopify_source, "woocommerce": woocommerce_source}
DLT_IDS = ("_dlt_id", "_dlt_load_id", "_dlt_parent_id", "_dlt_root_id")


def _tables(warehouse: Path, source: str) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """Each table's columns and types, and its rows without dlt's own ids (they differ by load)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        found = {}
        for table in TABLES[source]:
            columns = conn.execute(f"describe raw_{source}.{table}").fetchall()
            kept = [c[0] for c in columns if c[0] not in DLT_IDS]
            rows = conn.execute(f"select {', '.join(kept)} from raw_{source}.{table} order by all").fetchall()
            found[table] = ([(c[0], c[1]) for c in columns], rows)
        return found


def _a_line_priced_in_thirds(sandbox_dir: Path) -> int:
    """Make one WooCommerce line 3 for 10.00: its ``price`` is served as 3.3333333333333335, more
    places than a decimal column keeps (the sandbox worlds' prices otherwise divide evenly)."""
    with sqlite3.connect(world_path(sandbox_dir)) as conn:
        item_id, data_json = conn.execute(
            "select id, data_json from woo_items where item_type = 'line_item' order by id limit 1"
        ).fetchone()
        data = {**json.loads(data_json), "quantity": 3, "subtotal": "10.00", "total": "10.00"}
        conn.execute("update woo_items set data_json = ? where id = ?", [json.dumps(data), item_id])
    return item_id


@pytest.mark.parametrize("source", ["shopify", "woocommerce"])
def test_a_parquet_load_keeps_what_an_insert_load_keeps(world, sandbox_url, tmp_path, source):
    thirds = _a_line_priced_in_thirds(world.sandbox)
    inserted = warehouse_pipeline(source, tmp_path / "inserted.duckdb", tmp_path / "p1")
    assert not inserted.run(SOURCES[source]()).has_failed_jobs
    parquet = warehouse_pipeline(source, tmp_path / "parquet.duckdb", tmp_path / "p2")
    assert loader_file_format(parquet) == "parquet"
    info = parquet.run(SOURCES[source](), loader_file_format=loader_file_format(parquet))
    assert not info.has_failed_jobs
    formats = {
        job.job_file_info.file_format
        for package in info.load_packages
        for job in package.jobs["completed_jobs"]
        if job.job_file_info.table_name in TABLES[source]
    }
    assert formats - {"sql"} == {"parquet"}, "the rows as Parquet (the merge's SQL follows them)"
    left, right = _tables(tmp_path / "inserted.duckdb", source), _tables(tmp_path / "parquet.duckdb", source)
    for table in TABLES[source]:
        assert left[table][1], f"the world should have some {table}"
        assert left[table] == right[table], table
    if source == "woocommerce":
        with duckdb.connect(str(tmp_path / "parquet.duckdb"), read_only=True) as conn:
            line = "select price from raw_woocommerce.orders__line_items where id = ?"
            assert conn.execute(line, [thirds]).fetchone() == (Decimal("3.333333333"),)


def test_another_destination_keeps_its_own_format(tmp_path):
    for name, destination in [
        ("postgres", dlt.destinations.postgres("postgresql://u:p@127.0.0.1:1/db")),
        ("redshift", dlt.destinations.redshift("redshift://u:p@127.0.0.1:1/db")),
    ]:
        pipeline = dlt.pipeline(pipeline_name=name, destination=destination, pipelines_dir=str(tmp_path))
        assert loader_file_format(pipeline) is None, name
