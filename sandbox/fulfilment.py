"""Marking a Shopify order despatched: the fulfillment Royal Mail's integration writes back."""

from __future__ import annotations

import sqlite3

from sandbox.world import next_id

TRACKING_COMPANY = "Royal Mail"
TRACKING_URL = "https://www.royalmail.com/track-your-item#/tracking-results/{number}"


def fulfil_order(conn: sqlite3.Connection, order_id: int, tracking: str, at: str) -> None:
    """Add a SUCCESS fulfillment, set FULFILLED, archive if paid and bump updated_at to `at`."""
    conn.execute(
        "INSERT INTO fulfillments(id, order_id, status, created_at, updated_at, tracking_number,"
        " tracking_company, tracking_url) VALUES (?, ?, 'SUCCESS', ?, ?, ?, ?, ?)",
        (
            next_id(conn, "fulfillments"),
            order_id,
            at,
            at,
            tracking,
            TRACKING_COMPANY,
            TRACKING_URL.format(number=tracking),
        ),
    )
    conn.execute(
        "UPDATE orders SET fulfillment_status = 'FULFILLED',"
        " closed_at = CASE WHEN financial_status = 'PAID' THEN ? ELSE closed_at END,"
        " updated_at = MAX(updated_at, ?) WHERE id = ?",
        (at, at, order_id),
    )
