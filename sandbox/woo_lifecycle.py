"""Applying WooCommerce timelines to the world: orders, status changes, notes, refunds and the
Stripe events each step produces.

Generation and the clock share this code: events at or before the observation time are applied in
time order (so ids are allocated in the order things happened), later ones wait in `woo_scheduled`.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker

from sandbox.order_factory import placement_times
from sandbox.stable_ids import hex_digest, opaque, stripe_id
from sandbox.stripe_events import charge, payment_intent, pence, record_event, review, risk_score, unix
from sandbox.timeutil import parse_iso, to_iso
from sandbox.woo_factory import WooEvent, WooOrderPlan, WooPlanner, money

FIRST_POST_ID = 40_000  # orders and refunds share WordPress's post id sequence
MERCHANT = "Priya Shah"  # display name of the shop manager who acts by hand
MERCHANT_USER_ID = 1
STATUS_LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
}


def woo_orders_per_day(shopify_orders_per_day: float) -> float:
    """The WooCommerce channel sells about a third as much as the Shopify store."""
    return shopify_orders_per_day / 3


def _next_post_id(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM woo_orders UNION ALL SELECT MAX(id) FROM woo_refunds)"
    ).fetchone()
    return (row[0] or FIRST_POST_ID) + 1


def _add_item(conn: sqlite3.Connection, owner_id: int, item_type: str, data: dict[str, Any]) -> int:
    item_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM woo_items").fetchone()[0])
    conn.execute(
        "INSERT INTO woo_items(id, owner_id, item_type, data_json) VALUES (?, ?, ?, ?)",
        (item_id, owner_id, item_type, json.dumps(data, sort_keys=True)),
    )
    return item_id


def add_note(
    conn: sqlite3.Connection,
    order_id: int,
    at: datetime,
    note: str,
    author: str = "system",
    customer: bool = False,
) -> None:
    """An order note; notes are comments in WooCommerce, so they do not touch date_modified."""
    conn.execute(
        "INSERT INTO woo_notes(order_id, created_gmt, author, note, customer_note) VALUES (?, ?, ?, ?, ?)",
        (order_id, to_iso(at), author, note, int(customer)),
    )


class WooWorld:
    """Applies timeline events for one seed inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, seed: int):
        self.conn = conn
        self.seed = seed

    def order(self, order_id: int) -> sqlite3.Row:
        """The order row as it is now."""
        return self.conn.execute("SELECT * FROM woo_orders WHERE id = ?", (order_id,)).fetchone()

    def _update(self, order_id: int, at: datetime, **columns: Any) -> sqlite3.Row:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.conn.execute(
            f"UPDATE woo_orders SET {assignments}{', ' if columns else ''}"
            "modified_gmt = MAX(modified_gmt, ?) WHERE id = ?",
            (*columns.values(), to_iso(at), order_id),
        )
        return self.order(order_id)

    def _set_status(
        self, order_id: int, at: datetime, status: str, prefix: str = "", author: str = "system"
    ) -> None:
        old = self.order(order_id)["status"]
        self._update(order_id, at, status=status)
        change = f"Order status changed from {STATUS_LABELS[old]} to {STATUS_LABELS[status]}."
        add_note(self.conn, order_id, at, f"{prefix} {change}".strip(), author)

    def place(self, plan: WooOrderPlan) -> int:
        """Checkout: the order exists, pending payment."""
        conn, seed = self.conn, self.seed
        order_id = _next_post_id(conn)
        conn.execute(
            "INSERT INTO woo_orders(id, order_key, customer_id, status, created_gmt, modified_gmt,"
            " discount_total, shipping_total, total, billing_json, shipping_json, customer_note, customer_ip,"
            " user_agent, address_valid, stripe_customer)"
            " VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                order_id,
                f"wc_order_{opaque(seed, 'order_key', order_id, length=13)}",
                plan.customer_id,
                to_iso(plan.placed),
                to_iso(plan.placed),
                money(plan.discount_total),
                money(plan.shipping_total),
                money(plan.total),
                json.dumps(plan.billing),
                json.dumps(plan.shipping),
                plan.customer_note,
                plan.customer_ip,
                plan.user_agent,
                int(plan.address_valid),
                stripe_id("cus", seed, plan.customer_id, length=14) if plan.customer_id else None,
            ),
        )
        for line in plan.lines:
            product = line["product"]
            _add_item(
                conn,
                order_id,
                "line_item",
                {
                    "name": product["title"],
                    "product_id": product["product_id"],
                    "variation_id": product["variation_id"],
                    "quantity": line["quantity"],
                    "subtotal": money(line["subtotal"]),
                    "total": money(line["total"]),
                    "sku": product["sku"],
                    "parent_name": product["parent_name"],
                    "colour": product["colour"],
                },
            )
        shipping = plan.shipping_line
        _add_item(
            conn,
            order_id,
            "shipping",
            {
                "method_id": shipping["method_id"],
                "method_title": shipping["method_title"],
                "instance_id": shipping["instance_id"],
                "total": money(shipping["total"]),
            },
        )
        if plan.coupon is not None:
            _add_item(conn, order_id, "coupon", dict(plan.coupon))
        return order_id

    def apply(self, order_id: int, event: WooEvent) -> None:
        """Make one planned event happen."""
        getattr(self, f"_on_{event.kind}")(order_id, event.at, event.payload)

    def _stripe(self, event_type: str, at: datetime, order_id: int, obj: dict[str, Any], **kw: Any) -> None:
        record_event(self.conn, self.seed, event_type, at, order_id, obj, **kw)

    def _on_intent_created(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        order = self._update(
            order_id,
            at,
            intent_id=stripe_id("pi", self.seed, order_id),
            intent_created=unix(at),
            intent_status="requires_payment_method",
        )
        self._stripe("payment_intent.created", at, order_id, payment_intent(self.seed, order))

    def _charge_columns(self, order_id: int, at: datetime, reviewed: bool = False) -> dict[str, Any]:
        charge_id = stripe_id("ch", self.seed, order_id)
        score = risk_score(self.seed, order_id, reviewed)
        return {"charge_id": charge_id, "charge_created": unix(at), "risk_score": score}

    def open_review_since(self, order_id: int) -> datetime | None:
        """When the order's Radar review opened, if it is still open."""
        rows = self.conn.execute(
            "SELECT type, created FROM stripe_events"
            " WHERE order_id = ? AND type LIKE 'review.%' ORDER BY seq",
            (order_id,),
        ).fetchall()
        if not rows or rows[-1]["type"] != "review.opened":
            return None
        return datetime.fromtimestamp(rows[-1]["created"], tz=UTC)

    def _close_review(self, order_id: int, at: datetime, closed_reason: str) -> None:
        opened_at = self.open_review_since(order_id)
        if opened_at is None:
            return
        snapshot = review(self.seed, self.order(order_id), opened_at, closed_reason=closed_reason)
        changed = {"open": True}
        self._stripe("review.closed", at, order_id, snapshot, previous_attributes=changed, via_api=False)
        note = f"The opened review for this order is now closed. Reason: ({closed_reason})"
        add_note(self.conn, order_id, at, note)

    def _on_payment_failed(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        columns = self._charge_columns(order_id, at)
        error = {
            "charge": columns["charge_id"],
            "code": "card_declined",
            "decline_code": payload["decline_code"],
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": payload["message"],
            "type": "card_error",
        }
        order = self._update(order_id, at, payment_error=json.dumps(error, sort_keys=True), **columns)
        self._stripe("charge.failed", at, order_id, charge(self.seed, order))
        self._stripe("payment_intent.payment_failed", at, order_id, payment_intent(self.seed, order))
        self._set_status(order_id, at, "failed", f"Error processing payment. Reason: {payload['message']}")

    def _on_authorised(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        columns = self._charge_columns(order_id, at, bool(payload.get("reviewed")))
        order = self._update(order_id, at, intent_status="requires_capture", **columns)
        self._stripe("charge.succeeded", at, order_id, charge(self.seed, order))
        self._stripe(
            "payment_intent.amount_capturable_updated", at, order_id, payment_intent(self.seed, order)
        )
        prefix = (
            f"Stripe charge authorized (Charge ID: {columns['charge_id']}). Process order to take payment, or"
            " cancel to remove the pre-authorization. Attempting to refund the order in part or in full will"
            " release the authorization and cancel the payment."
        )
        self._set_status(order_id, at, "on-hold", prefix)

    def _on_review_opened(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        """Radar's rule opens a review as the payment is authorised; `{"opened_reason": "manual"}` is
        someone adding a payment to the review queue by hand."""
        reason = payload.get("opened_reason", "rule")
        snapshot = review(self.seed, self.order(order_id), at, opened_reason=reason)
        self._stripe("review.opened", at, order_id, snapshot, via_api=False)
        add_note(
            self.conn,
            order_id,
            at,
            "A review has been opened for this order. Action is needed. Please go to your Stripe Dashboard"
            f" to review the issue. Reason: ({reason})",
        )

    def _on_captured(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        """The merchant takes the payment. A payment under review is mostly approved in Stripe first;
        about one in three is processed in WooCommerce with its review still open."""
        if self.open_review_since(order_id) is not None:
            if int(hex_digest(self.seed, "review", order_id, length=8), 16) % 3 != 0:
                self._close_review(order_id, at, "approved")
        order = self._update(order_id, at, intent_status="succeeded", paid_gmt=to_iso(at))
        self._stripe(
            "charge.captured",
            at,
            order_id,
            charge(self.seed, order),
            previous_attributes={"amount_captured": 0, "balance_transaction": None, "captured": False},
        )
        self._stripe("payment_intent.succeeded", at, order_id, payment_intent(self.seed, order))
        self._set_status(order_id, at, "processing", author=MERCHANT)
        add_note(self.conn, order_id, at, f"Stripe charge complete (Charge ID: {order['charge_id']})")

    def _on_cancel_unpaid(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        self._set_status(order_id, at, "cancelled", author=MERCHANT)

    def _on_cancel_authorised(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        order = self._update(order_id, at, intent_status="canceled", cancelled_at=unix(at))
        self._stripe("payment_intent.canceled", at, order_id, payment_intent(self.seed, order))
        self._close_review(order_id, at, "canceled")  # Stripe closes the review of a cancelled payment
        self._set_status(order_id, at, "cancelled", author=MERCHANT)
        add_note(self.conn, order_id, at, "Stripe pre-authorization cancelled; no payment was taken.")

    def _on_cancel_paid(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        """Cancelled after the payment was taken, and not refunded here: the money stays captured
        until someone refunds it through Stripe."""
        self._set_status(order_id, at, "cancelled", author=MERCHANT)
        add_note(self.conn, order_id, at, "Order cancelled by customer; payment to be refunded.")

    def _on_despatched(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        if self.order(order_id)["status"] != "processing":
            return
        self._update(order_id, at, completed_gmt=to_iso(at))
        self._set_status(order_id, at, "completed", author=MERCHANT)
        if payload.get("customer_note"):
            add_note(
                self.conn, order_id, at + timedelta(seconds=30), payload["customer_note"], MERCHANT, True
            )

    def _on_refund(self, order_id: int, at: datetime, payload: dict[str, Any]) -> None:
        conn = self.conn
        order = self.order(order_id)
        refund_id = _next_post_id(conn)
        stripe_refund = stripe_id("re", self.seed, refund_id)
        conn.execute(
            "INSERT INTO woo_refunds(id, order_id, created_gmt, amount, reason, refunded_by,"
            " stripe_refund_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                refund_id,
                order_id,
                to_iso(at),
                payload["amount"],
                payload["reason"],
                MERCHANT_USER_ID,
                stripe_refund,
            ),
        )
        originals = conn.execute(
            "SELECT id, item_type, data_json FROM woo_items WHERE owner_id = ? ORDER BY id", (order_id,)
        ).fetchall()
        line_items = [r for r in originals if r["item_type"] == "line_item"]
        for part in payload["lines"]:
            source = line_items[part["index"]]
            data = json.loads(source["data_json"])
            data.update(
                {
                    "quantity": -part["quantity"],
                    "subtotal": f"-{part['total']}",
                    "total": f"-{part['total']}",
                    "refunded_item_id": source["id"],
                }
            )
            _add_item(conn, refund_id, "line_item", data)
        if payload["shipping"]:
            for source in (r for r in originals if r["item_type"] == "shipping"):
                data = json.loads(source["data_json"])
                if Decimal(data["total"]) > 0:
                    data.update({"total": f"-{data['total']}", "refunded_item_id": source["id"]})
                    _add_item(conn, refund_id, "shipping", data)
        previous = order["amount_refunded"]
        order = self._update(order_id, at, amount_refunded=previous + pence(payload["amount"]))
        snapshot = charge(self.seed, order)
        changed: dict[str, Any] = {"amount_refunded": previous}
        if snapshot["refunded"]:
            changed["refunded"] = False
        self._stripe("charge.refunded", at, order_id, snapshot, previous_attributes=changed)
        reason = f" &ndash; Reason: {payload['reason']}" if payload["reason"] else ""
        add_note(
            conn,
            order_id,
            at,
            f"Refunded &pound;{payload['amount']} &ndash; Refund ID: {stripe_refund}{reason}",
        )
        if snapshot["refunded"] and order["status"] != "refunded":
            self._set_status(order_id, at, "refunded", author=MERCHANT)
        if payload.get("customer_note"):
            add_note(conn, order_id, at + timedelta(seconds=60), payload["customer_note"], MERCHANT, True)


@dataclass
class _Pending:
    at: datetime
    key: tuple[int, int]
    order_id: int | None
    plan: WooOrderPlan | None
    event: WooEvent | None
    scheduled_id: int | None = None


def simulate_woocommerce(
    conn: sqlite3.Connection,
    seed: int,
    rng: random.Random,
    fake: Faker,
    orders_per_day: float,
    start: datetime,
    end: datetime,
    observed_at: datetime,
    manual_cutoff: datetime | None,
) -> dict[str, int]:
    """Place the channel's orders in [start, end) and apply everything due by `observed_at`, in time order."""
    planner = WooPlanner(conn, rng, fake)
    world = WooWorld(conn, seed)
    plans = [
        planner.plan(t, observed_at, manual_cutoff) for t in placement_times(rng, orders_per_day, start, end)
    ]
    queue: list[_Pending] = []
    for row in conn.execute(
        "SELECT * FROM woo_scheduled WHERE at <= ? ORDER BY at, id", (to_iso(observed_at),)
    ).fetchall():
        event = WooEvent(parse_iso(row["at"]), row["kind"], json.loads(row["payload_json"]))
        queue.append(_Pending(event.at, (0, row["id"]), row["order_id"], None, event, row["id"]))
    for index, plan in enumerate(plans):
        queue.append(_Pending(plan.placed, (1 + index, -1), None, plan, None))
        for number, event in enumerate(plan.events):
            queue.append(_Pending(event.at, (1 + index, number), None, plan, event))
    placed: dict[int, int] = {}
    before = int(conn.execute("SELECT COUNT(*) FROM stripe_events").fetchone()[0])
    for item in sorted(queue, key=lambda p: (p.at, p.key)):
        if item.scheduled_id is not None:
            conn.execute("DELETE FROM woo_scheduled WHERE id = ?", (item.scheduled_id,))
        if item.event is None:
            assert item.plan is not None
            placed[item.key[0]] = world.place(item.plan)
            continue
        order_id = item.order_id if item.order_id is not None else placed[item.key[0]]
        if item.at <= observed_at:
            world.apply(order_id, item.event)
        else:
            conn.execute(
                "INSERT INTO woo_scheduled(order_id, kind, at, payload_json) VALUES (?, ?, ?, ?)",
                (order_id, item.event.kind, to_iso(item.at), json.dumps(item.event.payload, sort_keys=True)),
            )
    after = int(conn.execute("SELECT COUNT(*) FROM stripe_events").fetchone()[0])
    return {"orders_created": len(plans), "stripe_events": after - before}
