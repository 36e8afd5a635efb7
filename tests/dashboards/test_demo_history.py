"""The demo world's history as the dashboards' built world has it: people despatched by hand until
go-live, orderloop's replayed passes booked every label after it under the version then in force,
and the impact page's first change measures that difference."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from page_testkit import sql

from orderloop.demo_calendar import demo_calendar
from orderloop.rule_sets import load_rules
from tests.conftest import REAL_WORLD_AUTOMATED_DAYS, REAL_WORLD_NOW


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def _effective(data_dir: Path, rule_set: str, version: str) -> datetime:
    versions = load_rules(data_dir / "rules")[rule_set].versions
    return _naive(next(v.effective_from for v in versions if v.version == version))


def test_people_booked_before_go_live_and_orderloop_after_it(real_data_dir: Path) -> None:
    go_live = _effective(real_data_dir, "labels", "labels-v1")
    with sqlite3.connect(real_data_dir / "sandbox" / "world.sqlite") as world:
        eras = dict(world.execute(
            "select source, min(created_on) || ' ' || max(created_on) from bookings group by source"
        ).fetchall())
    manual_first, manual_last = (_naive(datetime.fromisoformat(t)) for t in eras["manual"].split(" "))
    api_first, _ = (_naive(datetime.fromisoformat(t)) for t in eras["api"].split(" "))
    assert manual_first < manual_last < go_live <= api_first


def test_each_label_was_decided_at_a_replayed_pass_under_the_version_in_force(real_data_dir: Path) -> None:
    calendar = demo_calendar(REAL_WORLD_NOW, REAL_WORLD_AUTOMATED_DAYS)
    passes = {_naive(at) for at in calendar.passes}
    v2_from = _effective(real_data_dir, "labels", "labels-v2")
    with duckdb.connect(str(real_data_dir / "warehouse.duckdb"), read_only=True) as conn:
        decisions = conn.execute(
            "select attempted_at, rule_version, count(*) from actions.label_bookings group by all"
        ).fetchall()
    assert {version for _, version, _ in decisions} == {"labels-v1", "labels-v2"}
    for attempted_at, version, _ in decisions:
        assert attempted_at in passes, attempted_at
        assert version == ("labels-v2" if attempted_at >= v2_from else "labels-v1"), (attempted_at, version)


def test_go_live_shows_the_difference_between_despatching_by_hand_and_orderloop(real_data_dir: Path) -> None:
    impact = sql(real_data_dir, """
        select kpi, before_value, after_value, verdict from marts.automation_impact
        where rule_version = 'labels-v1'
    """).set_index("kpi")
    # Orders placed before go-live but not yet despatched by hand were handed to orderloop, so
    # the before window is not all manual; the difference shows all the same.
    for kpi in ("touchless_pct", "on_time_despatch_pct", "cycle_time_to_despatch_hours"):
        assert impact.loc[kpi, "verdict"] == "improved", impact.loc[kpi].to_dict()
