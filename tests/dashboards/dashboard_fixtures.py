"""A small published warehouse with known figures (imported by the tests and conftest.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

PUBLISHED_AT = dt.datetime(2025, 3, 7, 18, 30, 0)
RUN_ID = "run-0042"

FCT_ORDERS_DDL = """
create table marts.fct_orders (
    order_id varchar, order_name varchar, channel varchar, warehouse_id varchar,
    placed_at timestamp, authorised_at timestamp, paid_at timestamp, label_booked_at timestamp,
    despatched_at timestamp, cancelled_at timestamp, status varchar, financial_status varchar,
    fulfillment_status varchar, tracking_number varchar, carrier varchar, label_booking_status varchar,
    label_failure_reason varchar, cycle_time_to_despatch_hours float, despatch_due_at timestamp,
    despatched_on_time boolean, manual_touches integer, is_touchless boolean,
    service_code varchar, delivered_at timestamp, delivered_on_time boolean,
    cycle_time_to_delivery_hours float, customer_contacts integer, exception_count integer,
    has_timestamp_conflict boolean
)
"""

FCT_ORDER_EVENTS_DDL = """
create table marts.fct_order_events (
    event_id varchar, order_id varchar, event_type varchar, occurred_at timestamp,
    source varchar, actor varchar, reason varchar, rule_version varchar
)
"""

# What dbt's kpi_order_cycle_times makes of fct_orders (orders counted per UTC placed day,
# channel, warehouse and cycle time), as the publisher would copy it.
KPI_ORDER_CYCLE_TIMES_SQL = """
create table marts.kpi_order_cycle_times as
select
    cast(placed_at as date) as placed_on, channel, warehouse_id, cycle_time_to_despatch_hours,
    cast(despatched_at as date) as despatched_on,
    count(*) as orders,
    count(despatched_at) as orders_despatched,
    count(despatched_on_time) as orders_with_despatch_verdict,
    count(case when despatched_on_time then 1 end) as orders_despatched_on_time,
    count(is_touchless) as orders_with_touchless_flag,
    count(case when is_touchless then 1 end) as orders_touchless,
    cast(coalesce(sum(exception_count), 0) as bigint) as exceptions,
    cast(coalesce(sum(customer_contacts), 0) as bigint) as customer_contacts
from marts.fct_orders
group by 1, 2, 3, 4, 5
"""

# And what dbt's kpi_order_milestone_hours makes of it (orders per milestone's hours).
KPI_ORDER_MILESTONE_HOURS_SQL = """
create table marts.kpi_order_milestone_hours as
select cast(placed_at as date) as placed_on, channel, warehouse_id, carrier, service_code, milestone,
    hours, count(*) as orders
from (
    select *, 'despatch' as milestone, cycle_time_to_despatch_hours as hours from marts.fct_orders
    union all
    select *, 'delivery' as milestone, cycle_time_to_delivery_hours as hours from marts.fct_orders
)
where hours is not null
group by 1, 2, 3, 4, 5, 6, 7
"""

# What dbt's kpi_carrier_orders and kpi_carrier_booking_rejections make of fct_orders and
# fct_order_events: a test that changes those tables in a copy recounts the marts with these.
KPI_CARRIER_MARTS_SQL = (
    """
create or replace table marts.kpi_carrier_orders as
with bookings as (
    select order_id, bool_or(event_type = 'label_booking_failed') as failed
    from marts.fct_order_events
    where event_type in ('label_booked', 'label_booking_failed')
    group by order_id
),
failed_deliveries as (
    select distinct order_id from marts.fct_order_events where event_type = 'delivery_failed'
)
select
    cast(o.placed_at as date) as placed_on, o.channel, o.warehouse_id, o.carrier, o.service_code,
    case when o.delivered_at >= o.despatched_at and not coalesce(o.has_timestamp_conflict, false)
        then date_diff('second', o.despatched_at, o.delivered_at) / 3600.0 end as transit_hours,
    b.order_id is not null as had_booking_attempt,
    coalesce(b.failed, false) as had_booking_failure,
    f.order_id is not null as had_delivery_failure,
    o.despatched_at is not null as is_despatched,
    o.delivered_at is not null as is_delivered,
    o.delivered_on_time,
    count(*) as orders
from marts.fct_orders as o
left join bookings as b on b.order_id = o.order_id
left join failed_deliveries as f on f.order_id = o.order_id
group by all
""",
    """
create or replace table marts.kpi_carrier_booking_rejections as
select
    cast(o.placed_at as date) as placed_on, o.channel, o.warehouse_id, o.carrier, o.service_code,
    coalesce(e.reason, 'no reason given') as reason,
    count(*) as rejections,
    count(distinct e.order_id) as orders
from marts.fct_order_events as e
join marts.fct_orders as o on o.order_id = e.order_id
where e.event_type = 'label_booking_failed'
group by all
""",
)

# (order_id, channel, placed_at, despatched_at, cancelled_at, status, on_time, manual_touches)
# web cycle times 6, 26, 48 h; pos 1.5, 3.5 h (no rounding ties at one decimal).
ORDERS = [
    ("W1", "web", "2025-03-03 09:00", "2025-03-03 15:00", None, "despatched", True, 0),
    ("W2", "web", "2025-03-03 10:00", "2025-03-04 12:00", None, "despatched", True, 1),
    ("W3", "web", "2025-03-04 08:00", "2025-03-06 08:00", None, "despatched", False, 0),
    ("W4", "web", "2025-03-05 11:00", None, None, "paid", False, 0),
    ("W5", "web", "2025-03-06 12:00", None, "2025-03-06 13:00", "cancelled", None, 2),
    ("P1", "pos", "2025-03-03 12:00", "2025-03-03 13:30", None, "despatched", True, 0),
    ("P2", "pos", "2025-03-05 09:00", "2025-03-05 12:30", None, "despatched", True, 0),
    ("P3", "pos", "2025-03-07 10:00", None, None, "label_booked", None, 0),
]


def _ts(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def build_published(path: Path, orders: list[tuple] = ORDERS, with_publication: bool = True) -> Path:
    """Write a published-style DuckDB file: marts.fct_orders(+events), the counted marts
    derived from it, and meta.publication."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute(FCT_ORDERS_DDL)
        conn.execute(FCT_ORDER_EVENTS_DDL)
        for order_id, channel, placed, despatched, cancelled, status, on_time, touches in orders:
            placed_at, despatched_at = _ts(placed), _ts(despatched)
            cycle = None if despatched_at is None else (despatched_at - placed_at).total_seconds() / 3600
            conn.execute(
                """
                insert into marts.fct_orders (
                    order_id, order_name, channel, warehouse_id, placed_at, despatched_at, cancelled_at,
                    status, cycle_time_to_despatch_hours, despatch_due_at, despatched_on_time,
                    manual_touches, is_touchless
                ) values (?, ?, ?, 'WH1', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    order_id,
                    f"#{order_id}",
                    channel,
                    placed_at,
                    despatched_at,
                    _ts(cancelled),
                    status,
                    cycle,
                    placed_at + dt.timedelta(days=1),
                    on_time,
                    touches,
                    touches == 0,
                ],
            )
        conn.execute(KPI_ORDER_CYCLE_TIMES_SQL)
        conn.execute(KPI_ORDER_MILESTONE_HOURS_SQL)
        for statement in KPI_CARRIER_MARTS_SQL:
            conn.execute(statement)
        if with_publication:
            conn.execute("create schema meta")
            conn.execute("create table meta.publication (published_at timestamp, run_id varchar)")
            conn.execute("insert into meta.publication values (?, ?)", [PUBLISHED_AT, RUN_ID])
    return path
