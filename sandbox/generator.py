"""Building a fresh world: catalogue, `days` of order history and the merchant's manual despatches."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from faker import Faker

from sandbox.bookings import create_booking
from sandbox.fulfilment import fulfil_order
from sandbox.logistics import sync_logistics
from sandbox.order_factory import LARGE_ORDER_META, ManualDespatch, OrderFactory
from sandbox.shopify_refunds import sync_refunds
from sandbox.timeutil import normalise, to_iso, utc_now_hour
from sandbox.woo_lifecycle import simulate_woocommerce, woo_orders_per_day
from sandbox.world import create_world_file, set_meta, set_world_now, transaction

# (sku stem, title, price in GBP, weight in grams); each comes in two colours -> 40 SKUs.
BASE_PRODUCTS = [
    ("MUG", "Stoneware Mug", "14.00", 420),
    ("CUP", "Espresso Cup Pair", "18.50", 380),
    ("TEA", "Loose Leaf Tea Tin", "9.95", 150),
    ("CAN", "Soy Wax Candle", "22.00", 520),
    ("TOT", "Organic Cotton Tote", "12.00", 140),
    ("NBK", "Dot Grid Notebook", "11.50", 310),
    ("PEN", "Brass Fountain Pen", "34.00", 90),
    ("SCF", "Merino Scarf", "45.00", 220),
    ("SOK", "Wool Socks", "8.50", 90),
    ("PLT", "Speckled Side Plate", "16.00", 460),
    ("BWL", "Ceramic Bowl", "19.00", 540),
    ("TWL", "Linen Tea Towel", "10.50", 120),
    ("SOP", "Olive Oil Soap", "6.50", 130),
    ("DIF", "Reed Diffuser", "27.50", 610),
    ("PLN", "Mini Planter", "15.00", 700),
    ("PRT", "A4 Art Print", "24.00", 180),
    ("CRD", "Greeting Card Set", "7.95", 160),
    ("BLK", "Lambswool Blanket", "59.00", 1350),
    ("CUS", "Cushion Cover", "21.00", 260),
    ("CST", "Cork Coaster Set", "9.00", 200),
]
COLOURS = [("SGE", "Sage"), ("CHR", "Charcoal")]


def _catalogue() -> list[tuple[str, str, str, int]]:
    products = []
    for stem, title, price, weight in BASE_PRODUCTS:
        for offset, (code, colour) in enumerate(COLOURS):
            variant_price = Decimal(price) + Decimal(offset)  # the darker colour costs £1 more
            products.append((f"OL-{stem}-{code}", f"{title} - {colour}", str(variant_price), weight))
    return products


def generate_world(
    data_dir: Path,
    days: int = 30,
    seed: int = 7,
    now: datetime | None = None,
    orders_per_day: int = 27,
    large_order_every: int | None = None,
    manual_until: datetime | None = None,
) -> None:
    """Replace the world in `data_dir`; the same seed and `now` always give the same content.

    `large_order_every=k` makes every k-th Shopify order a large one (13 line items, so three
    fulfillment orders), here and in every later `advance`, for clients that must page an order's
    nested connections; off by default, and then the world is exactly what it always was.

    The merchant despatches by hand every paid order placed before ``manual_until`` (default:
    24 hours before ``now``); later ones wait for an automation to book their labels through the
    Click & Drop API, as every order placed after ``now`` does."""
    if days < 1:
        raise ValueError("days must be >= 1")
    if large_order_every is not None and large_order_every < 1:
        raise ValueError("large_order_every must be >= 1")
    clock = normalise(now) if now is not None else utc_now_hour()
    by_hand_until = normalise(manual_until) if manual_until is not None else clock - timedelta(hours=24)
    if by_hand_until > clock:
        raise ValueError("manual_until must not be after now")
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)

    conn = create_world_file(Path(data_dir))
    try:
        with transaction(conn):
            set_meta(conn, "seed", seed)
            set_meta(conn, "generated_days", days)
            set_meta(conn, "orders_per_day", orders_per_day)
            if large_order_every is not None:  # no meta row when off: default worlds stay byte-identical
                set_meta(conn, LARGE_ORDER_META, large_order_every)
            set_world_now(conn, clock)
            conn.executemany(
                "INSERT INTO products(sku, title, price, weight_grams) VALUES (?, ?, ?, ?)", _catalogue()
            )
            factory = OrderFactory(conn, rng, fake, orders_per_day)
            _, despatches = factory.simulate(
                clock - timedelta(days=days),
                clock,
                observed_at=clock,
                manual_cutoff=by_hand_until,
            )
            _record_manual_history(conn, despatches)
            # The WooCommerce channel draws from its own stream, after Shopify, so it cannot disturb it.
            woo_rng = random.Random(f"woocommerce:{seed}")
            woo_fake = Faker("en_GB")
            woo_fake.seed_instance(woo_rng.getrandbits(64))
            simulate_woocommerce(
                conn,
                seed,
                woo_rng,
                woo_fake,
                woo_orders_per_day(orders_per_day),
                clock - timedelta(days=days),
                clock,
                observed_at=clock,
                manual_cutoff=by_hand_until,
            )
            # Warehouses, trackers and the helpdesk only read the channels, so they come last; the
            # merchant's refunds read the returns the warehouses received, so they come after them.
            sync_logistics(conn, clock)
            sync_refunds(conn, clock)
    finally:
        conn.close()


def _record_manual_history(conn: sqlite3.Connection, despatches: list[ManualDespatch]) -> None:
    """Bookings typed into Click & Drop by hand, then the tracking number copied into Shopify."""
    for item in sorted(despatches, key=lambda d: (d.despatch_at, d.order_id)):
        at = to_iso(item.despatch_at)
        booking = create_booking(
            conn,
            reference=item.name,
            order_date=item.order_date,
            created_on=at,
            shipped_on=at,
            source="manual",
            request={"orderReference": item.name, "orderDate": item.order_date, "enteredBy": "merchant"},
        )
        fulfil_order(conn, item.order_id, booking["tracking_number"], at)
