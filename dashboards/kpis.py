"""Cycle-time KPIs: the one place their SQL lives, so the page and the tests share definitions.

Definitions (consistent with ``orderloop summary``):
- orders: orders placed in scope; despatched: those with a despatch.
- cycle time: hours placed -> despatched (``cycle_time_to_despatch_hours``), p50/p90 by
  continuous quantile over despatched orders.
- on-time despatch %: share of orders with a verdict (``despatched_on_time`` not null), i.e.
  despatched, or overdue and not despatched; cancelled and still-in-time orders are left out.
- touchless %: share of orders no person touched (``is_touchless``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboards.distributions import histogram_sql
from dashboards.filters import DAY_SCOPE_SQL, ORDER_SCOPE_SQL, OrderFilters
from dashboards.order_kpis import order_kpis_sql
from dashboards.queries import read_published
from dashboards.weighted_quantiles import interpolated, rank_picks, ranked_sql

# One row per channel plus a total row (is_total) for the whole scope; the total row always
# exists, even when no order matches. From the counted mart (dashboards.order_kpis): the same
# figures as over fct_orders, from thousands of rows instead of every order.
_KPI_COLUMNS = """
    orders, despatched, cycle_time_p50_hours, cycle_time_p90_hours, on_time_despatch_pct, touchless_pct
"""
CYCLE_TIME_KPIS_SQL = f"""
select * from (
    select false as is_total, channel, {_KPI_COLUMNS} from ({order_kpis_sql(["channel"])})
    union all
    select true as is_total, null as channel, {_KPI_COLUMNS} from ({order_kpis_sql()})
)
order by is_total desc, channel
"""

# Per UTC despatch date, from the counted mart: orders despatched with a cycle time.
_DESPATCHED_SCOPED = (
    "select *, cast(cycle_time_to_despatch_hours as double) as hours from marts.kpi_order_cycle_times"
    " where despatched_on is not null and cycle_time_to_despatch_hours is not null and" + DAY_SCOPE_SQL
)
DAILY_CYCLE_TIME_SQL = f"""
with picks as (
    select
        despatched_on,
        cast(sum(orders) as bigint) as despatched,
        sum(orders_despatched_on_time) as on_time,
        sum(orders_with_despatch_verdict) as with_verdict,
        any_value(valued) as valued,
        {rank_picks("hours", "p50", 0.5)},
        {rank_picks("hours", "p90", 0.9)}
    from ({ranked_sql(_DESPATCHED_SCOPED, ["despatched_on"], "hours", "orders")})
    group by despatched_on
)
select
    despatched_on as despatch_date,
    despatched,
    {interpolated("p50", 0.5)} as cycle_time_p50_hours,
    {interpolated("p90", 0.9)} as cycle_time_p90_hours,
    cast(on_time as double) * 100 / nullif(with_verdict, 0) as on_time_despatch_pct
from picks
order by despatch_date
"""

DESPATCHED_ORDERS_SQL = (
    """
select
    order_name,
    order_id,
    channel,
    warehouse_id,
    placed_at,
    despatched_at,
    cast(cycle_time_to_despatch_hours as double) as cycle_time_to_despatch_hours,
    despatched_on_time,
    manual_touches
from marts.fct_orders
where cycle_time_to_despatch_hours is not null and"""
    + ORDER_SCOPE_SQL
    + """
order by cycle_time_to_despatch_hours desc, order_id
"""
)

# The histogram of the same orders as DESPATCHED_ORDERS_SQL, binned in the database from the
# counted mart (each cycle time with how many orders have it).
CYCLE_TIME_HISTOGRAM_SQL = histogram_sql(
    "select cast(cycle_time_to_despatch_hours as double) as hours, orders as weight"
    " from marts.kpi_order_cycle_times where cycle_time_to_despatch_hours is not null and" + DAY_SCOPE_SQL
)


@dataclass(frozen=True)
class CycleTimeKpis:
    """The headline tiles for one scope of orders."""

    orders: int
    despatched: int
    cycle_time_p50_hours: float | None
    cycle_time_p90_hours: float | None
    on_time_despatch_pct: float | None
    touchless_pct: float | None


def _float_or_none(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def cycle_time_kpis_by_channel(filters: OrderFilters) -> pd.DataFrame:
    """KPIs per channel, total row first (``is_total``), straight from ``CYCLE_TIME_KPIS_SQL``."""
    return read_published(CYCLE_TIME_KPIS_SQL, filters.params())


def cycle_time_kpis(filters: OrderFilters) -> CycleTimeKpis:
    """The total row of ``CYCLE_TIME_KPIS_SQL`` as typed figures (shares the cached query)."""
    frame = cycle_time_kpis_by_channel(filters)
    total = frame[frame["is_total"]].iloc[0]
    return CycleTimeKpis(
        orders=int(total["orders"]),
        despatched=int(total["despatched"]),
        cycle_time_p50_hours=_float_or_none(total["cycle_time_p50_hours"]),
        cycle_time_p90_hours=_float_or_none(total["cycle_time_p90_hours"]),
        on_time_despatch_pct=_float_or_none(total["on_time_despatch_pct"]),
        touchless_pct=_float_or_none(total["touchless_pct"]),
    )


def daily_cycle_time(filters: OrderFilters) -> pd.DataFrame:
    """Cycle-time p50/p90 and on-time share per UTC despatch date, for the trend chart."""
    return read_published(DAILY_CYCLE_TIME_SQL, filters.params())


def cycle_time_histogram(filters: OrderFilters) -> pd.DataFrame:
    """Despatched orders in scope per bin of cycle time (bin_start, bin_end, orders)."""
    return read_published(CYCLE_TIME_HISTOGRAM_SQL, filters.params())


def despatched_orders(filters: OrderFilters) -> pd.DataFrame:
    """Every despatched order in scope with its cycle time, slowest first (the drill-down, loaded
    only when asked for: at 1M orders the rows and their CSV take seconds)."""
    return read_published(DESPATCHED_ORDERS_SQL, filters.params())
