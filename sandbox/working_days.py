"""The English working calendar: when a merchant despatches and when Royal Mail collects."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import holidays

from sandbox.timeutil import LONDON

COLLECTION_TIME = time(16, 0)
_ENGLAND = holidays.country_holidays("GB", subdiv="ENG")


def is_working_day(day: date) -> bool:
    """Mon-Fri excluding England bank holidays."""
    return day.weekday() < 5 and day not in _ENGLAND


def add_working_days(day: date, count: int) -> date:
    """The `count`-th working day after `day` (count >= 1)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def london_datetime(day: date, at: time) -> datetime:
    """A London wall-clock time on `day`, as an aware datetime (DST handled by zoneinfo)."""
    return datetime.combine(day, at, tzinfo=LONDON)


def next_collection(moment: datetime) -> datetime:
    """First Click & Drop collection (16:00 London on a working day) at or after `moment`."""
    local = moment.astimezone(LONDON)
    day = local.date()
    while True:
        if is_working_day(day):
            collection = london_datetime(day, COLLECTION_TIME)
            if collection >= moment:
                return collection
        day += timedelta(days=1)
