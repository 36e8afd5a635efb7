"""Click & Drop booking records: identifier allocation, tracking numbers and the resource shape.

Shared by the manual history (generator) and the API, so both produce identical records.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sandbox.tracking import tracking_number
from sandbox.world import FIRST_BOOKING_IDENTIFIER, world_seed


def normalise_reference(reference: str | None) -> str | None:
    """Order references match order names ignoring one leading '#'."""
    if reference is None:
        return None
    return reference[1:] if reference.startswith("#") else reference


def create_booking(
    conn: sqlite3.Connection,
    *,
    reference: str | None,
    order_date: str | None,
    created_on: str,
    source: str,
    request: dict[str, Any],
    shipped_on: str | None = None,
) -> sqlite3.Row:
    """Insert an accepted booking with the next identifier and its tracking number."""
    row = conn.execute("SELECT MAX(order_identifier) AS m FROM bookings").fetchone()
    identifier = (row["m"] or FIRST_BOOKING_IDENTIFIER - 1) + 1
    tracking = tracking_number(world_seed(conn), identifier)
    conn.execute(
        "INSERT INTO bookings(order_identifier, order_reference, created_on, order_date, tracking_number,"
        " shipped_on, source, request_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            identifier,
            reference,
            created_on,
            order_date,
            tracking,
            shipped_on,
            source,
            json.dumps(request, sort_keys=True),
        ),
    )
    return conn.execute("SELECT * FROM bookings WHERE order_identifier = ?", (identifier,)).fetchone()


def find_booking_by_reference(conn: sqlite3.Connection, reference: str) -> sqlite3.Row | None:
    """The accepted booking that owns this exact orderReference (the idempotency key)."""
    return conn.execute(
        "SELECT * FROM bookings WHERE order_reference = ? ORDER BY order_identifier LIMIT 1", (reference,)
    ).fetchone()


def booking_resource(row: sqlite3.Row) -> dict[str, Any]:
    """GetOrderInfoResource / CreateOrderResponse shape (unset optional dates omitted)."""
    resource: dict[str, Any] = {
        "orderIdentifier": row["order_identifier"],
        "orderReference": row["order_reference"],
        "createdOn": row["created_on"],
        "orderDate": row["order_date"],
    }
    if row["shipped_on"]:
        resource["shippedOn"] = row["shipped_on"]
    resource["trackingNumber"] = row["tracking_number"]
    resource["packages"] = [{"packageNumber": 1, "trackingNumber": row["tracking_number"]}]
    return {k: v for k, v in resource.items() if v is not None}
