"""The three 3PL feeds orderloop reads, and how each row is checked (docs/warehouse-feeds.md).

Each warehouse drops CSV files into ``<landing>/<warehouse_id>/<feed>/``. A row that
breaks the feed's contract is quarantined with its file, line and reason; the rest load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.csv_rows import CsvFailure, iter_csv_rows

QUARANTINE_TABLE = "quarantine"


class RowRejected(ValueError):
    """A row that breaks its feed's contract; the message is the reason."""


@dataclass(frozen=True)
class Feed:
    name: str  # folder name and table name
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    convert: Callable[[dict[str, str], ZoneInfo], dict[str, Any]]


def _text(row: dict[str, str], column: str, required: bool = True) -> str | None:
    value = (row.get(column) or "").strip()
    if required and not value:
        raise RowRejected(f"missing {column}")
    return value or None


def _choice(row: dict[str, str], column: str, allowed: frozenset[str]) -> str:
    value = _text(row, column)
    if value not in allowed:
        raise RowRejected(f"{column} {value!r} is not one of {sorted(allowed)}")
    return value


def _count(row: dict[str, str], column: str, minimum: int) -> int:
    raw = _text(row, column)
    try:
        value = int(raw)
    except ValueError as error:
        raise RowRejected(f"{column} {raw!r} is not a whole number") from error
    if value < minimum:
        raise RowRejected(f"{column} {raw!r} is below {minimum}")
    return value


def _instant(row: dict[str, str], column: str, zone: ZoneInfo) -> datetime:
    """ISO 8601; a time without an offset is read in the warehouse's zone (mixed zones happen)."""
    raw = _text(row, column)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as error:
        raise RowRejected(f"{column} {raw!r} is not an ISO 8601 time") from error
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)


def _stock(row: dict[str, str], zone: ZoneInfo) -> dict[str, Any]:
    return {
        "sku": _text(row, "sku"),
        "location": _text(row, "location"),
        "on_hand": _count(row, "on_hand", 0),
        "counted_at": _instant(row, "counted_at", zone),
    }


FULFILMENT_EVENTS = frozenset({"pick_started", "packed", "despatched"})


def _fulfilment(row: dict[str, str], zone: ZoneInfo) -> dict[str, Any]:
    event = _choice(row, "event", FULFILMENT_EVENTS)
    despatched = event == "despatched"
    return {
        "order_reference": _text(row, "order_reference"),
        "event": event,
        "occurred_at": _instant(row, "occurred_at", zone),
        "carrier": _text(row, "carrier", required=despatched),
        "service": _text(row, "service", required=despatched),
        "tracking_number": _text(row, "tracking_number", required=despatched),
    }


def _returns(row: dict[str, str], zone: ZoneInfo) -> dict[str, Any]:
    return {
        "order_reference": _text(row, "order_reference"),
        "sku": _text(row, "sku"),
        "quantity": _count(row, "quantity", 1),
        "condition": _choice(row, "condition", frozenset({"as_new", "opened", "damaged"})),
        "outcome": _choice(row, "outcome", frozenset({"restocked", "written_off"})),
        "received_at": _instant(row, "received_at", zone),
    }


FEEDS = {
    feed.name: feed
    for feed in (
        Feed("stock", ("sku", "location", "on_hand", "counted_at"),
             ("warehouse_id", "sku", "location", "counted_at"), _stock),
        Feed("fulfilment",
             ("order_reference", "event", "occurred_at", "carrier", "service", "tracking_number"),
             ("warehouse_id", "order_reference", "event", "occurred_at"), _fulfilment),
        Feed("returns", ("order_reference", "sku", "quantity", "condition", "outcome", "received_at"),
             ("warehouse_id", "order_reference", "sku", "received_at"), _returns),
    )
}


def parse_feed_file(data: bytes, file_name: str, zone: ZoneInfo) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(table, record)`` for a file at ``<warehouse_id>/<feed>/<name>.csv``."""
    parts = file_name.replace("\\", "/").split("/")
    if len(parts) < 3 or parts[-2] not in FEEDS:
        yield QUARANTINE_TABLE, _quarantined(file_name, 1, f"not under <warehouse>/<{'|'.join(FEEDS)}>/", "")
        return
    warehouse_id, feed = parts[-3], FEEDS[parts[-2]]
    for row in iter_csv_rows(data, required_columns=feed.columns[:2]):
        if isinstance(row, CsvFailure):
            yield QUARANTINE_TABLE, _quarantined(file_name, row.line_number, row.reason, row.raw)
            continue
        try:
            if row.extra:
                raise RowRejected(f"row has {len(row.extra)} more field(s) than the header")
            record = feed.convert(row.values, zone)
        except RowRejected as rejection:
            yield QUARANTINE_TABLE, _quarantined(file_name, row.line_number, str(rejection), str(row.values))
            continue
        yield feed.name, {"warehouse_id": warehouse_id, **record, "file_name": file_name,
                          "line_number": row.line_number}


def _quarantined(file_name: str, line: int, reason: str, raw: str) -> dict[str, Any]:
    return {"file_name": file_name, "line_number": line, "reason": reason, "raw_record": raw}
