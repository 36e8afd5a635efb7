"""The demo merchant's calendar: when people stopped despatching by hand, when the later rule
changes took effect, and when orderloop's passes ran in between.

A demo world is built to end now, so the project's rules (dated for a real calendar) would not
fall inside its history. The demo therefore writes its merchant's own copy of the rules into its
data folder (``DataPaths.rules``), re-dated to its world: the first version of each automation
rule set (``AUTOMATION_RULE_SETS``) takes effect at ``go_live``; every later version of any rule
set keeps its place and spacing from ``first_change`` on; the first versions of the other rule
sets (routing, cut-offs, ...) keep their dates, since people followed them by hand too. Before
``go_live`` the sandbox merchant despatches by hand; from it, orderloop books the labels, so the
automation impact page compares two real ways of working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml

# Rule sets whose first version switches an automation on; before it, a person did the job.
AUTOMATION_RULE_SETS = ("labels", "notifications")

# The replayed history's label runs: working days at 14:00 in the warehouses' time, before the
# 14:00-15:00 cut-offs' collections. The live loop runs every two minutes instead.
LONDON = ZoneInfo("Europe/London")
LABEL_RUN_AT = time(14, 0)

GENERATED_HEADER = (
    "# Written by `orderloop demo` from the project's {name}, re-dated to this demo world's\n"
    "# calendar (orderloop/demo_calendar.py): automation went live {go_live}, later changes\n"
    "# from {first_change}. Edit the project's rules, not this copy.\n"
)


@dataclass(frozen=True)
class DemoCalendar:
    """When the demo world's history changed hands, and the passes that replay it."""

    end: datetime
    go_live: datetime
    first_change: datetime
    passes: tuple[datetime, ...]


def _working_day(day: Any) -> bool:
    return day.weekday() < 5 and day not in holidays.country_holidays("GB", subdiv="ENG", years=day.year)


def demo_calendar(end: datetime, automated_days: int) -> DemoCalendar:
    """The calendar of a demo ending at ``end`` (aware) whose automation went live at midnight UTC
    ``automated_days`` days before; the later changes take effect half-way between."""
    if automated_days < 1:
        raise ValueError("automated_days must be at least 1")
    end = end.astimezone(UTC)
    go_live = datetime.combine((end - timedelta(days=automated_days)).date(), time(0), tzinfo=UTC)
    half = (end - go_live) / 2
    first_change = go_live + timedelta(hours=int(half.total_seconds() // 3600))
    passes = []
    day = go_live.astimezone(LONDON).date()
    while day <= end.astimezone(LONDON).date():
        at = datetime.combine(day, LABEL_RUN_AT, tzinfo=LONDON).astimezone(UTC)
        if go_live < at < end and _working_day(day):
            passes.append(at)
        day += timedelta(days=1)
    return DemoCalendar(end=end, go_live=go_live, first_change=first_change, passes=(*passes, end))


def _as_utc(value: Any) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_demo_rules(source: Path, target: Path, calendar: DemoCalendar) -> list[Path]:
    """Copy every rules file in ``source`` to ``target`` with the demo calendar's dates."""
    documents = {path: yaml.safe_load(path.read_text()) for path in sorted(source.glob("*.yaml"))}
    later = [
        _as_utc(version["effective_from"])
        for document in documents.values()
        for version in document["versions"][1:]
    ]
    earliest_change = min(later, default=None)
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("*.yaml"):
        stale.unlink()
    written = []
    for path, document in documents.items():
        for index, version in enumerate(document["versions"]):
            at = _as_utc(version["effective_from"])
            if index > 0 and earliest_change is not None:
                at = calendar.first_change + (at - earliest_change)
            elif document["rule_set"] in AUTOMATION_RULE_SETS:
                at = calendar.go_live
            version["effective_from"] = _iso(at)
        header = GENERATED_HEADER.format(
            name=f"rules/{path.name}", go_live=_iso(calendar.go_live),
            first_change=_iso(calendar.first_change),
        )
        out = target / path.name
        out.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        written.append(out)
    return written
