"""Carrier performance per carrier and service: label bookings, transit, delivery failures.

- Booking attempts and failures are the orders' ``label_booked`` / ``label_booking_failed``
  events in ``marts.fct_order_events`` (orderloop's bookings); the failure reason is the
  event's ``reason`` (the carrier's rejection). An order counts as failed if any attempt was
  rejected, as in ``kpi_daily.carrier_booking_failure_pct``.
- Transit is hours from despatch to first delivery (``fct_orders``), over delivered orders
  without contradicting timestamps.
- Delivery failures are orders with a ``delivery_failed`` event, per despatched order.
A carrier is "not known" while an order has no parcel yet (e.g. its only booking was rejected).
All of it is read from marts counted per UTC placed day and the figures' values
(``marts.kpi_carrier_orders``, ``marts.kpi_carrier_booking_rejections``), not from every order
and event: the same figures, transit percentiles exact (``dashboards.weighted_quantiles``).
"""

from __future__ import annotations

import pandas as pd

from dashboards.distributions import weighted_box_stats_sql
from dashboards.filters import DAY_SCOPE_SQL, OrderFilters
from dashboards.queries import read_published
from dashboards.weighted_quantiles import interpolated, rank_picks, ranked_sql

_SCOPED = "select * from marts.kpi_carrier_orders where" + DAY_SCOPE_SQL


def _orders(condition: str) -> str:
    # Orders of the group meeting the condition (0, not null, when none), as count(*) filter gave.
    return f"cast(coalesce(sum(orders) filter (where {condition}), 0) as bigint)"


CARRIER_SUMMARY_SQL = f"""
with picks as (
    select
        coalesce(carrier, 'not known') as carrier,
        coalesce(service_code, 'not known') as service_code,
        {_orders("had_booking_attempt")} as booked,
        {_orders("had_booking_failure")} as booking_failures,
        {_orders("is_despatched")} as despatched,
        {_orders("is_delivered")} as delivered,
        {_orders("delivered_on_time")} as delivered_on_time,
        {_orders("delivered_on_time is not null")} as with_delivery_verdict,
        {_orders("had_delivery_failure")} as delivery_failures,
        {_orders("had_delivery_failure and is_despatched")} as despatched_delivery_failures,
        any_value(valued) as valued,
        {rank_picks("transit_hours", "p50", 0.5)},
        {rank_picks("transit_hours", "p90", 0.9)}
    from ({ranked_sql(_SCOPED, ["coalesce(carrier, 'not known')", "coalesce(service_code, 'not known')"],
                      "transit_hours", "orders")})
    group by 1, 2
)
select
    carrier,
    service_code,
    booked as orders_booked_by_orderloop,
    booking_failures,
    100.0 * booking_failures / nullif(booked, 0) as booking_failure_pct,
    despatched,
    delivered,
    {interpolated("p50", 0.5)} as transit_p50_hours,
    {interpolated("p90", 0.9)} as transit_p90_hours,
    100.0 * delivered_on_time / nullif(with_delivery_verdict, 0) as delivered_on_time_pct,
    delivery_failures,
    100.0 * despatched_delivery_failures / nullif(despatched, 0) as delivery_failure_pct
from picks
order by carrier, service_code
"""

BOOKING_FAILURE_REASONS_SQL = (
    """
select
    coalesce(carrier, 'not known') as carrier,
    coalesce(service_code, 'not known') as service_code,
    reason,
    cast(sum(rejections) as bigint) as rejections,
    cast(sum(orders) as bigint) as orders
from marts.kpi_carrier_booking_rejections
where"""
    + DAY_SCOPE_SQL
    + """
group by 1, 2, 3
order by rejections desc, reason, carrier, service_code
"""
)

# Quartiles and whiskers of transit hours per carrier and service (breakdown "carrier service").
TRANSIT_BOX_SQL = weighted_box_stats_sql(
    "select coalesce(carrier, 'not known') || ' ' || coalesce(service_code, 'not known') as breakdown,"
    " transit_hours as value, orders from marts.kpi_carrier_orders"
    " where transit_hours is not null and" + DAY_SCOPE_SQL
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
