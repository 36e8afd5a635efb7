"""SQL injection against the dashboard, and its read-only connection.

Every page is run with hostile filter values and must show exactly what it shows for the
honest part of the same choice: no extra rows, no error element, no exception. The free-text
SKU search reaches SQL as typed, so each attack string is typed into it. The connection the
pages read through refuses writes, and any file but the published one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from page_testkit import copy_published, run_page, sql

from dashboards.filters import CHANNELS_KEY, WAREHOUSES_KEY
from dashboards.pages_index import PAGES
from dashboards.queries import query_published_file

ATTACKS = (
    "' OR 1=1 --",
    "x'; DROP TABLE marts.fct_orders; --",
    "shopify') or ('1'='1",
    "%",
    "_",
    "\\",
    "$channels",
)


def shown(at) -> tuple[list[tuple[str, str]], list[list]]:
    """What a page shows: its tiles and the rows of every table."""
    return ([(m.label, m.value) for m in at.metric],
            [frame.value.astype(str).values.tolist() for frame in at.dataframe])


@pytest.mark.parametrize("module", [page.module for page in PAGES])
def test_hostile_filter_values_show_no_extra_rows_and_no_error(real_data_dir: Path, module: str) -> None:
    channel = sql(real_data_dir, "select min(channel) as c from marts.fct_orders")["c"][0]
    honest = run_page(module, state={CHANNELS_KEY: [channel]})
    hostile = run_page(module, state={CHANNELS_KEY: [channel, *ATTACKS], WAREHOUSES_KEY: list(ATTACKS)})

    assert not hostile.error, [e.value for e in hostile.error]
    assert shown(hostile) == shown(honest)
    assert any(frames for frames in shown(honest)), f"{module} showed nothing to compare"


def test_a_hostile_sku_search_matches_nothing_and_changes_nothing(real_data_dir: Path) -> None:
    orders_before = sql(real_data_dir, "select count(*) as n from marts.fct_orders")["n"][0]
    at = run_page("stock")
    for attack in ATTACKS:
        at.text_input(key="stock.sku").set_value(attack).run()
        assert not at.exception and not at.error, attack
        # The search is a literal substring: no SKU holds these characters, wildcards included.
        searched = [f for f in at.dataframe if {"safety_stock", "quantity_to_publish"} & set(f.value.columns)]
        assert not searched, f"{attack!r} matched rows"
        assert "No SKU matches" in at.info[0].value
    assert sql(real_data_dir, "select count(*) as n from marts.fct_orders")["n"][0] == orders_before


@pytest.mark.parametrize("statement", [
    "drop table marts.fct_orders",
    "delete from marts.fct_orders",
    "create table marts.scratch as select 1 as x",
    "copy marts.fct_orders to '{outside}/orders.csv'",
    "attach '{outside}/other.duckdb' as other",
    "select * from read_csv('{outside}/orders.csv')",
    "set enable_external_access = true",
])
def test_the_dashboard_connection_refuses_writes_and_other_files(
    real_data_dir: Path, data_dir: Path, tmp_path: Path, statement: str
) -> None:
    published = copy_published(real_data_dir, data_dir)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "orders.csv").write_text("order_id\nx\n")
    orders = sql(data_dir, "select count(*) as n from marts.fct_orders")["n"][0]

    with pytest.raises(duckdb.Error):
        query_published_file(published, statement.format(outside=outside))

    assert sql(data_dir, "select count(*) as n from marts.fct_orders")["n"][0] == orders
    assert sorted(p.name for p in outside.iterdir()) == ["orders.csv"]
