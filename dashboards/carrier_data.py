"""Carrier performance per carrier and service: label bookings, transit, delivery failures.

- Booking attempts and failures are the orders' ``label_booked`` / ``label_booking_failed``
  events in ``marts.fct_order_events`` (orderloop's bookings); the failure reason is the
  event's ``reason`` (the carrier's rejection). An order counts as failed if any attempt was
  rejected, as in ``kpi_daily.carrier_booking_failure_pct``.
- Transit is hours from despatch to first delivery (``fct_orders``), over delivered orders
  without contradicting timestamps.
- Delivery failures are orders with a ``delivery_failed`` event, per despatched order.
A carrier is "not known" while an order has no parcel yet (e.g. its only booking was rejected).
"""

from __future__ import annotations

import pandas as pd

from dashboards.distributions import box_stats_sql
from dashboards.filters import ORDER_SCOPE_SQL, OrderFilters
from dashboards.queries import read_published

# Hours from despatch to first delivery, left out when the timestamps contradict each other.
_TRANSIT_HOURS = """case when delivered_at >= despatched_at and not coalesce(has_timestamp_conflict, false)
            then date_diff('second', despatched_at, delivered_at) / 3600.0 end"""

_SCOPED_ORDERS = """
with attempts as (
    select order_id, bool_or(event_type = 'label_booking_failed') as failed
    from marts.fct_order_events
    where event_type in ('label_booked', 'label_booking_failed')
    group by order_id
),
failed_deliveries as (
    select distinct order_id from marts.fct_order_events where event_type = 'delivery_failed'
),
scoped as (
    select
        coalesce(carrier, 'not known') as carrier,
        coalesce(service_code, 'not known') as service_code,
        orders.order_id,
        attempts.order_id is not null as had_booking_attempt,
        coalesce(attempts.failed, false) as had_booking_failure,
        despatched_at,
        delivered_at,
        delivered_on_time,
        """ + _TRANSIT_HOURS + """ as transit_hours,
        failed_deliveries.order_id is not null as had_delivery_failure
    from marts.fct_orders as orders
    left join attempts on attempts.order_id = orders.order_id
    left join failed_deliveries on failed_deliveries.order_id = orders.order_id
    where"""

CARRIER_SUMMARY_SQL = (
    _SCOPED_ORDERS
    + ORDER_SCOPE_SQL
    + """)
select
    carrier,
    service_code,
    count(*) filter (where had_booking_attempt) as orders_booked_by_orderloop,
    count(*) filter (where had_booking_failure) as booking_failures,
    100.0 * count(*) filter (where had_booking_failure)
        / nullif(count(*) filter (where had_booking_attempt), 0) as booking_failure_pct,
    count(despatched_at) as despatched,
    count(delivered_at) as delivered,
    quantile_cont(transit_hours, [0.5, 0.9])[1] as transit_p50_hours,
    quantile_cont(transit_hours, [0.5, 0.9])[2] as transit_p90_hours,
    100.0 * count(*) filter (where delivered_on_time) / nullif(count(delivered_on_time), 0)
        as delivered_on_time_pct,
    count(*) filter (where had_delivery_failure) as delivery_failures,
    100.0 * count(*) filter (where had_delivery_failure and despatched_at is not null)
        / nullif(count(despatched_at), 0) as delivery_failure_pct
from scoped
group by carrier, service_code
order by carrier, service_code
"""
)

BOOKING_FAILURE_REASONS_SQL = (
    """
select
    coalesce(orders.carrier, 'not known') as carrier,
    coalesce(orders.service_code, 'not known') as service_code,
    coalesce(events.reason, 'no reason given') as reason,
    count(*) as rejections,
    count(distinct events.order_id) as orders
from marts.fct_order_events as events
join marts.fct_orders as orders on orders.order_id = events.order_id
where events.event_type = 'label_booking_failed' and events.order_id in (
    select order_id from marts.fct_orders where"""
    + ORDER_SCOPE_SQL
    + """)
group by all
order by rejections desc, reason
"""
)

# Quartiles and whiskers of transit hours per carrier and service (breakdown "carrier service").
# Read from fct_orders alone: the events the summary joins play no part in transit.
TRANSIT_BOX_SQL = box_stats_sql(
    """
select * from (
    select
        coalesce(carrier, 'not known') || ' ' || coalesce(service_code, 'not known') as breakdown,
        """ + _TRANSIT_HOURS + """ as hours
    from marts.fct_orders
    where""" + ORDER_SCOPE_SQL + """
)
where hours is not null
"""
)


def carrier_summary(filters: OrderFilters) -> pd.DataFrame:
    """Per carrier and service: booking failure rate, transit p50/p90, on-time delivery, delivery failures."""
    return read_published(CARRIER_SUMMARY_SQL, filters.params())


def booking_failure_reasons(filters: OrderFilters) -> pd.DataFrame:
    """Rejected label bookings per carrier, service and the carrier's reason, most frequent first."""
    return read_published(BOOKING_FAILURE_REASONS_SQL, filters.params())


def transit_box(filters: OrderFilters) -> pd.DataFrame:
    """Transit hours' quartiles and whiskers per carrier and service, for the distribution chart."""
    return read_published(TRANSIT_BOX_SQL, filters.params())
