"""Before/after impact of each automation rule change, from ``marts.automation_impact``.

The mart compares orders whose SLA clock started in equal windows either side of the change,
with a 95% confidence interval and a verdict per KPI (docs/warehouse.md, "Automation impact").
The mart is not broken down by channel or warehouse, so only the date range applies here: it
picks the changes that took effect in it.
"""

from __future__ import annotations

import pandas as pd

from dashboards import formatting
from dashboards.queries import read_published

RULE_CHANGES_SQL = """
select
    rule_set, rule_version, effective_at, description, rule_diff, window_days,
    max(channel_mix_shift_pct) as channel_mix_shift_pct,
    bool_or(channel_mix_shifted) as channel_mix_shifted,
    count(*) filter (where verdict = 'improved') as kpis_improved,
    count(*) filter (where verdict = 'worse') as kpis_worse
from marts.automation_impact
where (cast($placed_from as date) is null or effective_at >= cast($placed_from as date))
    and (cast($placed_to as date) is null or effective_at < cast($placed_to as date) + 1)
group by all
order by effective_at desc, rule_set, rule_version
"""

IMPACT_SQL = """
select
    kpi, orders_before, orders_after,
    cast(before_value as double) as before_value, cast(after_value as double) as after_value,
    cast(difference as double) as difference, cast(ci_low as double) as ci_low,
    cast(ci_high as double) as ci_high, verdict
from marts.automation_impact
where rule_version = $rule_version
order by kpi
"""

# kpi -> (name in words, unit after a value)
KPI_NAMES = {
    "on_time_despatch_pct": ("On-time despatch", "%"),
    "touchless_pct": ("Touchless orders", "%"),
    "cycle_time_to_despatch_hours": ("Cycle time to despatch (mean)", " h"),
    "exceptions_per_100_orders": ("Exceptions per 100 orders", ""),
    "contacts_per_1000_orders": ("Contacts per 1,000 orders", ""),
}


def rule_changes(placed_from: object = None, placed_to: object = None) -> pd.DataFrame:
    """Rule changes that took effect in the range (both ends optional), newest first."""
    return read_published(RULE_CHANGES_SQL, {"placed_from": placed_from, "placed_to": placed_to})


def impact_of(rule_version: str) -> pd.DataFrame:
    """One row per KPI for the change: before, after, difference, 95% CI and verdict."""
    return read_published(IMPACT_SQL, {"rule_version": rule_version})


def _value(value: float | None, unit: str) -> str:
    return formatting.MISSING if value is None or pd.isna(value) else f"{value:,.1f}{unit}"


def verdict_sentence(row: pd.Series) -> str:
    """One KPI's result in plain words, e.g. "On-time despatch improved: 80.0% to 90.0% (...)"."""
    name, unit = KPI_NAMES.get(str(row["kpi"]), (str(row["kpi"]), ""))
    verdict = str(row["verdict"])
    if verdict == "not enough data":
        return (f"{name}: not enough data to tell ({int(row['orders_before'])} orders before, "
                f"{int(row['orders_after'])} after).")
    moved = _value(row["before_value"], unit) + " to " + _value(row["after_value"], unit)
    interval = (f"difference {row['difference']:+,.1f}, 95% interval {row['ci_low']:+,.1f} to "
                f"{row['ci_high']:+,.1f}") if not pd.isna(row["difference"]) else "no interval"
    said = {"improved": "improved", "worse": "got worse"}.get(verdict, "showed no detectable change")
    return f"{name} {said}: {moved} ({interval})."
