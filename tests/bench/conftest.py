"""A small bench world built by dbt once, then changed and built incrementally, for the dbt
tests of this folder (a full rebuild of it for comparison)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from bench.child_process import run_stage
from bench.world_files import add_new_orders, write_world

HISTORY_ORDERS = 400
NEW_SHARE = 0.05
# Later than the bench world's own load ids ("1700000000.000001" for batch 0, then 1).
LATE_LOAD_ID = "1700000009.000001"


@dataclass(frozen=True)
class Builds:
    """The incremental warehouse, its full rebuild and the old orders changed after the first build."""

    incremental: Path
    full: Path
    touched_old: list[str]
    clock_order: str


def dbt_build(warehouse: Path, *extra: str) -> None:
    """The bench's ``dbt build`` (as a pass builds) in a child process."""
    run_stage("bench.transform", ["--warehouse", str(warehouse), "--step", "dbt", *extra])


def _add_cutoff_rules(warehouse: Path) -> None:
    """Cut-off rules (14:00, collected at 16:00, as rules/cutoffs.yaml writes them), so orders
    have despatch deadlines and on-time flags that the clock can change."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create schema if not exists rules")
        conn.execute("""
            create table rules.cutoffs as
            select
                'cutoffs-v1' as rule_version,
                timestamp '2020-01-01 00:00:00' as effective_from,
                cast(null as timestamp) as effective_to,
                warehouse_id,
                service_code,
                840 as despatch_cutoff_minutes,
                960 as collection_minutes
            from (values ('leeds'), ('bristol')) as warehouses (warehouse_id)
            cross join (values ('TPN24'), ('TPN48')) as services (service_code)
        """)


def _late_changes(warehouse: Path) -> tuple[list[str], str]:
    """Changes to old orders after their first build: a later carrier scan for one, a booked
    label for another, a financial status and a cancellation arriving in a later Shopify
    load, and routing and calendar changes (_late_reference_changes). Returns the order ids whose source rows
    changed, and the old undespatched order that the new batch's later data (int_data_as_of)
    makes late with no change of its own."""
    with duckdb.connect(str(warehouse)) as conn:
        clock_order = conn.execute("""
            select order_id from marts.fct_orders
            where despatched_at is null and cancelled_at is null and status <> 'cancelled'
                and despatch_due_at > _as_of_at
            order by despatch_due_at desc, order_id limit 1
        """).fetchone()[0]
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
        refunded = conn.execute(f"""
            select order_id from marts.fct_orders
            where status = 'delivered' and order_id not in ('{scanned}', '{booked}')
            order by order_id limit 1
        """).fetchone()[0]
        cancelled = conn.execute(f"""
            select order_id from marts.fct_orders
            where despatched_at is null and cancelled_at is null and status <> 'cancelled'
                and order_id not in ('{clock_order}', '{scanned}', '{booked}')
            order by order_id limit 1
        """).fetchone()[0]
        # dlt merges Shopify orders on id: the row is replaced and carries the later load's id.
        conn.execute(f"""
            update raw_shopify.orders
            set display_financial_status = 'REFUNDED', updated_at = updated_at + interval 1 day,
                _dlt_load_id = '{LATE_LOAD_ID}'
            where id = '{refunded}'
        """)
        conn.execute(f"""
            update raw_shopify.orders
            set cancelled_at = updated_at + interval 2 hour, cancel_reason = 'CUSTOMER',
                display_financial_status = 'VOIDED', updated_at = updated_at + interval 2 hour,
                _dlt_load_id = '{LATE_LOAD_ID}'
            where id = '{cancelled}'
        """)
        _late_reference_changes(conn, exclude=[clock_order, scanned, booked, refunded, cancelled])
    return [scanned, booked, refunded, cancelled], clock_order


def _late_reference_changes(conn: duckdb.DuckDBPyConnection, exclude: list[str]) -> None:
    """Inputs without a load id that change old orders' rows after their first build: the
    routing ledger allocates one (it first appears now), and a public holiday declared on
    another's despatch due day moves its deadline (int_orders_despatch_due)."""
    excluded = ", ".join(f"'{order_id}'" for order_id in exclude)
    # Two orders due on different days, so the holiday leaves the allocated order's row alone.
    allocated, due_moved = conn.execute(f"""
        with candidates as (
            select orders.order_id, due.due_local_date
            from marts.fct_orders as orders
            inner join intermediate.int_orders_despatch_due as due on due.order_id = orders.order_id
            where orders.status = 'delivered' and orders.order_id not in ({excluded})
        )
        select first.order_id, other.order_id
        from candidates as first, candidates as other
        where other.due_local_date > first.due_local_date + 7
        order by first.order_id, other.order_id limit 1
    """).fetchone()
    conn.execute("create schema if not exists routing")
    conn.execute(f"""
        create table routing.first_allocations as
        select order_id, placed_at + interval 1 hour as allocated_at, 'leeds' as warehouse_ids
        from marts.fct_orders where order_id = '{allocated}'
    """)
    conn.execute(f"""
        insert into raw_calendar.public_holidays (region, holiday_date, holiday_name, _dlt_load_id, _dlt_id)
        select 'GB-ENG', due.due_local_date, 'Declared late', '{LATE_LOAD_ID}', 'declared-late'
        from intermediate.int_orders_despatch_due as due
        where due.order_id = '{due_moved}'
    """)


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """400 orders built (with cut-off rules, so they have deadlines); then new orders (a second
    dlt batch, whose later data makes an old undespatched order late), a later carrier scan for
    an old parcel (a later load), a label booked for an old order (orderloop's ledger, no load
    id), a refund and a cancellation of old orders (a later Shopify load) and routing
    and calendar changes for old orders (no load id their rows follow), built incrementally; and a copy
    of that rebuilt with ``--full-refresh``."""
    folder = tmp_path_factory.mktemp("incremental")
    world, incremental = folder / "world", folder / "incremental" / "warehouse.duckdb"
    write_world(world, HISTORY_ORDERS)
    run_stage("bench.ingest", ["--world", str(world), "--warehouse", str(incremental), "--loader", "dlt",
                               "--batch", "000"])
    _add_cutoff_rules(incremental)
    dbt_build(incremental)
    add_new_orders(world, HISTORY_ORDERS, NEW_SHARE)
    run_stage("bench.ingest", ["--world", str(world), "--warehouse", str(incremental), "--loader", "dlt",
                               "--batch", "001"])
    touched_old, clock_order = _late_changes(incremental)
    dbt_build(incremental)
    full = folder / "full" / "warehouse.duckdb"
    shutil.copytree(incremental.parent, full.parent)
    dbt_build(full, "--full-refresh")
    return Builds(incremental, full, touched_old, clock_order)
