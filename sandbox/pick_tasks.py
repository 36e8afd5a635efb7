"""Pick tasks the merchant released to the 3PL, as the warehouses see them.

An order with a released task is picked at the warehouse its task names (the merchant's routing
decides), and only once the task has arrived. Orders without one are picked as before (the
merchant's manual history: the nearer site, or the other one if only it has every line).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from sandbox.timeutil import parse_iso


@dataclass(frozen=True)
class PickTask:
    """The release of one order to one warehouse, in one batch."""

    order_key: str
    warehouse: str
    batch_reference: str
    released_at: datetime


def released_task(conn: sqlite3.Connection, order_key: str | None, by: datetime) -> PickTask | None:
    """The task released for `order_key` at or before `by`, if any (an order is released once)."""
    if order_key is None:
        return None
    row = conn.execute(
        "SELECT order_key, warehouse, batch_reference, released_at FROM pick_tasks WHERE order_key = ?",
        (order_key,),
    ).fetchone()
    if row is None:
        return None
    released = parse_iso(row["released_at"])
    if released > by:
        return None
    return PickTask(row["order_key"], row["warehouse"], row["batch_reference"], released)
