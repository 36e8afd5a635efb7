"""Simulating shoppers: orders, customers, payments and cancellations over a time interval.

Used by the generator (history) and the clock (new orders); both derive their RNG from the seed,
so the same inputs always produce the same orders. Events later than `observed_at` have not
happened yet and are left out.

A world generated with `large_order_every=k` (kept in meta, so the clock's new orders follow it
too; off by default) gives every k-th order by number (#1000+k, #1000+2k, ...) `LARGE_ORDER_LINES`
distinct line items instead of one to four, so clients have to page an order's nested connections.
"""

from __future__ import annotations

import math
import random
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from faker import Faker

from sandbox.postcodes import random_invalid_postcode, random_valid_postcode
from sandbox.timeutil import LONDON, to_iso
from sandbox.working_days import add_working_days, london_datetime
from sandbox.world import FIRST_ORDER_NUMBER, get_meta, next_id

# Relative order volume by London weekday (Mon..Sun) and hour of day; mostly 08:00-22:00.
WEEKDAY_WEIGHTS = [1.1, 1.1, 1.05, 1.05, 1.0, 0.75, 0.8]
HOUR_WEIGHTS = [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3, 4, 5, 5, 6, 6, 5, 5, 5, 5, 6, 7, 8, 7, 5, 2]
CANCEL_REASONS = ["CUSTOMER", "INVENTORY", "FRAUD", "STAFF", "OTHER", "DECLINED"]
CANCEL_REASON_WEIGHTS = [45, 15, 10, 10, 15, 5]
GATEWAY = "shopify_payments"
FREE_SHIPPING_FROM = Decimal("50.00")
SHIPPING_CHARGE = Decimal("3.95")
CENT = Decimal("0.01")
LARGE_ORDER_LINES = 13
LARGE_ORDER_META = "large_order_every"


@dataclass(frozen=True)
class ManualDespatch:
    """An order the merchant despatched by hand before orderloop existed."""

    order_id: int
    name: str
    order_date: str
    despatch_at: datetime


def payment_status(successful_kinds: Iterable[str]) -> str:
    """displayFinancialStatus implied by an order's successful transactions so far."""
    kinds = set(successful_kinds)
    if "REFUND" in kinds:
        return "REFUNDED"
    if "VOID" in kinds:
        return "VOIDED"
    if "CAPTURE" in kinds:
        return "PAID"
    if "AUTHORIZATION" in kinds:
        return "AUTHORIZED"
    return "PENDING"


def large_order_every(conn: sqlite3.Connection) -> int | None:
    """The world's `large_order_every` setting (None: off, the default)."""
    value = get_meta(conn, LARGE_ORDER_META)
    return int(value) if value else None


def _poisson(rng: random.Random, lam: float) -> int:
    limit = math.exp(-lam)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _slug(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower()) or "customer"


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def placement_times(
    rng: random.Random, orders_per_day: float, start: datetime, end: datetime
) -> list[datetime]:
    """Order times in [start, end): a Poisson process weighted by London weekday and hour."""
    mean_weekday = sum(WEEKDAY_WEIGHTS) / len(WEEKDAY_WEIGHTS)
    hour_total = sum(HOUR_WEIGHTS)
    times: list[datetime] = []
    slot = start.replace(minute=0, second=0, microsecond=0)
    while slot < end:
        lo, hi = max(slot, start), min(slot + timedelta(hours=1), end)
        span = (hi - lo).total_seconds()
        if span > 0:
            local = slot.astimezone(LONDON)
            lam = (
                orders_per_day
                * WEEKDAY_WEIGHTS[local.weekday()]
                / mean_weekday
                * HOUR_WEIGHTS[local.hour]
                / hour_total
                * span
                / 3600
            )
            for _ in range(_poisson(rng, lam)):
                times.append(lo + timedelta(seconds=int(rng.random() * span)))
        slot += timedelta(hours=1)
    return sorted(times)


class OrderFactory:
    """Creates orders in a world, one interval at a time."""

    def __init__(self, conn: sqlite3.Connection, rng: random.Random, fake: Faker, orders_per_day: float):
        self.conn = conn
        self.rng = rng
        self.fake = fake
        self.orders_per_day = orders_per_day
        self.products = [dict(r) for r in conn.execute("SELECT * FROM products ORDER BY sku")]
        self.customer_ids = [r["id"] for r in conn.execute("SELECT id FROM customers ORDER BY id")]
        row = conn.execute("SELECT MAX(number) AS m FROM orders").fetchone()
        self.next_number = (row["m"] or FIRST_ORDER_NUMBER - 1) + 1
        self.large_order_every = large_order_every(conn)

    def is_large(self, number: int) -> bool:
        """Whether order `number` is one of the world's large orders."""
        every = self.large_order_every
        return every is not None and (number - FIRST_ORDER_NUMBER + 1) % every == 0

    def placement_times(self, start: datetime, end: datetime) -> list[datetime]:
        """Order times in [start, end) for this shop's volume."""
        return placement_times(self.rng, self.orders_per_day, start, end)

    def simulate(
        self, start: datetime, end: datetime, observed_at: datetime, manual_cutoff: datetime | None
    ) -> tuple[int, list[ManualDespatch]]:
        """Create the orders placed in [start, end); orders placed before `manual_cutoff` that end up
        paid, valid and not cancelled are returned for manual despatch."""
        despatches: list[ManualDespatch] = []
        placements = self.placement_times(start, end)
        for placed in placements:
            despatch = self._create_order(placed, observed_at, manual_cutoff)
            if despatch is not None:
                despatches.append(despatch)
        return len(placements), despatches

    def _customer(self, at: datetime) -> sqlite3.Row:
        rng = self.rng
        if self.customer_ids and rng.random() < 0.25:
            customer_id = rng.choice(self.customer_ids)
        else:
            first, last = self.fake.first_name(), self.fake.last_name()
            town, postcode = random_valid_postcode(rng)
            customer_id = next_id(self.conn, "customers")
            self.conn.execute(
                "INSERT INTO customers(id, first_name, last_name, email, phone, address1, address2,"
                " city, zip, country, country_code, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'United Kingdom', 'GB', ?, ?)",
                (
                    customer_id,
                    first,
                    last,
                    f"{_slug(first)}.{_slug(last)}{rng.randint(1, 99)}@example.com",
                    f"+447700900{rng.randint(0, 999):03d}",
                    f"{rng.randint(1, 240)} {self.fake.street_name()}",
                    f"Flat {rng.randint(1, 40)}" if rng.random() < 0.15 else None,
                    town,
                    postcode,
                    to_iso(at),
                    to_iso(at),
                ),
            )
            self.customer_ids.append(customer_id)
        return self.conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()

    def _create_order(
        self, placed: datetime, observed_at: datetime, manual_cutoff: datetime | None
    ) -> ManualDespatch | None:
        rng, conn = self.rng, self.conn
        customer = self._customer(placed)
        order_id = next_id(conn, "orders")
        number = self.next_number
        self.next_number += 1

        count = rng.choices([1, 2, 3, 4], weights=[55, 28, 12, 5])[0]
        if self.is_large(number):
            count = LARGE_ORDER_LINES
        lines = []
        for product in rng.sample(self.products, count):
            quantity = rng.choices([1, 2, 3], weights=[80, 15, 5])[0]
            lines.append((product, quantity))
        subtotal = sum((Decimal(p["price"]) * q for p, q in lines), Decimal("0"))
        shipping = Decimal("0.00") if subtotal >= FREE_SHIPPING_FROM else SHIPPING_CHARGE
        total = subtotal + shipping
        weight = sum(p["weight_grams"] * q for p, q in lines)

        address_valid = rng.random() >= 0.02
        zip_code = customer["zip"] if address_valid else random_invalid_postcode(rng)
        phone = customer["phone"] if rng.random() < 0.6 else None

        # Payment and cancellation plan; what actually happened depends on observed_at.
        auth_at = placed + timedelta(seconds=rng.randint(2, 20))
        roll = rng.random()
        payment = "failed" if roll < 0.03 else "authorized" if roll < 0.075 else "paid"
        capture_at = auth_at + timedelta(seconds=rng.randint(60, 3600))
        wants_cancel = rng.random() < 0.05
        cancel_at: datetime | None = placed + timedelta(seconds=rng.randint(300, 30 * 3600))
        if payment == "failed" and rng.random() < 0.7:
            reason = "DECLINED"
        else:
            reason = rng.choices(CANCEL_REASONS, weights=CANCEL_REASON_WEIGHTS)[0]

        despatch_at = None
        if payment == "paid" and address_valid and manual_cutoff is not None and placed < manual_cutoff:
            day = add_working_days(placed.astimezone(LONDON).date(), 1 if rng.random() < 0.8 else 2)
            despatch_at = london_datetime(day, time(10, 0)) + timedelta(seconds=rng.randint(0, 7 * 3600 - 1))
            if despatch_at > observed_at and manual_cutoff < observed_at:
                # Weekend/holiday backlog: the merchant caught up by hand.
                despatch_at = observed_at - timedelta(seconds=rng.randint(600, 7200))
            elif despatch_at > observed_at:
                # Handing over at observed_at (the demo's go-live): the backlog is the automation's.
                despatch_at = None
        if (
            not wants_cancel
            or cancel_at > observed_at
            or (despatch_at is not None and cancel_at >= despatch_at)
        ):
            cancel_at = None
        if cancel_at is not None:
            despatch_at = None

        # Payment events after observed_at are scheduled; the clock applies them when they fall due.
        planned = [("AUTHORIZATION", "FAILURE" if payment == "failed" else "SUCCESS", auth_at)]
        if payment == "paid" and (cancel_at is None or capture_at < cancel_at):
            planned.append(("CAPTURE", "SUCCESS", capture_at))
        transactions = [event for event in planned if event[2] <= observed_at]
        scheduled = [event for event in planned if event[2] > observed_at]
        status = payment_status(kind for kind, txn_status, _ in transactions if txn_status == "SUCCESS")
        if cancel_at is not None:
            if status == "AUTHORIZED":
                transactions.append(("VOID", "SUCCESS", cancel_at))
                status = "VOIDED"
            elif status == "PAID":
                transactions.append(("REFUND", "SUCCESS", cancel_at))
                status = "REFUNDED"
        updated_at = max([placed, *(t for _, _, t in transactions), *([cancel_at] if cancel_at else [])])

        conn.execute(
            "INSERT INTO orders(id, number, name, customer_id, email, phone, created_at, updated_at,"
            " processed_at, cancelled_at, cancel_reason, closed_at, financial_status, fulfillment_status,"
            " currency, subtotal, shipping, total, total_weight_grams, ship_first_name, ship_last_name,"
            " ship_address1, ship_address2, ship_city, ship_province, ship_zip, ship_country,"
            " ship_country_code, ship_phone, address_valid)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'UNFULFILLED', 'GBP', ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " NULL, ?, 'United Kingdom', 'GB', ?, ?)",
            (
                order_id,
                number,
                f"#{number}",
                customer["id"],
                customer["email"],
                phone,
                to_iso(placed),
                to_iso(updated_at),
                to_iso(placed),
                to_iso(cancel_at) if cancel_at else None,
                reason if cancel_at else None,
                to_iso(cancel_at) if cancel_at else None,
                status,
                _money(subtotal),
                _money(shipping),
                _money(total),
                weight,
                customer["first_name"],
                customer["last_name"],
                customer["address1"],
                customer["address2"],
                customer["city"],
                zip_code,
                customer["phone"],
                int(address_valid),
            ),
        )
        for product, quantity in lines:
            conn.execute(
                "INSERT INTO line_items(id, order_id, sku, title, quantity, unit_price, weight_grams)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    next_id(conn, "line_items"),
                    order_id,
                    product["sku"],
                    product["title"],
                    quantity,
                    product["price"],
                    product["weight_grams"],
                ),
            )
        for kind, txn_status, at in transactions:
            conn.execute(
                "INSERT INTO transactions(id, order_id, kind, status, gateway, amount, created_at,"
                " processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    next_id(conn, "transactions"),
                    order_id,
                    kind,
                    txn_status,
                    GATEWAY,
                    _money(total),
                    to_iso(at),
                    to_iso(at),
                ),
            )
        for kind, txn_status, at in scheduled:
            conn.execute(
                "INSERT INTO scheduled_transactions(order_id, kind, status, at) VALUES (?, ?, ?, ?)",
                (order_id, kind, txn_status, to_iso(at)),
            )
        if despatch_at is None:
            return None
        return ManualDespatch(order_id, f"#{number}", to_iso(placed), despatch_at)
