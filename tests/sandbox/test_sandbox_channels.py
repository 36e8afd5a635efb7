"""The WooCommerce channel and its Stripe account in the world: determinism, stats, the clock, and
proof that adding them left the Shopify / Click & Drop content of every seed untouched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sandbox_testkit import NOW, all_stripe_events, all_woo_orders, dump, dump_channel, make_world, rows

from sandbox.clock import advance
from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from sandbox.stripe_events import unix

# sha256(repr(dump(world))) of the Shopify + Click & Drop tables, taken before the channel existed.
SHOPIFY_SEED7_5DAYS = "c1e1dd2689c7bac0a69d442c682ddf3af9da6d56d8a85d49c6490710e089a0f5"
SHOPIFY_SEED7_5DAYS_ADVANCED_30H = "ffae0437b9823d7f1a7ccee1d418aa89e1c8a189bf40f6ff0f8926c3bf546954"


def _fingerprint(world: Path) -> str:
    return hashlib.sha256(repr(dump(world)).encode()).hexdigest()


def test_shopify_and_click_and_drop_content_is_unchanged(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    assert _fingerprint(world) == SHOPIFY_SEED7_5DAYS
    advance(world, 30)
    assert _fingerprint(world) == SHOPIFY_SEED7_5DAYS_ADVANCED_30H


def test_same_seed_and_now_give_the_same_channel(tmp_path: Path) -> None:
    first, second = make_world(tmp_path / "a"), make_world(tmp_path / "b")
    assert dump_channel(first) == dump_channel(second)
    with SandboxServer(first) as one, SandboxServer(second) as two:

        def strip(order: dict) -> dict:  # links carry the server's own address
            return {k: v for k, v in order.items() if k not in ("_links", "payment_url")}

        assert [strip(o) for o in all_woo_orders(one)] == [strip(o) for o in all_woo_orders(two)]
        assert all_stripe_events(one) == all_stripe_events(two)
    for world in (first, second):
        advance(world, 20)
    assert dump_channel(first) == dump_channel(second)
    other = make_world(tmp_path / "c", seed=8)
    assert dump_channel(other)["woo_orders"] != dump_channel(first)["woo_orders"]


def test_stats_shape(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w", days=30)
    stats = world_stats(world)
    woo, stripe = stats["woocommerce"], stats["stripe"]
    assert set(woo) == {
        "orders_total", "orders_by_status", "refunds_total", "notes_total", "orders_processing_address_valid"
    }
    assert set(stripe) == {"events_total", "events_by_type"}
    assert sum(woo["orders_by_status"].values()) == woo["orders_total"]
    assert sum(stripe["events_by_type"].values()) == stripe["events_total"]
    shopify_total = stats["shopify"]["orders_total"]
    assert shopify_total / 4 < woo["orders_total"] < shopify_total / 2  # about a third as busy
    assert set(woo["orders_by_status"]) == {
        "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"
    }  # fmt: skip
    assert woo["refunds_total"] > woo["orders_by_status"]["refunded"] > 0  # some refunds are partial
    assert woo["notes_total"] > 2 * woo["orders_total"]
    types = stripe["events_by_type"]
    assert types["payment_intent.created"] == woo["orders_total"]
    assert types["charge.refunded"] == woo["refunds_total"]
    assert (
        types["review.opened"] > 0
        and types["payment_intent.payment_failed"] == woo["orders_by_status"]["failed"]
    )
    customer_notes = rows(world, "SELECT COUNT(*) AS n FROM woo_notes WHERE customer_note = 1")[0]["n"]
    assert 0 < customer_notes < woo["notes_total"]


def test_advance_moves_the_channel_on(world: Path) -> None:
    before = world_stats(world)
    on_hold = [r["id"] for r in rows(world, "SELECT id FROM woo_orders WHERE status = 'on-hold'")]
    summary = advance(world, 30)
    after = world_stats(world)
    created = summary["woocommerce_orders_created"]
    assert created > 0 and summary["stripe_events_created"] > created
    assert after["woocommerce"]["orders_total"] == before["woocommerce"]["orders_total"] + created
    assert (
        after["stripe"]["events_total"] == before["stripe"]["events_total"] + summary["stripe_events_created"]
    )
    for order_id in on_hold:  # their captures were due within the 30 hours
        (row,) = rows(world, "SELECT status, paid_gmt FROM woo_orders WHERE id = ?", (order_id,))
        assert row["status"] == "processing" and row["paid_gmt"] > "2026-11-04T12:00:00Z"
    with SandboxServer(world) as server:
        new_orders = all_woo_orders(server, after="2026-11-04T12:00:00Z")
        assert len(new_orders) == created
        assert all(o["status"] != "completed" for o in new_orders)  # despatch is the pipeline's job now
        changed = all_woo_orders(server, modified_after="2026-11-04T12:00:00Z")
        assert {o["id"] for o in new_orders} < {o["id"] for o in changed}
        new_events = all_stripe_events(server, **{"created[gt]": unix(NOW)})
        assert len(new_events) == summary["stripe_events_created"]
        placed = {str(o["id"]) for o in new_orders}
        assert placed <= {e["data"]["object"]["metadata"]["order_id"] for e in new_events}
    scheduled = rows(world, "SELECT at FROM woo_scheduled")
    assert all(r["at"] > "2026-11-05T18:00:00Z" for r in scheduled)
    assert (
        json.loads(
            rows(world, "SELECT body_json FROM stripe_events ORDER BY seq DESC LIMIT 1")[0]["body_json"]
        )["created"]
        <= unix(NOW) + 30 * 3600
    )
