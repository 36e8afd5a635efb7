"""The two warehouses (Leeds and Bristol, run by a 3PL), where each order is picked, and their stock.

Routing: the postcode area picks the nearer warehouse; if it cannot pick every line in full and the
other one can, the order goes to the other one. Stock is a ledger of dated moves (opening counts,
picks, returns restocked, supplier deliveries), so on-hand at any instant is a sum. When a pick
leaves a SKU at or below the reorder point a supplier delivery is booked a few working days out;
orders arriving meanwhile run it to zero (stockouts). The despatch history of the channels is fixed,
so an order picked while both warehouses are out still ships; the ledger then stops at zero.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sandbox.streams import stream
from sandbox.timeutil import LONDON, to_iso
from sandbox.working_days import add_working_days, london_datetime


@dataclass(frozen=True)
class Warehouse:
    """A 3PL site and the Royal Mail mail centre that collects from it."""

    code: str
    city: str
    county: str
    outward: str
    mail_centre: str


WAREHOUSES = {
    "leeds": Warehouse("leeds", "Leeds", "West Yorkshire", "LS11", "Leeds Mail Centre"),
    "bristol": Warehouse("bristol", "Bristol", "Bristol", "BS3", "Bristol Mail Centre"),
}
# Postcode areas served from Leeds; everything else ships from Bristol.
NORTHERN_AREAS = {"LS", "M", "L", "S", "NE", "NG", "LE", "EH", "G", "YO"}
REORDER_POINT = 5


def primary_warehouse(postcode: str | None) -> str:
    """The nearer warehouse for a postcode (by its letters-only area)."""
    area = ""
    for char in (postcode or "").strip().upper():
        if not char.isalpha():
            break
        area += char
    return "leeds" if area in NORTHERN_AREAS else "bristol"


def bin_location(warehouse: str, sku_index: int) -> str:
    """The pick-face location of the `sku_index`-th catalogue SKU (each site has its own scheme)."""
    if warehouse == "leeds":
        return f"{'ABCDE'[sku_index // 8]}{sku_index % 8 + 1:02d}"
    return f"BR-{sku_index + 1:03d}"


def catalogue_skus(conn: sqlite3.Connection) -> list[str]:
    """Every SKU, in catalogue order (the order of stock file rows)."""
    return [r["sku"] for r in conn.execute("SELECT sku FROM products ORDER BY sku")]


def open_stock(conn: sqlite3.Connection, seed: int, at: datetime) -> None:
    """Opening counts at `at` for every SKU in both warehouses; a few start nearly empty."""
    for code in WAREHOUSES:
        rng = stream("stock-open", seed, code)
        for sku in catalogue_skus(conn):
            count = rng.randint(0, 3) if rng.random() < 0.1 else rng.randint(6, 30)
            conn.execute(
                "INSERT INTO stock_moves(warehouse, sku, at, delta, kind, reference)"
                " VALUES (?, ?, ?, ?, 'opening', NULL)",
                (code, sku, to_iso(at), count),
            )


def on_hand(conn: sqlite3.Connection, warehouse: str, sku: str, at: datetime) -> int:
    """Units of `sku` in `warehouse` at `at`."""
    row = conn.execute(
        "SELECT COALESCE(SUM(delta), 0) FROM stock_moves WHERE warehouse = ? AND sku = ? AND at <= ?",
        (warehouse, sku, to_iso(at)),
    ).fetchone()
    return int(row[0])


def stock_at(conn: sqlite3.Connection, warehouse: str, at: datetime) -> dict[str, int]:
    """On-hand of every SKU that has moved in `warehouse`, at `at`."""
    rows = conn.execute(
        "SELECT sku, SUM(delta) AS n FROM stock_moves WHERE warehouse = ? AND at <= ? GROUP BY sku",
        (warehouse, to_iso(at)),
    )
    return {r["sku"]: int(r["n"]) for r in rows}


def _can_pick(
    conn: sqlite3.Connection, warehouse: str, lines: tuple[tuple[str, int], ...], at: datetime
) -> bool:
    return all(on_hand(conn, warehouse, sku, at) >= quantity for sku, quantity in lines)


def route(conn: sqlite3.Connection, lines: tuple[tuple[str, int], ...], preferred: str, at: datetime) -> str:
    """The warehouse that picks an order: the preferred one unless only the other has everything."""
    if _can_pick(conn, preferred, lines, at):
        return preferred
    other = next(code for code in WAREHOUSES if code != preferred)
    return other if _can_pick(conn, other, lines, at) else preferred


def pick(
    conn: sqlite3.Connection,
    seed: int,
    warehouse: str,
    lines: tuple[tuple[str, int], ...],
    at: datetime,
    reference: str,
) -> None:
    """Take an order's lines off the shelf (never below zero) and book deliveries for what runs low."""
    for sku, quantity in lines:
        available = on_hand(conn, warehouse, sku, at)
        taken = min(quantity, max(available, 0))
        if taken:
            conn.execute(
                "INSERT INTO stock_moves(warehouse, sku, at, delta, kind, reference)"
                " VALUES (?, ?, ?, ?, 'pick', ?)",
                (warehouse, sku, to_iso(at), -taken, reference),
            )
        if available - taken <= REORDER_POINT:
            _reorder(conn, seed, warehouse, sku, at)


def _reorder(conn: sqlite3.Connection, seed: int, warehouse: str, sku: str, at: datetime) -> None:
    pending = conn.execute(
        "SELECT 1 FROM stock_moves WHERE warehouse = ? AND sku = ? AND kind = 'delivery' AND at > ?",
        (warehouse, sku, to_iso(at)),
    ).fetchone()
    if pending is not None:
        return
    rng = stream("stock-reorder", seed, warehouse, sku, to_iso(at))
    day = add_working_days(at.astimezone(LONDON).date(), rng.randint(2, 5))
    arrives = london_datetime(day, time(8, 0)) + timedelta(minutes=rng.randint(0, 180))
    conn.execute(
        "INSERT INTO stock_moves(warehouse, sku, at, delta, kind, reference)"
        " VALUES (?, ?, ?, ?, 'delivery', ?)",
        (warehouse, sku, to_iso(arrives), 6 * rng.randint(4, 10), f"PO-{warehouse[:3].upper()}-{to_iso(at)}"),
    )


def restock(
    conn: sqlite3.Connection, warehouse: str, sku: str, quantity: int, at: datetime, reference: str
) -> None:
    """A returned item put back on the shelf."""
    conn.execute(
        "INSERT INTO stock_moves(warehouse, sku, at, delta, kind, reference)"
        " VALUES (?, ?, ?, ?, 'return', ?)",
        (warehouse, sku, to_iso(at), quantity, reference),
    )
