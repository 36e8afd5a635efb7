"""The Overview page over a real published warehouse: tiles and changes equal plain SQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from page_testkit import one_decimal, run_page, sql, table, tiles

from dashboards.filters import CHANNELS_KEY, WAREHOUSES_KEY

# Written independently of dashboards.period_kpis on purpose.
PERIOD_SQL = """
select
    count(*) as orders,
    quantile_cont(cycle_time_to_despatch_hours, 0.5) as p50,
    quantile_cont(cycle_time_to_despatch_hours, 0.9) as p90,
    100.0 * count(*) filter (where despatched_on_time) / count(despatched_on_time) as on_time,
    100.0 * count(*) filter (where is_touchless) / count(is_touchless) as touchless,
    100.0 * sum(exception_count) / count(*) as exceptions,
    1000.0 * sum(customer_contacts) / count(*) as contacts
from marts.fct_orders
where placed_at >= ?::date and placed_at < ?::date + 1
    and (? or channel in (select unnest(?::varchar[])))
    and (? or warehouse_id in (select unnest(?::varchar[])))
"""


def _last_day(data_dir: Path) -> dt.date:
    return sql(data_dir, "select max(placed_at)::date as d from marts.fct_orders")["d"].iloc[0].date()


def _period(data_dir: Path, first: dt.date, last: dt.date, channels: list[str] | None,
            warehouses: list[str] | None) -> pd.Series:
    params = [first, last, channels is None, channels or [], warehouses is None, warehouses or []]
    return sql(data_dir, PERIOD_SQL, params).iloc[0]


def _fmt(row: pd.Series) -> list[tuple[str, str]]:
    def hours(v: float) -> str:
        return "—" if pd.isna(v) else f"{v:.1f} h"

    def pct(v: float) -> str:
        return "—" if pd.isna(v) else f"{v:.1f}%"

    return [
        ("Orders", f"{int(row['orders']):,}"),
        ("Cycle time p50", hours(row["p50"])),
        ("Cycle time p90", hours(row["p90"])),
        ("On-time despatch", pct(row["on_time"])),
        ("Touchless", pct(row["touchless"])),
        ("Exceptions / 100 orders", one_decimal(row["exceptions"])),
        ("Contacts / 1,000 orders", one_decimal(row["contacts"])),
    ]


def expected(data_dir: Path, channels: list[str] | None = None,
             warehouses: list[str] | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """The 14 tiles (today, then this week) and the two Orders changes."""
    day = _last_day(data_dir)
    week_start = day - dt.timedelta(days=6)
    today = _period(data_dir, day, day, channels, warehouses)
    before = day - dt.timedelta(days=1)
    yesterday = _period(data_dir, before, before, channels, warehouses)
    week = _period(data_dir, week_start, day, channels, warehouses)
    last_week = _period(data_dir, week_start - dt.timedelta(days=7), week_start - dt.timedelta(days=1),
                        channels, warehouses)
    changes = [
        f"{int(today['orders'] - yesterday['orders']):+,}",
        f"{int(week['orders'] - last_week['orders']):+,}",
    ]
    return _fmt(today) + _fmt(week), changes


def orders_changes(at) -> list[str]:
    return [metric.delta for metric in at.metric if metric.label == "Orders"]


def test_tiles_and_changes_equal_sql(real_data_dir: Path) -> None:
    at = run_page("overview")

    want_tiles, want_changes = expected(real_data_dir)
    assert tiles(at) == want_tiles
    assert orders_changes(at) == want_changes
    assert int(want_tiles[0][1].replace(",", "")) > 0, "the built world should have orders on its last day"
    assert at.subheader[0].value.startswith("Today (")


def test_channel_filter_changes_the_figures(real_data_dir: Path) -> None:
    everything = tiles(run_page("overview"))
    at = run_page("overview")
    at.sidebar.multiselect[0].set_value(["woocommerce"]).run()

    want_tiles, want_changes = expected(real_data_dir, channels=["woocommerce"])
    assert tiles(at) == want_tiles
    assert orders_changes(at) == want_changes
    assert tiles(at) != everything
    assert at.session_state[CHANNELS_KEY] == ["woocommerce"]


def test_warehouse_filter_persists_and_changes_the_figures(real_data_dir: Path) -> None:
    at = run_page("overview", state={WAREHOUSES_KEY: ["bristol"]})

    assert at.sidebar.multiselect[1].value == ["bristol"]
    want_tiles, _ = expected(real_data_dir, warehouses=["bristol"])
    assert tiles(at) == want_tiles
    assert tiles(at) != expected(real_data_dir)[0]


def test_trend_table_has_every_placed_day(real_data_dir: Path) -> None:
    at = run_page("overview")

    daily = table(at, "placed_on")
    want = sql(real_data_dir, "select placed_at::date as d, count(*) as n from marts.fct_orders "
               "group by 1 order by 1")
    assert [d.date() for d in pd.to_datetime(daily["placed_on"])] == [d.date() for d in want["d"]]
    assert daily["orders"].tolist() == want["n"].tolist()
    assert len(at.get("plotly_chart")) == 1
