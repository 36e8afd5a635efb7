"""Stripe's side of a WooCommerce payment: PaymentIntent, Charge and Review snapshots, and the events
that record them.

Every charge carries Radar's `outcome` (`risk_score` 0-100, `risk_level` normal below 65,
elevated from 65, highest from 75), a pure function of the seed and the order, so the same world
scores the same. The merchant's Radar rule reviews payments scored 70 or more instead of blocking
the highest risk, so reviewed orders score 70-89; about one other payment in 40 scores elevated
(65-69) without a review; declines are the issuer's, at a normal score.

Events are immutable once written (as Stripe's are): each stores the object as it was at that
moment, rendered for API version 2024-06-20 (so `charge.refunds` is not included).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.stable_ids import hex_digest, opaque, stripe_id

API_VERSION = "2024-06-20"
SHOP_NAME = "Orderloop Sandbox Store"
CURRENCY = "gbp"


def pence(amount: str) -> int:
    """Minor units of a 2-decimal money string."""
    return int((Decimal(amount) * 100).to_integral_value())


def unix(moment: datetime) -> int:
    """Stripe timestamps are whole unix seconds."""
    return int(moment.timestamp())


REVIEW_FROM_SCORE = 70  # the merchant's Radar rule: review payments scored this or more
ELEVATED_FROM, HIGHEST_FROM = 65, 75  # Stripe's risk levels by score


def risk_level(score: int) -> str:
    """Radar's level for a score."""
    if score >= HIGHEST_FROM:
        return "highest"
    return "elevated" if score >= ELEVATED_FROM else "normal"


def risk_score(seed: int, order_id: int, reviewed: bool) -> int:
    """Radar's score of the order's charge: deterministic per order; reviewed payments score high."""
    draw = int(hex_digest(seed, "radar", order_id, length=12), 16)
    if reviewed:
        return REVIEW_FROM_SCORE + draw % 20
    if draw % 40 == 0:
        return ELEVATED_FROM + (draw >> 8) % 5
    # Most payments score low: the smaller of two draws below the elevated level.
    return min(draw % ELEVATED_FROM, (draw >> 16) % ELEVATED_FROM)


def outcome(order: sqlite3.Row, failed: bool) -> dict[str, Any]:
    """The charge's `outcome` as Radar and the card network left it."""
    score = order["risk_score"] if order["risk_score"] is not None else 0
    level = risk_level(score)
    if failed:
        error = json.loads(order["payment_error"])
        return {
            "network_status": "declined_by_network",
            "reason": error.get("decline_code"),
            "risk_level": level,
            "risk_score": score,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }
    reviewed = score >= REVIEW_FROM_SCORE
    return {
        "network_status": "approved_by_network",
        "reason": "elevated_risk_level" if reviewed else None,
        "risk_level": level,
        "risk_score": score,
        "seller_message": (
            "Stripe evaluated this payment as having elevated risk, and placed it in your manual"
            " review queue."
            if reviewed
            else "Payment complete."
        ),
        "type": "manual_review" if reviewed else "authorized",
    }


def _metadata(order: sqlite3.Row) -> dict[str, str]:
    return {"order_id": str(order["id"]), "order_reference": str(order["id"]), "channel": "woocommerce"}


def _payment_method(seed: int, order: sqlite3.Row) -> str:
    return stripe_id("pm", seed, order["id"])


def payment_intent(seed: int, order: sqlite3.Row) -> dict[str, Any]:
    """The PaymentIntent of a Woo order in its current state."""
    amount = pence(order["total"])
    status = order["intent_status"]
    error = json.loads(order["payment_error"]) if order["payment_error"] else None
    cancelled = status == "canceled"
    return {
        "id": order["intent_id"],
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": amount if status == "requires_capture" else 0,
        "amount_received": amount if status == "succeeded" else 0,
        "canceled_at": order["cancelled_at"] if cancelled else None,
        "cancellation_reason": "requested_by_customer" if cancelled else None,
        "capture_method": "manual",
        "client_secret": f"{order['intent_id']}_secret_{opaque(seed, 'secret', order['id'])}",
        "confirmation_method": "automatic",
        "created": order["intent_created"],
        "currency": CURRENCY,
        "customer": order["stripe_customer"],
        "description": f"{SHOP_NAME} - Order {order['id']}",
        "last_payment_error": error,
        "latest_charge": order["charge_id"],
        "livemode": False,
        "metadata": _metadata(order),
        "payment_method": None if status == "requires_payment_method" else _payment_method(seed, order),
        "payment_method_types": ["card"],
        "status": status,
    }


def charge(seed: int, order: sqlite3.Row) -> dict[str, Any]:
    """The latest Charge of a Woo order in its current state."""
    amount = pence(order["total"])
    captured = order["intent_status"] == "succeeded"
    failed = order["payment_error"] is not None
    billing = json.loads(order["billing_json"])
    return {
        "id": order["charge_id"],
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if captured else 0,
        "amount_refunded": order["amount_refunded"],
        "balance_transaction": stripe_id("txn", seed, order["id"]) if captured else None,
        "billing_details": {
            "address": {
                "city": billing["city"],
                "country": billing["country"],
                "line1": billing["address_1"],
                "line2": billing["address_2"] or None,
                "postal_code": billing["postcode"],
                "state": billing["state"] or None,
            },
            "email": billing["email"],
            "name": f"{billing['first_name']} {billing['last_name']}",
            "phone": billing["phone"] or None,
        },
        "captured": captured,
        "created": order["charge_created"],
        "currency": CURRENCY,
        "customer": order["stripe_customer"],
        "description": f"{SHOP_NAME} - Order {order['id']}",
        "failure_code": "card_declined" if failed else None,
        "failure_message": "Your card was declined." if failed else None,
        "livemode": False,
        "metadata": _metadata(order),
        "outcome": outcome(order, failed),
        "paid": not failed,
        "payment_intent": order["intent_id"],
        "payment_method": _payment_method(seed, order),
        "refunded": order["amount_refunded"] >= amount,
        "status": "failed" if failed else "succeeded",
    }


def review(
    seed: int,
    order: sqlite3.Row,
    opened: datetime,
    opened_reason: str = "rule",
    closed_reason: str | None = None,
) -> dict[str, Any]:
    """A Radar review of the order's charge, opened by a rule (or by hand: `manual`); closed
    (`approved`, `canceled`, ...) when `closed_reason` is given. It names the charge and the
    PaymentIntent but carries no metadata, as Stripe's reviews do not."""
    billing = json.loads(order["billing_json"])
    return {
        "id": stripe_id("prv", seed, order["id"]),
        "object": "review",
        "billing_zip": billing["postcode"],
        "charge": order["charge_id"],
        "closed_reason": closed_reason,
        "created": unix(opened),
        "ip_address": order["customer_ip"],
        "ip_address_location": None,
        "livemode": False,
        "open": closed_reason is None,
        "opened_reason": opened_reason,
        "payment_intent": order["intent_id"],
        "reason": closed_reason or opened_reason,
        "session": None,
    }


def record_event(
    conn: sqlite3.Connection,
    seed: int,
    event_type: str,
    at: datetime,
    order_id: int,
    data_object: dict[str, Any],
    previous_attributes: dict[str, Any] | None = None,
    via_api: bool = True,
    idempotency_key: str | None = None,
) -> str:
    """Append one event (ids follow insertion order, so they are deterministic); returns its id."""
    seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM stripe_events").fetchone()[0])
    event_id = stripe_id("evt", seed, seq)
    data: dict[str, Any] = {"object": data_object}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    body = {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": unix(at),
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {
            "id": stripe_id("req", seed, seq, length=14) if via_api else None,
            "idempotency_key": idempotency_key,
        },
        "type": event_type,
    }
    conn.execute(
        "INSERT INTO stripe_events(seq, id, type, created, order_id, body_json) VALUES (?, ?, ?, ?, ?, ?)",
        (seq, event_id, event_type, unix(at), order_id, json.dumps(body)),
    )
    return event_id
