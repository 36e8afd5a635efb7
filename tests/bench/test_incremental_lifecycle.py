"""An incremental dbt build gives the warehouse a full rebuild would, and rebuilds only what changed.

On a bench world of 400 orders built once, these changes arrive: new orders and their
events (a second dlt batch, whose later data moves "now" past an old undespatched order's
despatch deadline), a carrier scan for an old order's parcel (a later load), a label booked
by orderloop for an old order (its own ledger, which has no load id), and a refund and a
cancellation of old orders (a later Shopify load); the world is built in conftest.py. The
incremental build must then equal ``dbt build --full-refresh`` on every intermediate table
and mart, bookkeeping columns aside, while rewriting the events of the touched orders only
and the fct_orders rows of those and the late order, and the parcels with new carrier
events, not all of them.
"""

from __future__ import annotations

import duckdb

from tests.bench.conftest import HISTORY_ORDERS, NEW_SHARE, Builds
from tests.warehouse_comparison import differing_rows

# The order KPI tables incremental by UTC placed day (macros/incremental_by_placed_day.sql).
ORDER_KPI_TABLES = ("kpi_order_cycle_times", "kpi_order_milestone_hours", "kpi_carrier_orders",
                    "kpi_carrier_booking_rejections")


def test_incremental_build_equals_a_full_rebuild(builds: Builds) -> None:
    tables, differing = differing_rows(builds.incremental, builds.full)
    assert ("marts", "fct_orders") in tables
    assert differing == {}


def test_incremental_build_rewrote_only_the_touched_orders(builds: Builds) -> None:
    incremental, touched_old, clock_order = builds.incremental, builds.touched_old, builds.clock_order
    with duckdb.connect(str(incremental), read_only=True) as conn:
        rebuilt = {order_id for (order_id,) in conn.execute("""
            select distinct order_id from intermediate.int_order_events_unioned
            where _built_at = (select max(_built_at) from intermediate.int_order_events_unioned)
        """).fetchall()}
        orders = conn.execute("select count(*) from marts.fct_orders").fetchone()[0]
        late_scans = conn.execute(
            "select count(*) from marts.fct_order_events where order_id = ? and source = 'easypost'",
            [touched_old[0]],
        ).fetchone()[0]
        label_booked = conn.execute(
            "select label_booked_at is not null from marts.fct_orders where order_id = ?", [touched_old[1]],
        ).fetchone()[0]
        refunded, cancelled = conn.execute("""
            select
                max(case when order_id = ? then financial_status end),
                max(case when order_id = ? then status end)
            from marts.fct_orders
        """, touched_old[2:4]).fetchone()
        clock_late = conn.execute(
            "select despatched_on_time from marts.fct_orders where order_id = ?", [clock_order],
        ).fetchone()[0]
        parcels, parcels_rebuilt = conn.execute("""
            select count(*), count(*) filter (
                where _built_at = (select max(_built_at) from intermediate.int_parcels_tracked)
            )
            from intermediate.int_parcels_tracked
        """).fetchone()
        orders_rebuilt = {order_id for (order_id,) in conn.execute("""
            select order_id from marts.fct_orders
            where _built_at = (select max(_built_at) from marts.fct_orders)
        """).fetchall()}
        rebuilt_days = {day for (day,) in conn.execute("""
            select distinct cast(placed_at as date) from marts.fct_orders
            where _built_at = (select max(_built_at) from marts.fct_orders)
        """).fetchall()}
        # The order KPI tables counted again the days of those orders only.
        recounted = {
            table: (
                {day for (day,) in conn.execute(f"""
                    select distinct placed_on from marts.{table}
                    where _orders_built_through = (select max(_orders_built_through) from marts.{table})
                """).fetchall()},
                conn.execute(f"select count(distinct placed_on) from marts.{table}").fetchone()[0],
            )
            for table in ORDER_KPI_TABLES
        }
    new_orders = int(HISTORY_ORDERS * NEW_SHARE)
    assert orders == HISTORY_ORDERS + new_orders
    assert set(touched_old) <= rebuilt
    assert len(rebuilt) == new_orders + len(touched_old)
    assert late_scans > 0
    assert label_booked
    assert (refunded, cancelled) == ("REFUNDED", "cancelled")
    # The clock alone made it late: its events were not rewritten, its fct_orders row was.
    assert clock_order not in rebuilt
    assert clock_late is False
    assert rebuilt | {clock_order} <= orders_rebuilt
    assert len(orders_rebuilt) < orders / 2
    assert 0 < parcels_rebuilt < parcels / 2
    for table, (days, all_days) in recounted.items():
        assert days <= rebuilt_days, table
        assert len(days) < all_days or all_days == 0, table
        # This world's bookings are never rejected; the other tables count every day's orders.
        assert days or table == "kpi_carrier_booking_rejections", table
