"""Overview KPIs per period (a day, a week) and their change against the period before.

"Today" is the last day of the selected date range (by default the newest day with orders),
because the published data is as old as the last run, not as the wall clock. Days are UTC,
as in the filters. Definitions follow ``dashboards.kpis`` and ``docs/warehouse.md``:
- exceptions per 100 orders: ``sum(exception_count) * 100 / orders``;
- contacts per 1,000 orders: ``sum(customer_contacts) * 1000 / orders`` (contacts linked to
  the orders placed in the period).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd

from dashboards.filters import OrderFilters
from dashboards.order_kpis import order_kpis_sql
from dashboards.queries import read_published

_COLUMNS = """
    orders, cycle_time_p50_hours, cycle_time_p90_hours, on_time_despatch_pct, touchless_pct,
    exceptions_per_100_orders, contacts_per_1000_orders
"""

# From the counted mart (dashboards.order_kpis), not every order in fct_orders: same figures.
PERIOD_KPIS_SQL = "select" + _COLUMNS + "from (" + order_kpis_sql() + ")"

DAILY_KPIS_SQL = (
    "select placed_on," + _COLUMNS + "from (" + order_kpis_sql(["placed_on"]) + ") order by placed_on"
)

# (column, tile label, lower is better, formatter name in dashboards.formatting)
KPI_TILES: tuple[tuple[str, str, bool, str], ...] = (
    ("orders", "Orders", False, "count"),
    ("cycle_time_p50_hours", "Cycle time p50", True, "hours"),
    ("cycle_time_p90_hours", "Cycle time p90", True, "hours"),
    ("on_time_despatch_pct", "On-time despatch", False, "percent"),
    ("touchless_pct", "Touchless", False, "percent"),
    ("exceptions_per_100_orders", "Exceptions / 100 orders", True, "rate"),
    ("contacts_per_1000_orders", "Contacts / 1,000 orders", True, "rate"),
)


@dataclass(frozen=True)
class Period:
    """An inclusive range of UTC days and the equally long range just before it."""

    name: str
    first: dt.date
    last: dt.date

    @property
    def previous(self) -> Period:
        length = (self.last - self.first).days + 1
        return Period(f"previous {self.name}", self.first - dt.timedelta(days=length),
                      self.first - dt.timedelta(days=1))


def periods(reference_day: dt.date) -> tuple[Period, Period]:
    """The reference day and the 7 days ending on it."""
    return (
        Period("day", reference_day, reference_day),
        Period("week", reference_day - dt.timedelta(days=6), reference_day),
    )


def period_kpis(filters: OrderFilters, period: Period) -> pd.Series:
    """The KPIs of the orders placed in ``period`` within the channel and warehouse filters."""
    scoped = replace(filters, placed_from=period.first, placed_to=period.last)
    return read_published(PERIOD_KPIS_SQL, scoped.params()).iloc[0]


def daily_kpis(filters: OrderFilters) -> pd.DataFrame:
    """The same KPIs per UTC placed day over the whole filter range, for the trend chart."""
    return read_published(DAILY_KPIS_SQL, filters.params())
