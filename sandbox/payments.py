"""Payment events that fall due as the clock moves (captures of recently authorised orders)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from sandbox.order_factory import GATEWAY, payment_status
from sandbox.timeutil import to_iso
from sandbox.world import next_id


def apply_due_transactions(conn: sqlite3.Connection, until: datetime) -> int:
    """Record scheduled transactions at or before `until`; returns how many were applied."""
    due = conn.execute(
        "SELECT * FROM scheduled_transactions WHERE at <= ? ORDER BY at, id", (to_iso(until),)
    ).fetchall()
    for event in due:
        order = conn.execute(
            "SELECT total, cancelled_at FROM orders WHERE id = ?", (event["order_id"],)
        ).fetchone()
        conn.execute("DELETE FROM scheduled_transactions WHERE id = ?", (event["id"],))
        if order is None or order["cancelled_at"] is not None:
            continue
        conn.execute(
            "INSERT INTO transactions(id, order_id, kind, status, gateway, amount, created_at, processed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                next_id(conn, "transactions"),
                event["order_id"],
                event["kind"],
                event["status"],
                GATEWAY,
                order["total"],
                event["at"],
                event["at"],
            ),
        )
        kinds = [
            r["kind"]
            for r in conn.execute(
                "SELECT kind FROM transactions WHERE order_id = ? AND status = 'SUCCESS'",
                (event["order_id"],),
            )
        ]
        conn.execute(
            "UPDATE orders SET financial_status = ?, updated_at = MAX(updated_at, ?) WHERE id = ?",
            (payment_status(kinds), event["at"], event["order_id"]),
        )
    return len(due)
