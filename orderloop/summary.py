"""The short KPI summary printed after a pass, read from the published marts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

SUMMARY_SQL = """
select
    count(*) as orders,
    count(paid_at) as paid,
    count(cancelled_at) as cancelled,
    count(despatched_at) as despatched,
    count(*) filter (where label_booking_status = 'booked') as labels_booked_by_orderloop,
    count(*) filter (where label_booking_status = 'failed') as label_bookings_rejected,
    count(*) filter (where status = 'label_booked') as awaiting_collection,
    quantile_cont(cycle_time_to_despatch_hours, 0.5) as cycle_time_p50_hours,
    quantile_cont(cycle_time_to_despatch_hours, 0.9) as cycle_time_p90_hours,
    avg(case when despatched_on_time then 1.0 when despatched_on_time = false then 0.0 end) as on_time_share,
    count(delivered_at) as delivered,
    avg(case when delivered_on_time then 1.0 when delivered_on_time = false then 0.0 end)
        as delivered_on_time_share,
    avg(case when despatched_at is not null then case when is_touchless then 1.0 else 0.0 end end)
        as touchless_share,
    sum(exception_count) * 100.0 / nullif(count(*), 0) as exceptions_per_100_orders,
    sum(customer_contacts) * 1000.0 / nullif(count(*), 0) as contacts_per_1000_orders,
    (select count(*) from marts.exception_queue) as open_exceptions
from marts.fct_orders
"""


def kpi_summary(published: Path) -> dict[str, Any]:
    """Headline figures of the published warehouse."""
    with duckdb.connect(str(published), read_only=True) as conn:
        cursor = conn.execute(SUMMARY_SQL)
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def format_summary(kpis: dict[str, Any]) -> str:
    def hours(value: Any) -> str:
        return "n/a" if value is None else f"{value:.1f} h"

    def share(value: Any) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    def rate(value: Any) -> str:
        return "n/a" if value is None else f"{value:.1f}"

    return "\n".join(
        [
            "orderloop KPI summary",
            f"  orders                      {kpis['orders']}",
            f"  paid / cancelled            {kpis['paid']} / {kpis['cancelled']}",
            f"  despatched                  {kpis['despatched']}",
            f"  labels booked by orderloop  {kpis['labels_booked_by_orderloop']}"
            f" (awaiting collection: {kpis['awaiting_collection']})",
            f"  label bookings rejected     {kpis['label_bookings_rejected']}",
            f"  cycle time p50 / p90        {hours(kpis['cycle_time_p50_hours'])}"
            f" / {hours(kpis['cycle_time_p90_hours'])}",
            f"  despatched on time          {share(kpis['on_time_share'])}",
            f"  delivered / on time         {kpis['delivered']} / {share(kpis['delivered_on_time_share'])}",
            f"  touchless (of despatched)   {share(kpis['touchless_share'])}",
            f"  exceptions per 100 orders   {rate(kpis['exceptions_per_100_orders'])}"
            f" (open now: {kpis['open_exceptions']})",
            f"  contacts per 1,000 orders   {rate(kpis['contacts_per_1000_orders'])}",
        ]
    )
