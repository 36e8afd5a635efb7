"""The Stock page over a real published warehouse: positions, channel quantities and the last
stock push per channel equal plain SQL, and the published pushes equal the live ledger."""

from __future__ import annotations

from pathlib import Path

import duckdb
from page_testkit import run_page, sql, table, tiles

from dashboards.filters import CHANNELS_KEY, WAREHOUSES_KEY

TOTALS_SQL = """
select count(distinct sku) as skus, sum(available_to_sell) as available, sum(reserved) as reserved,
    sum(safety_stock) as safety, sum(oversold_units) as oversold, sum(backordered_units) as backordered
from marts.fct_stock_positions
where (? or warehouse_id in (select unnest(?::varchar[])))
"""


def expected_tiles(data_dir: Path, warehouses: list[str] | None = None) -> list[tuple[str, str]]:
    row = sql(data_dir, TOTALS_SQL, [warehouses is None, warehouses or []]).iloc[0]
    labels = ("SKUs", "Available to sell", "Reserved", "Safety stock", "Oversold units", "Backordered units")
    values = ("skus", "available", "reserved", "safety", "oversold", "backordered")
    return [(label, f"{int(row[value]):,}") for label, value in zip(labels, values, strict=True)]


def test_tiles_and_positions_equal_sql(real_data_dir: Path) -> None:
    at = run_page("stock")

    assert tiles(at) == expected_tiles(real_data_dir)
    positions = table(at, "safety_stock")
    want = sql(real_data_dir, "select sku, warehouse_id, available_to_sell from marts.fct_stock_positions "
                              "order by sku, warehouse_id")
    assert positions[["sku", "warehouse_id", "available_to_sell"]].values.tolist() == want.values.tolist()
    assert len(at.get("download_button")) == len(at.dataframe)


def test_warehouse_and_channel_filters_apply(real_data_dir: Path) -> None:
    at = run_page("stock", state={WAREHOUSES_KEY: ["leeds"], CHANNELS_KEY: ["woocommerce"]})

    assert tiles(at) == expected_tiles(real_data_dir, ["leeds"])
    assert tiles(at) != expected_tiles(real_data_dir)
    assert set(table(at, "safety_stock")["warehouse_id"]) == {"leeds"}
    published = table(at, "quantity_to_publish")
    want = sql(real_data_dir, "select sku, quantity_to_publish from marts.stock_to_publish "
                              "where channel = 'woocommerce' order by sku")
    assert published[["sku", "quantity_to_publish"]].values.tolist() == want.values.tolist()
    assert set(table(at, "last_push_at")["channel"]) == {"woocommerce"}


def test_sku_search_is_a_bound_filter(real_data_dir: Path) -> None:
    sku = sql(real_data_dir, "select min(sku) as s from marts.fct_stock_positions")["s"][0]
    at = run_page("stock")

    at.text_input(key="stock.sku").set_value(sku.lower()).run()
    assert set(table(at, "safety_stock")["sku"]) == {sku}
    at.text_input(key="stock.sku").set_value("x' or 1=1 --").run()
    assert not at.exception
    assert "No SKU matches" in at.info[0].value


def test_last_push_per_channel_comes_from_the_ledger(real_data_dir: Path) -> None:
    at = run_page("stock")

    shown = table(at, "last_push_at")
    # The live warehouse's ledger, read here only to prove the published mart mirrors it.
    with duckdb.connect(str(real_data_dir / "warehouse.duckdb"), read_only=True) as conn:
        ledger = conn.execute("""
            select channel, location, max(completed_at) filter (where status = 'done') as last_done,
                count(*) filter (where status = 'done') as done
            from actions.stock_pushes group by 1, 2 order by 1, 2
        """).df()
    assert len(ledger) > 0, "the run should have pushed stock"
    assert shown[["channel", "location", "pushes_done"]].values.tolist() == \
        ledger[["channel", "location", "done"]].values.tolist()
    assert shown["last_push_at"].tolist() == ledger["last_done"].tolist()
