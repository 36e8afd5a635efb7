"""Planning WooCommerce shoppers: who buys what, and everything that will happen to the order.

All randomness is drawn here, from the channel's own RNG stream, when an order is placed; the plan
is a timeline of dated events (payment, capture, despatch, refunds...) that `woo_lifecycle` applies
as the world clock reaches them. The Shopify stream is never touched, so adding this channel left
every existing world's Shopify and Click & Drop content as it was.
"""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from faker import Faker

from sandbox.postcodes import random_invalid_postcode, random_valid_postcode
from sandbox.timeutil import LONDON, to_iso
from sandbox.working_days import add_working_days, london_datetime

CENT = Decimal("0.01")
FREE_SHIPPING_FROM = Decimal("50.00")
FLAT_RATE = ("flat_rate", "Royal Mail Tracked 48", Decimal("3.95"), "1")
FREE_SHIPPING = ("free_shipping", "Free shipping", Decimal("0.00"), "2")
COUPON_CODE = "welcome10"
COUPON_RATE = Decimal("0.10")
FIRST_PRODUCT_ID = 100
CHECKOUT_NOTES = [
    "Please leave with a neighbour if I'm out.",
    "It's a gift - please don't include the receipt.",
    "Leave in the porch, thanks!",
    "Could you gift wrap this?",
    "Side door please.",
]
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Mobile Safari/537.36",
]
DECLINES = [
    ("generic_decline", "Your card was declined."),
    ("insufficient_funds", "Your card has insufficient funds."),
    ("expired_card", "Your card has expired."),
    ("incorrect_cvc", "Your card's security code is incorrect."),
]
DESPATCH_NOTES = [
    "Your parcel is on its way with Royal Mail Tracked 48.",
    "Good news - your order has been posted today. Thanks for shopping with us!",
]


@dataclass
class WooEvent:
    """Something that will happen to an order at `at`."""

    at: datetime
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class WooOrderPlan:
    """An order as placed at checkout, with its future."""

    placed: datetime
    customer_id: int
    billing: dict[str, str]
    shipping: dict[str, str]
    address_valid: bool
    lines: list[dict[str, Any]]
    coupon: dict[str, str] | None
    shipping_line: dict[str, Any]
    discount_total: Decimal
    shipping_total: Decimal
    total: Decimal
    customer_note: str
    customer_ip: str
    user_agent: str
    events: list[WooEvent]


def money(value: Decimal) -> str:
    """Two-decimal string, as WooCommerce formats money."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def woo_catalogue(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The shared catalogue as WooCommerce variable products: one parent per item, a variation per colour."""
    rows = [dict(r) for r in conn.execute("SELECT * FROM products ORDER BY sku")]
    stems = sorted({r["sku"].split("-")[1] for r in rows})
    products = []
    for row in rows:
        _, stem, _ = row["sku"].split("-")
        parent_id = FIRST_PRODUCT_ID + 3 * stems.index(stem)
        siblings = sorted(r["sku"] for r in rows if r["sku"].split("-")[1] == stem)
        parent_name, colour = row["title"].rsplit(" - ", 1)
        products.append(
            {
                **row,
                "product_id": parent_id,
                "variation_id": parent_id + 1 + siblings.index(row["sku"]),
                "parent_name": parent_name,
                "colour": colour,
            }
        )
    return products


def _slug(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower()) or "customer"


class WooPlanner:
    """Draws WooCommerce orders from the channel's RNG; registers new customers as they appear."""

    def __init__(self, conn: sqlite3.Connection, rng: random.Random, fake: Faker):
        self.conn = conn
        self.rng = rng
        self.fake = fake
        self.products = woo_catalogue(conn)
        self.customer_ids = [r["id"] for r in conn.execute("SELECT id FROM woo_customers ORDER BY id")]

    def _address(self) -> dict[str, str]:
        town, postcode = random_valid_postcode(self.rng)
        return {
            "address_1": f"{self.rng.randint(1, 240)} {self.fake.street_name()}",
            "address_2": f"Flat {self.rng.randint(1, 40)}" if self.rng.random() < 0.15 else "",
            "city": town,
            "postcode": postcode,
        }

    def _person(self, placed: datetime) -> tuple[int, dict[str, str]]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.2 and self.customer_ids:
            customer_id = rng.choice(self.customer_ids)
            row = self.conn.execute("SELECT * FROM woo_customers WHERE id = ?", (customer_id,)).fetchone()
            person = {k: row[k] or "" for k in ("first_name", "last_name", "email", "phone", "address_1")}
            person.update(
                {"address_2": row["address_2"] or "", "city": row["city"], "postcode": row["postcode"]}
            )
            return customer_id, person
        first, last = self.fake.first_name(), self.fake.last_name()
        person = {
            "first_name": first,
            "last_name": last,
            "email": f"{_slug(first)}.{_slug(last)}{rng.randint(1, 99)}@example.org",
            "phone": f"07700 900{rng.randint(0, 999):03d}",
            **self._address(),
        }
        if roll >= 0.55:  # guest checkout
            return 0, person
        customer_id = int(
            self.conn.execute("SELECT COALESCE(MAX(id), 1) + 1 FROM woo_customers").fetchone()[0]
        )
        self.conn.execute(
            "INSERT INTO woo_customers(id, first_name, last_name, email, phone, address_1, address_2, city,"
            " postcode, created_gmt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                customer_id,
                first,
                last,
                person["email"],
                person["phone"],
                person["address_1"],
                person["address_2"] or None,
                person["city"],
                person["postcode"],
                to_iso(placed),
            ),
        )
        self.customer_ids.append(customer_id)
        return customer_id, person

    def plan(self, placed: datetime, observed_at: datetime, manual_cutoff: datetime | None) -> WooOrderPlan:
        """One checkout at `placed` and its timeline (despatch only for history before `manual_cutoff`)."""
        rng = self.rng
        customer_id, person = self._person(placed)
        billing = {
            "first_name": person["first_name"],
            "last_name": person["last_name"],
            "company": "",
            "address_1": person["address_1"],
            "address_2": person["address_2"],
            "city": person["city"],
            "state": "",
            "postcode": person["postcode"],
            "country": "GB",
            "email": person["email"],
            "phone": person["phone"] if rng.random() < 0.8 else "",
        }
        shipping = {k: billing[k] for k in ("first_name", "last_name", "company", "address_1", "address_2")}
        shipping.update({k: billing[k] for k in ("city", "state", "postcode", "country", "phone")})
        if rng.random() < 0.08:  # a gift sent to someone else
            shipping.update(
                {"first_name": self.fake.first_name(), "last_name": self.fake.last_name(), **self._address()}
            )
        address_valid = rng.random() >= 0.02
        if not address_valid:
            shipping["postcode"] = random_invalid_postcode(rng)
            billing["postcode"] = shipping["postcode"] if rng.random() < 0.5 else billing["postcode"]

        count = rng.choices([1, 2, 3, 4], weights=[55, 28, 12, 5])[0]
        chosen = [
            (p, rng.choices([1, 2, 3], weights=[80, 15, 5])[0]) for p in rng.sample(self.products, count)
        ]
        subtotal = sum((Decimal(p["price"]) * q for p, q in chosen), Decimal("0"))
        use_coupon = rng.random() < 0.1
        discount = (
            (subtotal * COUPON_RATE).quantize(CENT, rounding=ROUND_HALF_UP) if use_coupon else Decimal(0)
        )
        lines, allotted = [], Decimal("0")
        for index, (product, quantity) in enumerate(chosen):
            line_subtotal = Decimal(product["price"]) * quantity
            if index == len(chosen) - 1:
                share = discount - allotted
            else:
                share = (discount * line_subtotal / subtotal).quantize(CENT, rounding=ROUND_HALF_UP)
            allotted += share
            lines.append(
                {
                    "product": product,
                    "quantity": quantity,
                    "subtotal": line_subtotal,
                    "total": line_subtotal - share,
                }
            )
        method = FREE_SHIPPING if subtotal - discount >= FREE_SHIPPING_FROM else FLAT_RATE
        total = subtotal - discount + method[2]
        plan = WooOrderPlan(
            placed=placed,
            customer_id=customer_id,
            billing=billing,
            shipping=shipping,
            address_valid=address_valid,
            lines=lines,
            coupon={"code": COUPON_CODE, "discount": money(discount)} if use_coupon else None,
            shipping_line={
                "method_id": method[0],
                "method_title": method[1],
                "total": method[2],
                "instance_id": method[3],
            },
            discount_total=discount,
            shipping_total=method[2],
            total=total,
            customer_note=rng.choice(CHECKOUT_NOTES) if rng.random() < 0.1 else "",
            customer_ip=f"{rng.choice([81, 86, 92, 109, 176, 212])}.{rng.randint(0, 255)}."
            f"{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            user_agent=rng.choice(USER_AGENTS),
            events=[],
        )
        plan.events = self._timeline(plan, observed_at, manual_cutoff)
        return plan

    def _timeline(
        self, plan: WooOrderPlan, observed_at: datetime, manual_cutoff: datetime | None
    ) -> list[WooEvent]:
        rng, placed = self.rng, plan.placed
        events = [WooEvent(placed + timedelta(seconds=rng.randint(1, 5)), "intent_created")]
        auth_at = placed + timedelta(seconds=rng.randint(8, 40))
        roll = rng.random()
        if roll < 0.08:  # checkout abandoned; the shop holds no stock, so only the merchant tidies up
            if rng.random() < 0.6:
                tidy_at = placed + timedelta(seconds=rng.randint(86400, 4 * 86400))
                events.append(WooEvent(tidy_at, "cancel_unpaid"))
            return events
        if roll < 0.12:
            code, message = rng.choice(DECLINES)
            events.append(WooEvent(auth_at, "payment_failed", {"decline_code": code, "message": message}))
            return events
        reviewed = rng.random() < 0.03
        # Radar scores the charge as it is authorised; a high score puts it in review.
        events.append(WooEvent(auth_at, "authorised", {"reviewed": reviewed}))
        if reviewed:
            events.append(WooEvent(auth_at + timedelta(seconds=2), "review_opened"))
        if rng.random() < 0.02:  # the customer changes their mind before the payment is taken
            cancel_at = auth_at + timedelta(seconds=rng.randint(600, 12 * 3600))
            events.append(WooEvent(cancel_at, "cancel_authorised"))
            return events
        if reviewed or rng.random() < 0.08:
            capture_at = auth_at + timedelta(seconds=rng.randint(6 * 3600, 40 * 3600))
        else:
            capture_at = auth_at + timedelta(seconds=rng.randint(60, 3600))
        events.append(WooEvent(capture_at, "captured"))

        despatch_at = self._manual_despatch(plan, capture_at, observed_at, manual_cutoff)
        refund_roll = rng.random()
        if refund_roll < 0.025:  # cancelled after payment: everything back, nothing sent
            refund_at = capture_at + timedelta(seconds=rng.randint(1800, 20 * 3600))
            if despatch_at is not None and refund_at < despatch_at:
                despatch_at = None
            if manual_cutoff is None or plan.placed >= manual_cutoff:
                # Since orderloop runs the merchant only cancels; the refund is orderloop's to request.
                events.append(WooEvent(refund_at, "cancel_paid"))
            else:
                events.append(
                    WooEvent(refund_at, "refund", self._full_refund(plan, "Order cancelled by customer"))
                )
        elif refund_roll < 0.045 and despatch_at is not None:  # returned
            refund_at = despatch_at + timedelta(seconds=rng.randint(3 * 86400, 10 * 86400))
            events.append(WooEvent(refund_at, "refund", self._full_refund(plan, "Returned - changed mind")))
        elif refund_roll < 0.065 and sum(line["quantity"] for line in plan.lines) > 1:
            refund_at = capture_at + timedelta(seconds=rng.randint(3600, 20 * 3600))
            events.append(WooEvent(refund_at, "refund", self._unit_refund(plan, "Out of stock")))
        elif refund_roll < 0.09 and despatch_at is not None:
            refund_at = despatch_at + timedelta(seconds=rng.randint(2 * 86400, 8 * 86400))
            if sum(line["quantity"] for line in plan.lines) > 1 and rng.random() < 0.6:
                payload = self._unit_refund(plan, "Damaged in transit")
            else:
                amount = min(Decimal("5.00"), plan.total - CENT)
                payload = {
                    "amount": money(amount),
                    "reason": "Goodwill gesture",
                    "lines": [],
                    "shipping": False,
                }
            payload["customer_note"] = (
                f"Sorry about that - we've refunded &pound;{payload['amount']} to your card."
            )
            events.append(WooEvent(refund_at, "refund", payload))
        if despatch_at is not None:
            note = rng.choice(DESPATCH_NOTES) if rng.random() < 0.35 else ""
            events.append(WooEvent(despatch_at, "despatched", {"customer_note": note}))
        return sorted(events, key=lambda e: e.at)

    def _manual_despatch(
        self, plan: WooOrderPlan, capture_at: datetime, observed_at: datetime, manual_cutoff: datetime | None
    ) -> datetime | None:
        """Before orderloop the merchant posted paid orders by hand, a working day or two after payment."""
        rng = self.rng
        if manual_cutoff is None or plan.placed >= manual_cutoff or not plan.address_valid:
            return None
        day = add_working_days(capture_at.astimezone(LONDON).date(), 1 if rng.random() < 0.8 else 2)
        despatch_at = london_datetime(day, time(10, 0)) + timedelta(seconds=rng.randint(0, 7 * 3600 - 1))
        if despatch_at > observed_at and manual_cutoff >= observed_at:
            return None  # handing over at observed_at (the demo's go-live): the automation's backlog
        if despatch_at > observed_at:  # weekend/holiday backlog: the merchant caught up by hand
            despatch_at = observed_at - timedelta(seconds=rng.randint(600, 7200))
        if despatch_at <= capture_at + timedelta(minutes=10):
            return None
        return despatch_at

    def _full_refund(self, plan: WooOrderPlan, reason: str) -> dict[str, Any]:
        lines = [
            {"index": i, "quantity": line["quantity"], "total": money(line["total"])}
            for i, line in enumerate(plan.lines)
        ]
        return {"amount": money(plan.total), "reason": reason, "lines": lines, "shipping": True}

    def _unit_refund(self, plan: WooOrderPlan, reason: str) -> dict[str, Any]:
        candidates = [i for i, line in enumerate(plan.lines) if line["quantity"] > 0]
        index = self.rng.choice(candidates) if len(plan.lines) > 1 else 0
        line = plan.lines[index]
        unit = (line["total"] / line["quantity"]).quantize(CENT, rounding=ROUND_HALF_UP)
        return {
            "amount": money(unit),
            "reason": reason,
            "lines": [{"index": index, "quantity": 1, "total": money(unit)}],
            "shipping": False,
        }
