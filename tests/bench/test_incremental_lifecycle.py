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

BOOKKEEPING = ("_built_at", "_loaded_through", "_as_of_at")


def test_incremental_build_equals_a_full_rebuild(builds: Builds) -> None:
    incremental, full = builds.incremental, builds.full
    with duckdb.connect() as conn:
        conn.execute(f"attach '{incremental}' as incremental (read_only)")
        conn.execute(f"attach '{full}' as full_build (read_only)")
        tables = conn.execute("""
            select schema_name, table_name from duckdb_tables()
            where database_name = 'full_build' and schema_name in ('intermediate', 'marts')
            order by all
        """).fetchall()
        assert ("marts", "fct_orders") in tables
        differing = {}
        for schema, table in tables:
            columns = ", ".join(
                f'"{name}"' for (name,) in conn.execute(
                    "select column_name from duckdb_columns() where database_name = 'full_build'"
                    " and schema_name = ? and table_name = ? order by column_index", [schema, table],
                ).fetchall() if name not in BOOKKEEPING
            )
            only_one_side = conn.execute(f"""
                select count(*) from (
                    (select {columns} from incremental.{schema}.{table}
                     except all select {columns} from full_build.{schema}.{table})
                    union all
                    (select {columns} from full_build.{schema}.{table}
                     except all select {columns} from incremental.{schema}.{table})
                )
            """).fetchone()[0]
            if only_one_side:
                differing[f"{schema}.{table}"] = only_one_side
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
