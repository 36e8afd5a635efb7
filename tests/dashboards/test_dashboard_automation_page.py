"""The Automation impact page over a real published warehouse whose rule changes have data on
both sides: the changes, their diffs, verdicts in words and intervals equal the mart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from page_testkit import run_page, sql

# The verdict in words, as a reader should see it (independent of dashboards.impact).
SAID = {
    "improved": " improved: ",
    "worse": " got worse: ",
    "no detectable change": " showed no detectable change: ",
    "not enough data": ": not enough data to tell",
}
NAMES = {
    "on_time_despatch_pct": "On-time despatch",
    "touchless_pct": "Touchless orders",
    "cycle_time_to_despatch_hours": "Cycle time to despatch (mean)",
    "exceptions_per_100_orders": "Exceptions per 100 orders",
    "contacts_per_1000_orders": "Contacts per 1,000 orders",
}


def _impact(data_dir: Path):
    return sql(data_dir, """
        select rule_set, rule_version, rule_diff, effective_at, kpi, verdict, difference, ci_low, ci_high
        from marts.automation_impact order by effective_at desc, rule_set, rule_version, kpi
    """)


def test_every_change_with_its_diff_and_verdicts(real_data_dir: Path) -> None:
    at = run_page("automation")
    impact = _impact(real_data_dir)
    assert len(impact) > 0, "the built world should have rule changes with data on both sides"

    changes = impact.drop_duplicates("rule_version")
    shown = [frame.value for frame in at.dataframe if "rule_diff" in frame.value.columns][0]
    assert shown["rule_version"].tolist() == changes["rule_version"].tolist()
    assert [code.value for code in at.code] == changes["rule_diff"].tolist()
    headings = [f"{r.rule_set}: {r.rule_version}" for r in changes.itertuples()]
    assert [h.value for h in at.subheader] == headings

    bullets = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(bullets) == len(impact)
    for bullet, row in zip(bullets, impact.itertuples(), strict=True):
        assert bullet.startswith(f"- {NAMES[row.kpi]}"), bullet
        assert SAID[row.verdict] in bullet, (bullet, row.verdict)

    intervals = [frame.value for frame in at.dataframe if "ci_low" in frame.value.columns]
    assert len(intervals) == len(changes)
    for frame, version in zip(intervals, changes["rule_version"], strict=True):
        want = impact[impact["rule_version"] == version].sort_values("kpi")
        assert frame["kpi"].tolist() == want["kpi"].tolist()
        assert frame["verdict"].tolist() == want["verdict"].tolist()
        assert frame["ci_low"].tolist() == pytest.approx(want["ci_low"].tolist(), rel=1e-6)
        assert frame["ci_high"].tolist() == pytest.approx(want["ci_high"].tolist(), rel=1e-6)
    assert len(at.get("download_button")) == len(at.dataframe)


def test_date_range_before_any_change_says_what_to_do(real_data_dir: Path) -> None:
    first_change = sql(real_data_dir, "select min(effective_at)::date as d from marts.automation_impact")
    first_change = first_change["d"][0]
    first_order = sql(real_data_dir, "select min(placed_at)::date as d from marts.fct_orders")["d"][0]
    at = run_page("automation")
    before = (first_order.date(), first_change.date() - dt.timedelta(days=1))

    at.sidebar.date_input[0].set_value(before).run()

    assert not at.exception
    assert not at.code
    assert "No rule change" in at.info[0].value and "rules/" in at.info[0].value
