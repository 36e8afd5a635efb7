"""Cycle time and on-time despatch broken down by channel, warehouse, carrier and service.

The user picks a breakdown and a measure from fixed lists; each pair maps to SQL written out
here at import time from constant column names, so no user input ever becomes SQL text.
Hours of placement and weekdays are UTC, like the date filter. The breakdowns read
``marts.kpi_order_milestone_hours`` (orders counted per day, breakdown values and hours), with
exact percentiles from ``dashboards.weighted_quantiles``; the heatmap reads ``fct_orders``.
"""

from __future__ import annotations

import pandas as pd

from dashboards.distributions import weighted_box_stats_sql
from dashboards.filters import DAY_SCOPE_SQL, ORDER_SCOPE_SQL, OrderFilters
from dashboards.queries import read_published
from dashboards.weighted_quantiles import interpolated, rank_picks, ranked_sql

# Label shown -> fct_orders column.
BREAKDOWNS = {
    "Channel": "channel",
    "Warehouse": "warehouse_id",
    "Carrier": "carrier",
    "Service": "service_code",
}
MEASURES = {
    "Placed to despatched": "cycle_time_to_despatch_hours",
    "Placed to delivered": "cycle_time_to_delivery_hours",
}


# fct_orders column -> the milestone that kpi_order_milestone_hours counts its hours under.
_MILESTONES = {
    "cycle_time_to_despatch_hours": "despatch",
    "cycle_time_to_delivery_hours": "delivery",
}


def _scoped_sql(group: str, measure: str) -> str:
    # The counted mart: each (day, channel, warehouse, carrier, service, hours) once with its orders.
    return f"""
select *, coalesce(cast({group} as varchar), 'not known') as breakdown, cast(hours as double) as value
from marts.kpi_order_milestone_hours
where milestone = '{_MILESTONES[measure]}' and {DAY_SCOPE_SQL}
"""


def _breakdown_sql(group: str, measure: str) -> str:
    # The mean is a weighted sum over counted values: equal to avg() over the orders up to
    # floating-point rounding of the sum (the percentiles are exact).
    return f"""
with picks as (
    select
        breakdown,
        cast(sum(orders) as bigint) as orders,
        sum(value * orders) / sum(orders) as mean_hours,
        any_value(valued) as valued,
        {rank_picks("value", "p50", 0.5)},
        {rank_picks("value", "p90", 0.9)}
    from ({ranked_sql(_scoped_sql(group, measure), ["breakdown"], "value", "orders")})
    group by breakdown
)
select
    breakdown,
    orders,
    {interpolated("p50", 0.5)} as p50_hours,
    {interpolated("p90", 0.9)} as p90_hours,
    mean_hours
from picks
order by 1
"""


def _trend_sql(group: str, measure: str) -> str:
    return f"""
with picks as (
    select
        placed_on,
        breakdown,
        cast(sum(orders) as bigint) as orders,
        any_value(valued) as valued,
        {rank_picks("value", "p50", 0.5)},
        {rank_picks("value", "p90", 0.9)}
    from ({ranked_sql(_scoped_sql(group, measure), ["placed_on", "breakdown"], "value", "orders")})
    group by placed_on, breakdown
)
select
    placed_on,
    breakdown,
    orders,
    {interpolated("p50", 0.5)} as p50_hours,
    {interpolated("p90", 0.9)} as p90_hours
from picks
order by 1, 2
"""


_BREAKDOWN_SQL = {(g, m): _breakdown_sql(g, m) for g in BREAKDOWNS.values() for m in MEASURES.values()}
_TREND_SQL = {(g, m): _trend_sql(g, m) for g in BREAKDOWNS.values() for m in MEASURES.values()}
_BOX_SQL = {
    (g, m): weighted_box_stats_sql(_scoped_sql(g, m)) for g in BREAKDOWNS.values() for m in MEASURES.values()
}

ON_TIME_HEATMAP_SQL = (
    """
select
    isodow(placed_at) as iso_weekday,
    hour(placed_at) as placed_hour,
    count(despatched_on_time) as orders_with_verdict,
    cast(count(*) filter (where despatched_on_time) as double) * 100
        / nullif(count(despatched_on_time), 0) as on_time_despatch_pct
from marts.fct_orders
where despatched_on_time is not null and"""
    + ORDER_SCOPE_SQL
    + """
group by 1, 2
order by 1, 2
"""
)


def _key(breakdown: str, measure: str) -> tuple[str, str]:
    return BREAKDOWNS[breakdown], MEASURES[measure]


def breakdown_summary(filters: OrderFilters, breakdown: str, measure: str) -> pd.DataFrame:
    """p50, p90 and mean hours per value of the breakdown (only orders that reached the milestone)."""
    return read_published(_BREAKDOWN_SQL[_key(breakdown, measure)], filters.params())


def breakdown_trend(filters: OrderFilters, breakdown: str, measure: str) -> pd.DataFrame:
    """p50 and p90 hours per UTC placed day and value of the breakdown."""
    return read_published(_TREND_SQL[_key(breakdown, measure)], filters.params())


def breakdown_box(filters: OrderFilters, breakdown: str, measure: str) -> pd.DataFrame:
    """Quartiles and whiskers per value of the breakdown, for the distribution chart (not every order's
    hours: at 1M orders those are seconds to ship)."""
    return read_published(_BOX_SQL[_key(breakdown, measure)], filters.params())


def on_time_heatmap(filters: OrderFilters) -> pd.DataFrame:
    """On-time despatch % per ISO weekday (1 = Monday) and UTC hour of placement."""
    return read_published(ON_TIME_HEATMAP_SQL, filters.params())
