"""Shopify refunds: the money the merchant gives back, and what that does to an order.

Two sources, both read from the rest of the world and never written back to it:

- an order cancelled after its payment was captured already carries a REFUND transaction
  (`order_factory`); its Refund is that transaction (same amount, same time, the transaction itself
  under `transactions`), every line refunded with restock type CANCEL (nothing had shipped);
- a delivered order whose return reaches the warehouse (the logistics `returns`) is refunded for the
  items that came back, within about a day of their arrival: RETURN for items put back on the shelf,
  NO_RESTOCK for items written off, shipping kept. That refund makes a new REFUND transaction and moves
  the order to PARTIALLY_REFUNDED (REFUNDED once nothing is left to refund) with `updatedAt` at the
  refund, so an incremental sync on `updated_at` picks it up.

The `orders` and `transactions` tables are pinned per seed, so those two changes live in
`shopify_refund_transactions` and `shopify_order_overrides`; `effective_orders` applies the overrides
for everything that serves or counts orders. Refund timing draws from its own stream per order and
receipt, so the existing content of a seed is unchanged and a world from before refunds catches up on
its next `advance`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.order_factory import GATEWAY
from sandbox.streams import stream
from sandbox.timeutil import parse_iso, to_iso
from sandbox.warehouses import WAREHOUSES
from sandbox.world import next_id, world_seed

CENT = Decimal("0.01")
# The merchant refunds a return between 45 minutes and 26 hours after the warehouse logs it.
REFUND_DELAY_MINUTES = (45, 26 * 60)
RESTOCK_TYPES = {"restocked": "RETURN", "written_off": "NO_RESTOCK"}


@dataclass(frozen=True)
class _Planned:
    """A refund due by the sync's `now`, before it is written."""

    at: str
    source: str
    order_id: int
    kind: str  # "cancel" | "return"
    transaction_id: int | None = None
    amount: str | None = None
    reference: str | None = None
    received_at: str | None = None
    warehouse: str | None = None


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _cancellations(conn: sqlite3.Connection, limit: str, done: set[str]) -> list[_Planned]:
    rows = conn.execute(
        "SELECT id, order_id, amount, created_at FROM transactions"
        " WHERE kind = 'REFUND' AND status = 'SUCCESS' AND created_at <= ? ORDER BY id",
        (limit,),
    ).fetchall()
    return [
        _Planned(r["created_at"], f"cancel:{r['id']}", r["order_id"], "cancel", r["id"], r["amount"])
        for r in rows
        if f"cancel:{r['id']}" not in done
    ]


def _returns(conn: sqlite3.Connection, seed: int, now: datetime, done: set[str]) -> list[_Planned]:
    receipts = conn.execute(
        "SELECT o.id AS order_id, r.order_reference, r.received_at, MIN(r.warehouse) AS warehouse"
        " FROM returns r JOIN orders o ON o.name = r.order_reference WHERE r.received_at <= ?"
        " GROUP BY o.id, r.order_reference, r.received_at ORDER BY r.received_at, o.id",
        (to_iso(now),),
    ).fetchall()
    planned = []
    for receipt in receipts:
        source = f"return:{receipt['order_id']}:{receipt['received_at']}"
        if source in done:
            continue
        rng = stream("shopify-refund", seed, receipt["order_id"], receipt["received_at"])
        at = parse_iso(receipt["received_at"]) + timedelta(minutes=rng.randint(*REFUND_DELAY_MINUTES))
        if at <= now:
            planned.append(
                _Planned(
                    to_iso(at),
                    source,
                    receipt["order_id"],
                    "return",
                    reference=receipt["order_reference"],
                    received_at=receipt["received_at"],
                    warehouse=receipt["warehouse"],
                )
            )
    return planned


def _insert_refund(
    conn: sqlite3.Connection,
    plan: _Planned,
    note: str | None,
    amount: str,
    transaction_id: int,
    lines: list[tuple[int, int, str, str]],
) -> None:
    refund_id = next_id(conn, "shopify_refunds")
    conn.execute(
        "INSERT INTO shopify_refunds(id, order_id, source, created_at, note, amount, transaction_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (refund_id, plan.order_id, plan.source, plan.at, note, amount, transaction_id),
    )
    for line_item_id, quantity, restock_type, subtotal in lines:
        conn.execute(
            "INSERT INTO shopify_refund_line_items(id, refund_id, line_item_id, quantity, restock_type,"
            " subtotal) VALUES (?, ?, ?, ?, ?, ?)",
            (
                next_id(conn, "shopify_refund_line_items"),
                refund_id,
                line_item_id,
                quantity,
                restock_type,
                subtotal,
            ),
        )


def _refund_cancellation(conn: sqlite3.Connection, plan: _Planned) -> bool:
    lines = [
        (li["id"], li["quantity"], "CANCEL", _money(Decimal(li["unit_price"]) * li["quantity"]))
        for li in conn.execute("SELECT * FROM line_items WHERE order_id = ? ORDER BY id", (plan.order_id,))
    ]
    assert plan.amount is not None and plan.transaction_id is not None
    _insert_refund(conn, plan, None, plan.amount, plan.transaction_id, lines)
    return True


def _refunded_quantities(conn: sqlite3.Connection, order_id: int) -> dict[int, int]:
    rows = conn.execute(
        "SELECT rli.line_item_id AS line_item_id, SUM(rli.quantity) AS n FROM shopify_refund_line_items rli"
        " JOIN shopify_refunds r ON r.id = rli.refund_id WHERE r.order_id = ? GROUP BY rli.line_item_id",
        (order_id,),
    )
    return {r["line_item_id"]: int(r["n"]) for r in rows}


def _refund_return(conn: sqlite3.Connection, plan: _Planned) -> bool:
    order = effective_order(conn, plan.order_id)
    if order is None or order["financial_status"] not in ("PAID", "PARTIALLY_REFUNDED"):
        return False
    items = {
        li["sku"]: li
        for li in conn.execute("SELECT * FROM line_items WHERE order_id = ? ORDER BY id", (plan.order_id,))
    }
    already = _refunded_quantities(conn, plan.order_id)
    lines: list[tuple[int, int, str, str]] = []
    for returned in conn.execute(
        "SELECT sku, quantity, outcome FROM returns WHERE order_reference = ? AND received_at = ?"
        " ORDER BY id",
        (plan.reference, plan.received_at),
    ):
        item = items.get(returned["sku"])
        if item is None:
            continue
        quantity = min(returned["quantity"], item["quantity"] - already.get(item["id"], 0))
        if quantity <= 0:
            continue
        already[item["id"]] = already.get(item["id"], 0) + quantity
        subtotal = _money(Decimal(item["unit_price"]) * quantity)
        lines.append((item["id"], quantity, RESTOCK_TYPES.get(returned["outcome"], "NO_RESTOCK"), subtotal))
    if not lines:
        return False
    amount = _money(sum((Decimal(line[3]) for line in lines), Decimal("0")))
    transaction_id = next_id(conn, "shopify_refund_transactions")
    conn.execute(
        "INSERT INTO shopify_refund_transactions(id, order_id, kind, status, gateway, amount, created_at,"
        " processed_at) VALUES (?, ?, 'REFUND', 'SUCCESS', ?, ?, ?, ?)",
        (transaction_id, plan.order_id, GATEWAY, amount, plan.at, plan.at),
    )
    site = WAREHOUSES.get(plan.warehouse or "")
    note = f"Return received at the {site.city} warehouse" if site else "Return received"
    _insert_refund(conn, plan, note, amount, transaction_id, lines)
    amounts = conn.execute("SELECT amount FROM shopify_refunds WHERE order_id = ?", (plan.order_id,))
    refunded = sum((Decimal(r[0]) for r in amounts), Decimal("0"))
    status = "REFUNDED" if refunded >= Decimal(order["total"]) else "PARTIALLY_REFUNDED"
    conn.execute(
        "INSERT INTO shopify_order_overrides(order_id, financial_status, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(order_id) DO UPDATE SET financial_status = excluded.financial_status,"
        " updated_at = MAX(updated_at, excluded.updated_at)",
        (plan.order_id, status, plan.at),
    )
    return True


def sync_refunds(conn: sqlite3.Connection, now: datetime) -> int:
    """Create every refund due by `now` that does not exist yet, oldest first; how many were created."""
    done = {r[0] for r in conn.execute("SELECT source FROM shopify_refunds")}
    limit = to_iso(now)
    planned = _cancellations(conn, limit, done) + _returns(conn, world_seed(conn), now, done)
    created = 0
    for plan in sorted(planned, key=lambda p: (p.at, p.source)):
        handler = _refund_cancellation if plan.kind == "cancel" else _refund_return
        created += handler(conn, plan)
    return created


def apply_overrides(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Order rows as served: refund-era financial status, and `updated_at` moved to the latest refund."""
    overrides = {r["order_id"]: r for r in conn.execute("SELECT * FROM shopify_order_overrides")}
    served = []
    for row in rows:
        record = dict(row)
        override = overrides.get(record["id"])
        if override is not None:
            record["financial_status"] = override["financial_status"]
            record["updated_at"] = max(record["updated_at"], override["updated_at"])
        served.append(record)
    return served


def effective_orders(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every order as served."""
    return apply_overrides(conn, conn.execute("SELECT * FROM orders"))


def effective_order(conn: sqlite3.Connection, order_id: int) -> dict[str, Any] | None:
    """One order as served, or None."""
    row = conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
    return None if row is None else apply_overrides(conn, [row])[0]
