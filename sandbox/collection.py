"""Royal Mail collections: API bookings leave at 16:00 London on working days and are written back
to Shopify as fulfillments carrying the booking's tracking number."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from sandbox.bookings import normalise_reference
from sandbox.fulfilment import fulfil_order
from sandbox.timeutil import parse_iso, to_iso
from sandbox.working_days import next_collection


def collect_api_bookings(conn: sqlite3.Connection, until: datetime) -> int:
    """Despatch every unshipped API booking whose collection is at or before `until`.

    Returns the number of Shopify orders fulfilled. Bookings for unknown, cancelled or already
    fulfilled orders still ship (the parcel leaves) but write nothing back to Shopify.
    """
    fulfilled = 0
    pending = conn.execute(
        "SELECT * FROM bookings WHERE source = 'api' AND shipped_on IS NULL ORDER BY order_identifier"
    ).fetchall()
    for booking in pending:
        collection = next_collection(parse_iso(booking["created_on"]))
        if collection > until:
            continue
        at = to_iso(collection)
        conn.execute(
            "UPDATE bookings SET shipped_on = ? WHERE order_identifier = ?", (at, booking["order_identifier"])
        )
        reference = normalise_reference(booking["order_reference"])
        if reference is None:
            continue
        order = conn.execute(
            "SELECT id, cancelled_at, fulfillment_status FROM orders WHERE name = ? OR name = ?",
            (reference, f"#{reference}"),
        ).fetchone()
        if order is None or order["cancelled_at"] is not None or order["fulfillment_status"] == "FULFILLED":
            continue
        fulfil_order(conn, order["id"], booking["tracking_number"], at)
        fulfilled += 1
    return fulfilled
