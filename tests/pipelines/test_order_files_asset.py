"""Order export folders in the landing area load through the Dagster asset, each with its own mapping."""

from __future__ import annotations

import shutil

import duckdb
from dagster import materialize

from orderloop.paths import PROJECT_ROOT
from pipelines.assets.order_files import order_file_lines

EXAMPLES = PROJECT_ROOT / "docs" / "examples"


def test_each_landing_subfolder_loads_with_its_mapping_and_only_new_files(data_paths):
    ebay = data_paths.order_files_landing / "ebay"
    ebay.mkdir(parents=True)
    shutil.copy(EXAMPLES / "ebay-orders.mapping.yaml", ebay / "mapping.yaml")
    shutil.copy(EXAMPLES / "ebay-orders.csv", ebay / "2026-11-03.csv")

    def run_metadata() -> dict:
        result = materialize([order_file_lines])
        assert result.success
        return result.asset_materializations_for_node("order_files__order_lines")[0].metadata

    first = run_metadata()
    assert first["rows_loaded"].value == 3 and first["rows_quarantined"].value == 4
    assert run_metadata()["rows_loaded"].value == 0, "a file is read once"
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw_order_files.order_lines").fetchone()[0] == 3
