"""Moving the world clock: new shoppers arrive (both channels), payments move on, booked parcels
are collected, the warehouses, carrier and helpdesk catch up, and the merchant refunds returns."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from faker import Faker

from sandbox.collection import collect_api_bookings
from sandbox.logistics import sync_logistics
from sandbox.order_factory import OrderFactory
from sandbox.payments import apply_due_transactions
from sandbox.shopify_refunds import sync_refunds
from sandbox.timeutil import to_iso
from sandbox.woo_lifecycle import simulate_woocommerce, woo_orders_per_day
from sandbox.world import (
    connect,
    get_meta,
    set_world_now,
    transaction,
    upgrade_schema,
    world_now,
    world_seed,
)


def advance(data_dir: Path, hours: float) -> dict[str, Any]:
    """Move the clock forward `hours`; deterministic from the seed and the old clock."""
    if hours < 0:
        raise ValueError("hours must be >= 0")
    conn = connect(Path(data_dir))
    try:
        upgrade_schema(conn)  # a world from before the channel, logistics or refunds gains their tables here
        with transaction(conn):
            old_now = world_now(conn)
            new_now = old_now + timedelta(seconds=round(hours * 3600))
            seed = world_seed(conn)
            rng = random.Random(f"advance:{seed}:{to_iso(old_now)}")
            fake = Faker("en_GB")
            fake.seed_instance(rng.getrandbits(64))
            orders_per_day = float(get_meta(conn, "orders_per_day") or 27)
            factory = OrderFactory(conn, rng, fake, orders_per_day)
            created, _ = factory.simulate(old_now, new_now, observed_at=new_now, manual_cutoff=None)
            payments = apply_due_transactions(conn, new_now)
            despatched = collect_api_bookings(conn, new_now)
            woo_rng = random.Random(f"woocommerce-advance:{seed}:{to_iso(old_now)}")
            woo_fake = Faker("en_GB")
            woo_fake.seed_instance(woo_rng.getrandbits(64))
            woo = simulate_woocommerce(
                conn,
                seed,
                woo_rng,
                woo_fake,
                woo_orders_per_day(orders_per_day),
                old_now,
                new_now,
                observed_at=new_now,
                manual_cutoff=None,
            )
            logistics = sync_logistics(conn, new_now)
            refunds = sync_refunds(conn, new_now)
            set_world_now(conn, new_now)
    finally:
        conn.close()
    return {
        "previous_now": to_iso(old_now),
        "now": to_iso(new_now),
        "orders_created": created,
        "orders_despatched": despatched,
        "payment_events": payments,
        "woocommerce_orders_created": woo["orders_created"],
        "stripe_events_created": woo["stripe_events"],
        "tracker_events_created": logistics["tracker_events"],
        "warehouse_events_created": logistics["warehouse_events"],
        "returns_received": logistics["returns"],
        "zendesk_tickets_created": logistics["tickets"],
        "shopify_refunds_created": refunds,
    }
