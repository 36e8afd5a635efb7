"""An incremental dbt build gives the warehouse a full rebuild would, and rebuilds only what changed.

On a bench world of 400 orders built once, three kinds of change arrive: new orders and their
events (a second dlt batch), a carrier scan for an old order's parcel (a later load), and a
label booked by orderloop for an old order (its own ledger, which has no load id). The
incremental build must then equal ``dbt build --full-refresh`` on every intermediate table
and mart, bookkeeping columns aside, while rewriting the events of the touched orders only.
dbt runs in a child process, as the bench runs it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from bench.child_process import run_stage
from bench.world_files import add_new_orders, write_world

HISTORY_ORDERS = 400
NEW_SHARE = 0.05
# Later than the bench world's own load ids ("1700000000.000001" for batch 0, then 1).
LATE_LOAD_ID = "1700000009.000001"
BOOKKEEPING = ("_built_at", "_loaded_through")


def _dbt(warehouse: Path, *extra: str) -> None:
    run_stage("bench.transform", ["--warehouse", str(warehouse), "--step", "dbt", *extra])


def _late_changes(warehouse: Path) -> list[str]:
    """A later carrier scan for one old order and a booked label for another; their order ids."""
    with duckdb.connect(str(warehouse)) as conn:
        scanned, tracking = conn.execute("""
            select parcels.order_id, parcels.tracking_number
            from intermediate.int_order_parcels as parcels
            order by parcels.order_id limit 1
        """).fetchone()
        conn.execute(f"""
            insert into raw_easypost.tracker_events
            select * replace (
                id || '-late' as id, created_at + interval 1 day as created_at,
                '{LATE_LOAD_ID}' as _dlt_load_id, _dlt_id || '-late' as _dlt_id
            )
            from raw_easypost.tracker_events
            where tracking_code = '{tracking}'
            order by created_at desc limit 1
        """)
        booked, name, booked_tracking, despatched_at = conn.execute(f"""
            select orders.order_id, orders.order_name, parcels.tracking_number, orders.despatched_at
            from marts.fct_orders as orders
            inner join intermediate.int_order_parcels as parcels on parcels.order_id = orders.order_id
            where orders.despatched_at is not null and orders.order_id <> '{scanned}'
            order by orders.order_id limit 1
        """).fetchone()
        conn.execute("""
            insert into actions.label_bookings (
                idempotency_key, order_id, order_reference, address_fingerprint, status,
                attempted_at, completed_at, tracking_number, rule_version
            ) values ('late-booking', ?, ?, 'fingerprint', 'booked', ?, ?, ?, 'labels-v1')
        """, [booked, name, despatched_at, despatched_at, booked_tracking])
    return [scanned, booked]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    folder = tmp_path_factory.mktemp("incremental")
    world, incremental = folder / "world", folder / "incremental" / "warehouse.duckdb"
    write_world(world, HISTORY_ORDERS)
    run_stage("bench.ingest", ["--world", str(world), "--warehouse", str(incremental), "--loader", "dlt",
                               "--batch", "000"])
    _dbt(incremental)
    add_new_orders(world, HISTORY_ORDERS, NEW_SHARE)
    run_stage("bench.ingest", ["--world", str(world), "--warehouse", str(incremental), "--loader", "dlt",
                               "--batch", "001"])
    touched_old = _late_changes(incremental)
    _dbt(incremental)
    full = folder / "full" / "warehouse.duckdb"
    shutil.copytree(incremental.parent, full.parent)
    _dbt(full, "--full-refresh")
    return incremental, full, touched_old


def test_incremental_build_equals_a_full_rebuild(builds: tuple[Path, Path, list[str]]) -> None:
    incremental, full, _ = builds
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


def test_incremental_build_rewrote_only_the_touched_orders(builds: tuple[Path, Path, list[str]]) -> None:
    incremental, _, touched_old = builds
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
    new_orders = int(HISTORY_ORDERS * NEW_SHARE)
    assert orders == HISTORY_ORDERS + new_orders
    assert set(touched_old) <= rebuilt
    assert len(rebuilt) == new_orders + len(touched_old)
    assert late_scans > 0
    assert label_booked
