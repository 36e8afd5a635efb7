"""UTC timestamp handling: one canonical text form so SQLite ordering equals time ordering."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def to_iso(moment: datetime) -> str:
    """Render as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds), the form Shopify returns."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str, naive_tz: ZoneInfo | None = None) -> datetime:
    """Parse ISO-8601 (with `Z`, an offset, or naive meaning `naive_tz`, default UTC) to aware UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_tz or UTC)
    return moment.astimezone(UTC)


def utc_now_hour() -> datetime:
    """The current UTC time truncated to the hour: the default world clock."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def normalise(moment: datetime) -> datetime:
    """Aware UTC with whole seconds, so generated content does not depend on sub-second noise."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)
