"""Order KPIs (counts, cycle-time p50/p90, on-time, touchless, exception and contact rates) from
``marts.kpi_order_cycle_times``, grouped by any of its columns: the SQL the Overview and the
Cycle time tiles share.

The mart counts orders per UTC placed day, channel, warehouse and cycle time, so these figures
equal the same aggregates over ``fct_orders`` (percentiles exactly, by ``weighted_quantiles``)
while reading thousands of rows instead of every order. Definitions as in ``dashboards.kpis``.
"""

from __future__ import annotations

from collections.abc import Sequence

from dashboards.filters import DAY_SCOPE_SQL
from dashboards.weighted_quantiles import interpolated, rank_picks, ranked_sql

_SCOPED = (
    "select *, cast(cycle_time_to_despatch_hours as double) as hours"
    " from marts.kpi_order_cycle_times where" + DAY_SCOPE_SQL
)


def order_kpis_sql(keys: Sequence[str] = ()) -> str:
    """One row per ``keys`` group (one row in all when there are none, even with no orders in
    scope); ``keys`` are constant column names of the mart, never user input."""
    select_keys = "".join(f"{key}, " for key in keys)
    group_by = f"group by {', '.join(keys)}" if keys else ""
    return f"""
with ranked as ({ranked_sql(_SCOPED, keys, "hours", "orders")}),
picks as (
    select
        {select_keys}
        cast(coalesce(sum(orders), 0) as bigint) as orders,
        cast(coalesce(sum(orders_despatched), 0) as bigint) as despatched,
        sum(orders_despatched_on_time) as on_time,
        sum(orders_with_despatch_verdict) as with_verdict,
        sum(orders_touchless) as touchless,
        sum(orders_with_touchless_flag) as with_touchless_flag,
        coalesce(sum(exceptions), 0) as exceptions,
        coalesce(sum(customer_contacts), 0) as customer_contacts,
        any_value(valued) as valued,
        {rank_picks("hours", "p50", 0.5)},
        {rank_picks("hours", "p90", 0.9)}
    from ranked
    {group_by}
)
select
    {select_keys}
    orders,
    despatched,
    {interpolated("p50", 0.5)} as cycle_time_p50_hours,
    {interpolated("p90", 0.9)} as cycle_time_p90_hours,
    cast(on_time as double) * 100 / nullif(with_verdict, 0) as on_time_despatch_pct,
    cast(touchless as double) * 100 / nullif(with_touchless_flag, 0) as touchless_pct,
    cast(exceptions as double) * 100 / nullif(orders, 0) as exceptions_per_100_orders,
    cast(customer_contacts as double) * 1000 / nullif(orders, 0) as contacts_per_1000_orders
from picks
"""
