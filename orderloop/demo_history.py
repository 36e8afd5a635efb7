"""The demo world's history, made the way it would have happened: people despatch by hand until
the automation goes live, then orderloop's passes run as the simulated days go by.

The sandbox generates the manual era in one go (orders placed before ``go_live`` are despatched
by hand). From ``go_live`` the world clock moves to each replayed label run and a real pass runs
against it, deciding at the world's time (``decision_clock``), so the labels, holds and emails of
the automated era come from orderloop itself, under whichever rule version was in force.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from orderloop.decision_clock import deciding_at
from orderloop.demo_calendar import DemoCalendar, demo_calendar, write_demo_rules
from orderloop.paths import DataPaths
from orderloop.rule_sets import RULES_DIR
from orderloop.run_pass import PassResult, run_full_pass, sandbox_for_run


def start_demo_world(
    paths: DataPaths,
    days: int,
    seed: int,
    end: datetime,
    automated_days: int,
    report: Callable[[str], None] = print,
) -> DemoCalendar:
    """Write the demo merchant's re-dated rules and generate the world up to its go-live: ``days``
    of history in all, the part before ``go_live`` despatched by hand."""
    from sandbox.generator import generate_world

    calendar = demo_calendar(end, automated_days)
    if calendar.go_live <= end - timedelta(days=days):
        raise ValueError(f"--automated-days ({automated_days}) must be fewer than --days ({days})")
    write_demo_rules(RULES_DIR, paths.root / "rules", calendar)
    manual_days = max(1, days - math.ceil((end - calendar.go_live).total_seconds() / 86400))
    report(
        f"Simulating a merchant (seed {seed}): {manual_days} days of despatching by hand until"
        f" {calendar.go_live:%a %d %b %H:%M} UTC, when orderloop's label automation goes live; later rule"
        f" changes from {calendar.first_change:%a %d %b %H:%M} UTC."
    )
    generate_world(
        paths.sandbox, days=manual_days, seed=seed, now=calendar.go_live, manual_until=calendar.go_live
    )
    return calendar


def replay_automated_era(
    paths: DataPaths, calendar: DemoCalendar, report: Callable[[str], None] = print
) -> PassResult:
    """Move the world to each of the calendar's passes and run a real pass deciding at its time;
    returns the last pass (the one at ``calendar.end``), or the first that failed."""
    from sandbox.clock import advance
    from sandbox.world import opened, world_now

    result: PassResult | None = None
    for number, at in enumerate(calendar.passes, start=1):
        with opened(paths.sandbox) as conn:
            hours = (at - world_now(conn)).total_seconds() / 3600
        advance(paths.sandbox, hours)
        with deciding_at(at), sandbox_for_run(paths):
            result = run_full_pass()
        report(f"  pass {number}/{len(calendar.passes)} at {at:%a %d %b %H:%M} UTC:"
               f" {'ok' if result.success else 'FAILED'}")
        if not result.success:
            break
    assert result is not None  # the calendar always ends with a pass at `end`
    return result
