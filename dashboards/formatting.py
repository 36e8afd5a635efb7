"""How figures read on the dashboards, shared so every page shows them the same way."""

from __future__ import annotations

import datetime as dt

import pandas as pd

MISSING = "—"


def _missing(value: float | None) -> bool:
    return value is None or bool(pd.isna(value))


def count(value: int | None) -> str:
    """Whole numbers with thousands separators."""
    return MISSING if _missing(value) else f"{int(value):,}"


def hours(value: float | None) -> str:
    """Durations in hours, one decimal (e.g. ``26.5 h``)."""
    return MISSING if _missing(value) else f"{value:.1f} h"


def percent(value: float | None) -> str:
    """Shares already scaled to 0-100, one decimal (e.g. ``93.4%``)."""
    return MISSING if _missing(value) else f"{value:.1f}%"


def utc_timestamp(value: dt.datetime) -> str:
    """A UTC instant to the minute, labelled, so nobody mistakes it for local time."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return f"{stamp:%Y-%m-%d %H:%M} UTC"


def rate(value: float | None) -> str:
    """Rates per 100 or per 1,000 orders, one decimal (e.g. ``4.2``)."""
    return MISSING if _missing(value) else f"{value:,.1f}"


def change(value: float | None, previous: float | None, unit: str = "", decimals: int = 1) -> str | None:
    """The signed change from ``previous`` to ``value`` (``+1.5 h``), None when either is missing."""
    if _missing(value) or _missing(previous):
        return None
    return f"{value - previous:+,.{decimals}f}{unit}"
