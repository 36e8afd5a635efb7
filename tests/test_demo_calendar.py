"""The demo merchant's calendar: go-live, the later changes, the replayed label runs on working
days only, and the rules re-dated to it (still valid, in the same order)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from orderloop.cli import main
from orderloop.demo_calendar import demo_calendar, write_demo_rules
from orderloop.rule_sets import RULES_DIR, load_rules


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_go_live_changes_and_label_runs_of_a_winter_week() -> None:
    calendar = demo_calendar(_utc(2026, 12, 4, 11), automated_days=3)

    assert calendar.go_live == _utc(2026, 12, 1)
    assert calendar.first_change == _utc(2026, 12, 2, 17)  # half of the 83 hours after go-live
    # 14:00 in London is 14:00 UTC in winter; Friday's run would come after the end.
    assert calendar.passes == (
        _utc(2026, 12, 1, 14), _utc(2026, 12, 2, 14), _utc(2026, 12, 3, 14), _utc(2026, 12, 4, 11),
    )


def test_label_runs_skip_weekends_and_english_bank_holidays_and_follow_british_summer_time() -> None:
    # Christmas Day is a Friday in 2026 and Boxing Day a Saturday, so Monday the 28th is its
    # substitute holiday: from Christmas Eve only the Eve's run and the end remain.
    christmas = demo_calendar(_utc(2026, 12, 29, 11), automated_days=5)
    assert christmas.passes == (_utc(2026, 12, 24, 14), _utc(2026, 12, 29, 11))

    summer = demo_calendar(_utc(2026, 7, 2, 18), automated_days=1)
    assert summer.passes == (_utc(2026, 7, 1, 13), _utc(2026, 7, 2, 13), _utc(2026, 7, 2, 18))


def test_automated_days_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        demo_calendar(_utc(2026, 12, 4, 11), automated_days=0)


def test_the_demo_rules_are_the_projects_re_dated_to_the_calendar(tmp_path) -> None:
    calendar = demo_calendar(_utc(2026, 12, 4, 11), automated_days=3)
    write_demo_rules(RULES_DIR, tmp_path, calendar)

    project, demo = load_rules(RULES_DIR), load_rules(tmp_path)  # both validate
    assert sorted(project) == sorted(demo)
    for name, rule_set in project.items():
        assert [v.version for v in demo[name].versions] == [v.version for v in rule_set.versions]
        assert [v.description for v in demo[name].versions] == [v.description for v in rule_set.versions]

    def at(name: str, version: str) -> datetime:
        return next(v.effective_from for v in demo[name].versions if v.version == version)

    # The automation rule sets' first versions go live; the other rule sets' first versions keep
    # their dates (people followed them by hand too); later versions keep their spacing.
    assert at("labels", "labels-v1") == at("notifications", "notifications-v1") == calendar.go_live
    assert at("routing", "routing-v1") == project["routing"].versions[0].effective_from
    assert at("labels", "labels-v2") == at("holds", "holds-v2") == calendar.first_change
    project_gap = project["holds"].versions[2].effective_from - project["holds"].versions[1].effective_from
    assert at("holds", "holds-v3") - at("holds", "holds-v2") == project_gap
    assert (tmp_path / "labels.yaml").read_text().startswith("# Written by `orderloop demo`")
    assert yaml.safe_load((tmp_path / "labels.yaml").read_text())["rule_set"] == "labels"


def test_demo_refuses_an_automated_era_as_long_as_its_history(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ORDERLOOP_DATA_DIR", str(tmp_path / "data"))
    code = main(["demo", "--days", "3", "--automated-days", "3", "--no-serve"])
    assert code == 2
    assert "--automated-days (3) must be fewer than --days (3)" in capsys.readouterr().err
    assert not (tmp_path / "data" / "sandbox" / "world.sqlite").exists()
