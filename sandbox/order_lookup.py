"""Orders of both channels as the warehouses, carrier and helpdesk see them: a reference the customer
quotes (`#1001` for Shopify, `40012` for WooCommerce), what to pick, where it goes and who bought it.

Read-only: the logistics side never writes to the channels' tables.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from sandbox.bookings import normalise_reference
from sandbox.timeutil import parse_iso

SHOPIFY, WOOCOMMERCE = "shopify", "woocommerce"


@dataclass(frozen=True)
class OrderInfo:
    """One order of either channel; `key` is `<channel>:<platform id>`."""

    key: str
    channel: str
    order_id: int
    reference: str
    placed: datetime
    lines: tuple[tuple[str, int], ...]
    city: str | None
    postcode: str | None
    email: str | None
    first_name: str
    last_name: str
    waiting: bool  # paid and not cancelled or refunded: the customer expects a parcel


def order_key(channel: str, order_id: int) -> str:
    """`shopify:5810000000001` or `woocommerce:40012`."""
    return f"{channel}:{order_id}"


def _shopify(conn: sqlite3.Connection, row: sqlite3.Row) -> OrderInfo:
    lines = conn.execute(
        "SELECT sku, quantity FROM line_items WHERE order_id = ? ORDER BY id", (row["id"],)
    ).fetchall()
    return OrderInfo(
        key=order_key(SHOPIFY, row["id"]),
        channel=SHOPIFY,
        order_id=row["id"],
        reference=row["name"],
        placed=parse_iso(row["created_at"]),
        lines=tuple((r["sku"], r["quantity"]) for r in lines),
        city=row["ship_city"],
        postcode=row["ship_zip"],
        email=row["email"],
        first_name=row["ship_first_name"] or "",
        last_name=row["ship_last_name"] or "",
        waiting=row["financial_status"] == "PAID" and row["cancelled_at"] is None,
    )


def _woo(conn: sqlite3.Connection, row: sqlite3.Row) -> OrderInfo:
    items = conn.execute(
        "SELECT data_json FROM woo_items WHERE owner_id = ? AND item_type = 'line_item' ORDER BY id",
        (row["id"],),
    ).fetchall()
    lines = [json.loads(r["data_json"]) for r in items]
    billing, shipping = json.loads(row["billing_json"]), json.loads(row["shipping_json"])
    return OrderInfo(
        key=order_key(WOOCOMMERCE, row["id"]),
        channel=WOOCOMMERCE,
        order_id=row["id"],
        reference=str(row["id"]),
        placed=parse_iso(row["created_gmt"]),
        lines=tuple((line["sku"], int(line["quantity"])) for line in lines),
        city=shipping.get("city") or None,
        postcode=shipping.get("postcode") or None,
        email=billing.get("email") or None,
        first_name=billing.get("first_name") or "",
        last_name=billing.get("last_name") or "",
        waiting=row["status"] in ("processing", "completed"),
    )


def order_info(conn: sqlite3.Connection, key: str) -> OrderInfo | None:
    """The order behind `key`, or None."""
    channel, _, raw_id = key.partition(":")
    if channel == SHOPIFY:
        row = conn.execute("SELECT * FROM orders WHERE id = ?", (int(raw_id),)).fetchone()
        return None if row is None else _shopify(conn, row)
    if channel == WOOCOMMERCE:
        row = conn.execute("SELECT * FROM woo_orders WHERE id = ?", (int(raw_id),)).fetchone()
        return None if row is None else _woo(conn, row)
    return None


# How the merchant's team writes a WooCommerce order on a label when Shopify orders go
# through the same Click & Drop account: the channel, a colon, the order number.
WOOCOMMERCE_PREFIX = f"{WOOCOMMERCE}:"


def match_reference(conn: sqlite3.Connection, reference: str | None) -> str | None:
    """The order a Click & Drop orderReference names: a Shopify name (with or without '#'), a
    WooCommerce order number (bare, or "woocommerce:<number>" as a multi-channel sender writes
    it); None when it names neither (another channel's order, e.g. "ebay:12-34567-89012")."""
    normalised = normalise_reference(reference.strip()) if reference else None
    if not normalised:
        return None
    if normalised.lower().startswith(WOOCOMMERCE_PREFIX):
        number = normalised[len(WOOCOMMERCE_PREFIX):].strip()
        if not number.isdigit():
            return None
        row = conn.execute("SELECT id FROM woo_orders WHERE id = ?", (int(number),)).fetchone()
        return None if row is None else order_key(WOOCOMMERCE, row["id"])
    row = conn.execute("SELECT id FROM orders WHERE name = ?", (f"#{normalised}",)).fetchone()
    if row is not None:
        return order_key(SHOPIFY, row["id"])
    if normalised.isdigit():
        row = conn.execute("SELECT id FROM woo_orders WHERE id = ?", (int(normalised),)).fetchone()
        if row is not None:
            return order_key(WOOCOMMERCE, row["id"])
    return None


def all_order_keys(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(key, placed ISO) of every order of both channels."""
    shopify = conn.execute("SELECT id, created_at FROM orders").fetchall()
    woo = conn.execute("SELECT id, created_gmt FROM woo_orders").fetchall()
    return [(order_key(SHOPIFY, r[0]), r[1]) for r in shopify] + [
        (order_key(WOOCOMMERCE, r[0]), r[1]) for r in woo
    ]
