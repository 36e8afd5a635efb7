"""Turn the rows of one order file into canonical order lines, or quarantine entries.

A bad row never stops the file: it becomes a quarantine entry naming the file, the line
where the record starts and the reason, and every other row still loads. That includes
rows with bytes that are not valid in the mapping's encoding and rows with a field over
the size limit (see ``connectors.csv_rows``). Only a file whose header cannot be read
(wrong encoding, missing mapped columns) is one quarantine entry for the whole file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from connectors.csv_rows import CsvFailure, CsvRow, iter_csv_rows
from connectors.order_files.mapping import OrderFileMapping

QUARANTINE_TABLE = "quarantine"
LINES_TABLE = "order_lines"
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)
MAX_QUANTITY = 10_000


@dataclass
class ImportTally:
    """What an import did, for the command's summary."""

    loaded: int = 0
    orders: set[str] = field(default_factory=set)
    quarantined: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, limit: int = 20) -> str:
        lines = [f"loaded {self.loaded} row(s) for {len(self.orders)} order(s);"
                 f" quarantined {len(self.quarantined)} row(s)"]
        for entry in self.quarantined[:limit]:
            lines.append(f"  {entry['file_name']} line {entry['line_number']}: {entry['reason']}")
        if len(self.quarantined) > limit:
            lines.append(f"  ... and {len(self.quarantined) - limit} more (table raw_order_files.quarantine)")
        return "\n".join(lines)


class RowRejected(ValueError):
    """A row that cannot become an order line; the message is the quarantine reason."""


def parse_order_file(
    data: bytes,
    file_name: str,
    mapping: OrderFileMapping,
    now: datetime | None = None,
    tally: ImportTally | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(table, record)`` pairs: ``order_lines`` rows and ``quarantine`` rows."""
    now = now or datetime.now(UTC)
    tally = tally if tally is not None else ImportTally()
    occurrences: dict[tuple[str, str], int] = {}
    rows = iter_csv_rows(data, mapping.csv.encoding, mapping.csv.delimiter, mapping.columns.values())
    for row in rows:
        if isinstance(row, CsvFailure):
            yield _quarantine(tally, mapping, file_name, row.line_number, row.reason, row.raw)
            continue
        try:
            record = _order_line(row, mapping, now)
        except RowRejected as rejection:
            raw = json.dumps(row.values)
            yield _quarantine(tally, mapping, file_name, row.line_number, str(rejection), raw)
            continue
        key = (record["order_id"], record["sku"] or "")
        occurrences[key] = occurrences.get(key, 0) + 1
        record["line_key"] = f"{record['sku'] or 'line'}#{occurrences[key]}"
        record["file_name"] = file_name
        record["line_number"] = row.line_number
        tally.loaded += 1
        tally.orders.add(record["order_id"])
        yield LINES_TABLE, record


def _quarantine(tally: ImportTally, mapping: OrderFileMapping, file_name: str, line: int, reason: str,
                raw: str) -> tuple[str, dict[str, Any]]:
    entry = {"channel": mapping.channel, "file_name": file_name, "line_number": line, "reason": reason,
             "raw_record": raw}
    tally.quarantined.append(entry)
    return QUARANTINE_TABLE, entry


def _order_line(row: CsvRow, mapping: OrderFileMapping, now: datetime) -> dict[str, Any]:
    if row.extra:
        raise RowRejected(f"row has {len(row.extra)} more field(s) than the header")

    def value(name: str) -> str | None:
        column = mapping.columns.get(name)
        raw = row.values.get(column) if column else None
        raw = raw.strip() if isinstance(raw, str) else raw
        return raw or mapping.defaults.get(name)

    order_id = value("order_id")
    if not order_id:
        raise RowRejected(f"missing order id (column {mapping.columns['order_id']!r})")
    placed_at = _timestamp(value("placed_at"), mapping, now)
    status_raw = value("status")
    status = None
    if "status" in mapping.columns:
        if status_raw not in mapping.statuses:
            raise RowRejected(f"unknown status {status_raw!r}; the mapping knows {sorted(mapping.statuses)}")
        status = mapping.statuses[status_raw]
    quantity = _quantity(value("quantity"))
    return {
        "channel": mapping.channel,
        "order_id": order_id,
        "placed_at": placed_at,
        "status": status,
        "source_status": status_raw,
        "sku": value("sku"),
        "quantity": quantity,
        "unit_price": _money(value("unit_price"), "unit_price", mapping),
        "total_amount": _money(value("total_amount"), "total_amount", mapping),
        "currency": (value("currency") or "").upper() or None,
        "email": value("email"),
        "ship_to_name": value("ship_to_name"),
        "ship_to_address1": value("ship_to_address1"),
        "ship_to_address2": value("ship_to_address2"),
        "ship_to_city": value("ship_to_city"),
        "ship_to_postcode": value("ship_to_postcode"),
        "ship_to_country_code": value("ship_to_country_code"),
    }


def _timestamp(raw: str | None, mapping: OrderFileMapping, now: datetime) -> datetime:
    spec = mapping.timestamp
    if not raw:
        raise RowRejected(f"missing placed_at (column {mapping.columns['placed_at']!r})")
    try:
        parsed = datetime.strptime(raw, spec.format) if spec.format else datetime.fromisoformat(raw)
    except ValueError as error:
        expected = spec.format or "ISO 8601"
        raise RowRejected(f"bad timestamp {raw!r} for placed_at (expected {expected}): {error}") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(spec.timezone))
    parsed = parsed.astimezone(UTC)
    if parsed < EARLIEST_PLAUSIBLE:
        raise RowRejected(f"placed_at {raw!r} is before {EARLIEST_PLAUSIBLE.year}")
    if parsed > now + FUTURE_TOLERANCE:
        raise RowRejected(f"placed_at {raw!r} is in the future")
    return parsed


def _quantity(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        quantity = int(Decimal(raw))
    except (InvalidOperation, ValueError, OverflowError) as error:
        raise RowRejected(f"quantity {raw!r} is not a number") from error
    if quantity != Decimal(raw) or not 1 <= quantity <= MAX_QUANTITY:
        raise RowRejected(f"quantity {raw!r} is not a whole number between 1 and {MAX_QUANTITY}")
    return quantity


def _money(raw: str | None, name: str, mapping: OrderFileMapping) -> Decimal | None:
    if raw is None:
        return None
    text = raw.replace("£", "").replace("$", "").replace("€", "").strip()
    if mapping.csv.decimal_comma:
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise RowRejected(f"{name} {raw!r} is not an amount") from error
    if not amount.is_finite() or amount < 0:
        raise RowRejected(f"{name} {raw!r} must be a non-negative amount")
    return amount.quantize(Decimal("0.01"))
