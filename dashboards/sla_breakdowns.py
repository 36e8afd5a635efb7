"""Cycle time and on-time despatch broken down by channel, warehouse, carrier and service.

The user picks a breakdown and a measure from fixed lists; each pair maps to SQL written out
here at import time from constant column names, so no user input ever becomes SQL text.
Hours of placement and weekdays are UTC, like the date filter.
"""

from __future__ import annotations

import pandas as pd

from dashboards.distributions import box_stats_sql
from dashboards.filters import ORDER_SCOPE_SQL, OrderFilters
from dashboards.queries import read_published

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


def _breakdown_sql(group: str, measure: str) -> str:
    return f"""
select
    coalesce(cast({group} as varchar), 'not known') as breakdown,
    count(*) as orders,
    quantile_cont(cast({measure} as double), [0.5, 0.9])[1] as p50_hours,
    quantile_cont(cast({measure} as double), [0.5, 0.9])[2] as p90_hours,
    avg(cast({measure} as double)) as mean_hours
from marts.fct_orders
where {measure} is not null and {ORDER_SCOPE_SQL}
group by 1
order by 1
"""


def _trend_sql(group: str, measure: str) -> str:
    return f"""
select
    cast(placed_at as date) as placed_on,
    coalesce(cast({group} as varchar), 'not known') as breakdown,
    count(*) as orders,
    quantile_cont(cast({measure} as double), [0.5, 0.9])[1] as p50_hours,
    quantile_cont(cast({measure} as double), [0.5, 0.9])[2] as p90_hours
from marts.fct_orders
where {measure} is not null and {ORDER_SCOPE_SQL}
group by 1, 2
order by 1, 2
"""


def _values_sql(group: str, measure: str) -> str:
    return f"""
select coalesce(cast({group} as varchar), 'not known') as breakdown, cast({measure} as double) as hours
from marts.fct_orders
where {measure} is not null and {ORDER_SCOPE_SQL}
"""


_BREAKDOWN_SQL = {(g, m): _breakdown_sql(g, m) for g in BREAKDOWNS.values() for m in MEASURES.values()}
_TREND_SQL = {(g, m): _trend_sql(g, m) for g in BREAKDOWNS.values() for m in MEASURES.values()}
_BOX_SQL = {(g, m): box_stats_sql(_values_sql(g, m)) for g in BREAKDOWNS.values() for m in MEASURES.values()}

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
