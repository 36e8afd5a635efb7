"""WooCommerce REST API v3 resource shapes: orders, order notes and refunds, rendered from the world.

As WooCommerce does: money is a 2-decimal string (but a line item's `price` is a JSON number),
`date_*` are shop-local (Europe/London) and `date_*_gmt` UTC, both without an offset, and the shop
charges no VAT so every tax field is "0.00".
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sandbox.stable_ids import hex_digest
from sandbox.timeutil import LONDON, parse_iso

API_BASE = "/wp-json/wc/v3"
WC_VERSION = "9.3.3"
PAYMENT_METHOD = ("stripe", "Credit / Debit Card")
STRIPE_FEE_RATE, STRIPE_FEE_FIXED = Decimal("0.015"), Decimal("0.20")  # UK cards


def woo_dates(stored: str | None) -> tuple[str | None, str | None]:
    """(local, gmt) renderings of a stored UTC time: ('2026-07-01T13:00:00', '2026-07-01T12:00:00')."""
    if stored is None:
        return None, None
    moment = parse_iso(stored)
    return (
        moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M:%S"),
        moment.strftime("%Y-%m-%dT%H:%M:%S"),
    )


def _number(value: Decimal) -> int | float:
    """PHP's json_encode of a float: 14 rather than 14.0."""
    return int(value) if value == value.to_integral_value() else float(value)


def _links(site: str, path: str, **extra: str) -> dict[str, list[dict[str, str]]]:
    links = {
        "self": [{"href": f"{site}{API_BASE}/{path}"}],
        "collection": [{"href": f"{site}{API_BASE}/{path.rsplit('/', 1)[0]}"}],
    }
    links.update({rel: [{"href": href}] for rel, href in extra.items()})
    return links


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _line_item(item_id: int, data: dict[str, Any]) -> dict[str, Any]:
    quantity = data["quantity"]
    meta = [
        {
            "id": item_id * 10 + 1,
            "key": "pa_colour",
            "value": _slug(data["colour"]),
            "display_key": "Colour",
            "display_value": data["colour"],
        }
    ]
    if "refunded_item_id" in data:
        value = str(data["refunded_item_id"])
        meta.append(
            {
                "id": item_id * 10 + 2,
                "key": "_refunded_item_id",
                "value": value,
                "display_key": "_refunded_item_id",
                "display_value": value,
            }
        )
    return {
        "id": item_id,
        "name": data["name"],
        "product_id": data["product_id"],
        "variation_id": data["variation_id"],
        "quantity": quantity,
        "tax_class": "",
        "subtotal": data["subtotal"],
        "subtotal_tax": "0.00",
        "total": data["total"],
        "total_tax": "0.00",
        "taxes": [],
        "meta_data": meta,
        "sku": data["sku"],
        "price": _number(Decimal(data["total"]) / quantity) if quantity else 0,
        "image": {"id": 0, "src": ""},
        "parent_name": data["parent_name"],
    }


def _shipping_line(item_id: int, data: dict[str, Any], items_label: str) -> dict[str, Any]:
    meta = []
    if items_label:
        meta.append(
            {
                "id": item_id * 10 + 1,
                "key": "Items",
                "value": items_label,
                "display_key": "Items",
                "display_value": items_label,
            }
        )
    return {
        "id": item_id,
        "method_title": data["method_title"],
        "method_id": data["method_id"],
        "instance_id": data["instance_id"],
        "total": data["total"],
        "total_tax": "0.00",
        "taxes": [],
        "meta_data": meta,
    }


def _coupon_line(item_id: int, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item_id,
        "code": data["code"],
        "discount": data["discount"],
        "discount_tax": "0.00",
        "meta_data": [],
        "discount_type": "percent",
        "nominal_amount": 10,
        "free_shipping": False,
    }


def load_items(conn: sqlite3.Connection, owner_ids: list[int]) -> dict[int, list[sqlite3.Row]]:
    """Order or refund items by owner, in id order."""
    found: dict[int, list[sqlite3.Row]] = defaultdict(list)
    for start in range(0, len(owner_ids), 500):
        chunk = owner_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT * FROM woo_items WHERE owner_id IN ({marks}) ORDER BY id", chunk):
            found[row["owner_id"]].append(row)
    return found


def load_refunds(conn: sqlite3.Connection, order_ids: list[int]) -> dict[int, list[sqlite3.Row]]:
    """Refunds by order, newest first (WooCommerce's order)."""
    found: dict[int, list[sqlite3.Row]] = defaultdict(list)
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT * FROM woo_refunds WHERE order_id IN ({marks}) ORDER BY created_gmt DESC, id DESC", chunk
        )
        for row in rows:
            found[row["order_id"]].append(row)
    return found


def _order_meta(order: sqlite3.Row, refunds: list[sqlite3.Row]) -> list[dict[str, Any]]:
    base = (order["id"] % 100_000) * 10
    meta: list[tuple[str, str]] = [("is_vat_exempt", "no")]
    if order["stripe_customer"]:
        meta.append(("_stripe_customer_id", order["stripe_customer"]))
    if order["intent_id"]:
        meta.append(("_stripe_intent_id", order["intent_id"]))
    if order["intent_status"] in ("requires_capture", "succeeded", "canceled"):
        meta.append(("_stripe_charge_captured", "yes" if order["intent_status"] == "succeeded" else "no"))
        meta.append(("_stripe_currency", "GBP"))
    if order["paid_gmt"]:
        fee = (Decimal(order["total"]) * STRIPE_FEE_RATE + STRIPE_FEE_FIXED).quantize(Decimal("0.01"))
        meta.append(("_stripe_fee", str(fee)))
        meta.append(("_stripe_net", str(Decimal(order["total"]) - fee)))
    if refunds:
        meta.append(("_stripe_refund_id", refunds[0]["stripe_refund_id"]))
    return [{"id": base + n, "key": k, "value": v} for n, (k, v) in enumerate(meta, start=1)]


def render_order(
    order: sqlite3.Row, items: list[sqlite3.Row], refunds: list[sqlite3.Row], site: str
) -> dict[str, Any]:
    """One order as GET /wc/v3/orders/{id} returns it."""
    created, created_gmt = woo_dates(order["created_gmt"])
    modified, modified_gmt = woo_dates(order["modified_gmt"])
    paid, paid_gmt = woo_dates(order["paid_gmt"])
    completed, completed_gmt = woo_dates(order["completed_gmt"])
    lines = [(r["id"], json.loads(r["data_json"])) for r in items if r["item_type"] == "line_item"]
    label = ", ".join(f"{data['name']} &times; {data['quantity']}" for _, data in lines)
    status = order["status"]
    charged = order["intent_status"] in ("requires_capture", "succeeded", "canceled")
    return {
        "id": order["id"],
        "parent_id": 0,
        "status": status,
        "currency": "GBP",
        "version": WC_VERSION,
        "prices_include_tax": False,
        "date_created": created,
        "date_modified": modified,
        "discount_total": order["discount_total"],
        "discount_tax": "0.00",
        "shipping_total": order["shipping_total"],
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": order["total"],
        "total_tax": "0.00",
        "customer_id": order["customer_id"],
        "order_key": order["order_key"],
        "billing": json.loads(order["billing_json"]),
        "shipping": json.loads(order["shipping_json"]),
        "payment_method": PAYMENT_METHOD[0],
        "payment_method_title": PAYMENT_METHOD[1],
        "transaction_id": order["charge_id"] if charged else "",
        "customer_ip_address": order["customer_ip"],
        "customer_user_agent": order["user_agent"],
        "created_via": "checkout",
        "customer_note": order["customer_note"],
        "date_completed": completed,
        "date_paid": paid,
        "cart_hash": hex_digest(order["id"], "cart", order["order_key"]),
        "number": str(order["id"]),
        "meta_data": _order_meta(order, refunds),
        "line_items": [_line_item(item_id, data) for item_id, data in lines],
        "tax_lines": [],
        "shipping_lines": [
            _shipping_line(r["id"], json.loads(r["data_json"]), label)
            for r in items
            if r["item_type"] == "shipping"
        ],
        "fee_lines": [],
        "coupon_lines": [
            _coupon_line(r["id"], json.loads(r["data_json"])) for r in items if r["item_type"] == "coupon"
        ],
        "refunds": [{"id": r["id"], "reason": r["reason"], "total": f"-{r['amount']}"} for r in refunds],
        "payment_url": f"{site}/checkout/order-pay/{order['id']}/"
        f"?pay_for_order=true&key={order['order_key']}",
        "is_editable": status in ("pending", "on-hold", "auto-draft"),
        "needs_payment": status in ("pending", "failed") and Decimal(order["total"]) > 0,
        "needs_processing": True,
        "date_created_gmt": created_gmt,
        "date_modified_gmt": modified_gmt,
        "date_completed_gmt": completed_gmt,
        "date_paid_gmt": paid_gmt,
        "currency_symbol": "£",
        "_links": _links(
            site,
            f"orders/{order['id']}",
            **(
                {"customer": f"{site}{API_BASE}/customers/{order['customer_id']}"}
                if order["customer_id"]
                else {}
            ),
        ),
    }


def render_note(note: sqlite3.Row, site: str) -> dict[str, Any]:
    """One order note as GET /wc/v3/orders/{id}/notes returns it."""
    local, gmt = woo_dates(note["created_gmt"])
    order_url = f"{site}{API_BASE}/orders/{note['order_id']}"
    return {
        "id": note["id"],
        "author": note["author"],
        "date_created": local,
        "date_created_gmt": gmt,
        "note": note["note"],
        "customer_note": bool(note["customer_note"]),
        "_links": _links(site, f"orders/{note['order_id']}/notes/{note['id']}", up=order_url),
    }


def render_refund(refund: sqlite3.Row, items: list[sqlite3.Row], site: str) -> dict[str, Any]:
    """One refund as GET /wc/v3/orders/{id}/refunds returns it."""
    local, gmt = woo_dates(refund["created_gmt"])
    order_url = f"{site}{API_BASE}/orders/{refund['order_id']}"
    return {
        "id": refund["id"],
        "date_created": local,
        "date_created_gmt": gmt,
        "amount": refund["amount"],
        "reason": refund["reason"],
        "refunded_by": refund["refunded_by"],
        "refunded_payment": True,
        "meta_data": [],
        "line_items": [
            _line_item(r["id"], json.loads(r["data_json"])) for r in items if r["item_type"] == "line_item"
        ],
        "shipping_lines": [
            _shipping_line(r["id"], json.loads(r["data_json"]), "")
            for r in items
            if r["item_type"] == "shipping"
        ],
        "tax_lines": [],
        "fee_lines": [],
        "_links": _links(site, f"orders/{refund['order_id']}/refunds/{refund['id']}", up=order_url),
    }
