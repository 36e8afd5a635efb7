"""Keeping malformed API records aside instead of loading them or failing the run.

Real APIs occasionally hand out records that break their own documentation (an order
dated "0000-00-00", an event without a timestamp). A source adds ``quarantine_invalid``
as a yield-map step (it must yield items one by one: a table mark inside a page list is
not honoured): a record its check rejects is written to the source's ``quarantine``
table with the reason and the raw record, and everything else loads. A source with an
incremental cursor must include records whose cursor is missing
(``on_cursor_value_missing="include"``), since the cursor step runs after this one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import dlt

from connectors.schema_hints import nullable_columns

QUARANTINE_TABLE = "quarantine"
MAX_RAW_CHARS = 100_000
QUARANTINE_HINTS = dlt.mark.make_hints(
    table_name=QUARANTINE_TABLE,
    primary_key=["resource", "record_id"],
    write_disposition="merge",
    columns=nullable_columns(resource="text", record_id="text", reason="text", raw_record="text"),
)

Check = Callable[[dict[str, Any]], str | None]


def quarantine_invalid(resource: str, check: Check, id_field: str = "id") -> Callable[[Any], Iterator[Any]]:
    """A yield-map step: records ``check`` rejects go to ``quarantine`` (keeping ``id_field``)."""

    def step(record: Any) -> Iterator[Any]:
        reason = check(record) if isinstance(record, dict) else "record is not a JSON object"
        if reason is None:
            yield record
            return
        raw = json.dumps(record, default=str, sort_keys=True)
        record_id = record.get(id_field) if isinstance(record, dict) else None
        fallback_id = hashlib.sha256(raw.encode()).hexdigest()
        entry = {
            "resource": resource,
            "record_id": str(record_id) if record_id is not None else fallback_id,
            "reason": reason,
            "raw_record": raw[:MAX_RAW_CHARS],
        }
        if record_id is not None:
            entry[id_field] = record_id
        yield dlt.mark.with_hints(entry, QUARANTINE_HINTS, create_table_variant=True)

    return step


def all_of(*checks: Check) -> Check:
    def check(record: dict[str, Any]) -> str | None:
        return next((reason for c in checks if (reason := c(record)) is not None), None)

    return check


def present(field: str) -> Check:
    return lambda record: None if record.get(field) not in (None, "") else f"missing {field}"


def timestamp(field: str, required: bool = True) -> Check:
    """ISO 8601 and a real date (WordPress writes "0000-00-00T00:00:00" for 'no date')."""

    def check(record: dict[str, Any]) -> str | None:
        value = record.get(field)
        if value in (None, ""):
            return f"missing {field}" if required else None
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return f"{field} {str(value)[:40]!r} is not a valid ISO 8601 time"
        return None

    return check


def unix_seconds(field: str) -> Check:
    def check(record: dict[str, Any]) -> str | None:
        value = record.get(field)
        return None if isinstance(value, int) and value > 0 else f"{field} {value!r} is not a unix time"

    return check


def amount(field: str) -> Check:
    def check(record: dict[str, Any]) -> str | None:
        try:
            parsed = Decimal(str(record.get(field)))
        except InvalidOperation:
            return f"{field} {record.get(field)!r} is not an amount"
        return None if parsed.is_finite() else f"{field} {record.get(field)!r} is not an amount"

    return check
