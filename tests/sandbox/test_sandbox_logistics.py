"""Warehouses, trackers and the helpdesk in the world: determinism, stock, routing and old worlds."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from sandbox_testkit import NOW, make_world, rows

from sandbox.clock import advance
from sandbox.stats import world_stats
from sandbox.timeutil import to_iso
from sandbox.warehouses import WAREHOUSES, primary_warehouse, stock_at

LOGISTICS_TABLES = [
    "parcels",
    "stock_moves",
    "warehouse_events",
    "returns",
    "trackers",
    "tracker_events",
    "zendesk_tickets",
    "logistics_scheduled",
    "logistics_seen",
    "logistics_state",
]


def dump_logistics(world: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(world / "world.sqlite")
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in LOGISTICS_TABLES}
    finally:
        conn.close()


def test_same_seed_and_now_give_the_same_logistics(tmp_path: Path) -> None:
    first, second = make_world(tmp_path / "a", days=8), make_world(tmp_path / "b", days=8)
    assert dump_logistics(first) == dump_logistics(second)
    assert all(
        dump_logistics(first)[t] for t in ("parcels", "stock_moves", "tracker_events", "zendesk_tickets")
    )
    for world in (first, second):
        advance(world, 30)
    assert dump_logistics(first) == dump_logistics(second)
    assert world_stats(first) == world_stats(second)
    other = make_world(tmp_path / "c", seed=8, days=8)
    assert dump_logistics(other)["tracker_events"] != dump_logistics(first)["tracker_events"]


def test_stats_only_gain_keys(shared_world: Path) -> None:
    stats = world_stats(shared_world)
    assert set(stats) == {
        "clock", "shopify", "click_and_drop", "woocommerce", "stripe", "zendesk", "easypost", "warehouses",
        "faults", "channel_stock", "stripe_refunds", "postmark", "pick_tasks",
    }  # fmt: skip
    assert stats["channel_stock"] == {
        "shopify": {"pushes": 0, "stale_rejections": 0, "adjustment_groups": 0, "available": {}},
        "woocommerce": {"pushes": 0, "stock_quantity": {}},
    }  # a generated world: nothing published yet
    assert stats["stripe_refunds"] == {
        "refunds_created": 0, "amount_refunded": 0, "idempotent_replays": 0, "idempotency_mismatches": 0
    }  # fmt: skip
    assert stats["postmark"] == {"emails_sent": 0, "emails_by_tag": {}}
    assert stats["pick_tasks"] == {
        "batches_received": 0, "orders_released": 0, "orders_released_by_warehouse": {},
        "duplicate_orders_ignored": 0, "orders_already_picked": 0, "idempotent_replays": 0,
        "idempotency_mismatches": 0,
    }  # fmt: skip
    assert set(stats["zendesk"]) == {"tickets_total", "tickets_by_reason", "tickets_by_status"}
    assert set(stats["easypost"]) == {
        "trackers_total", "events_total", "events_delivered", "events_pending", "trackers_by_status"
    }  # fmt: skip
    assert set(stats["warehouses"]) == {
        "files_written", "rows_written", "malformed_rows_written",
        "stock_rows", "fulfilment_rows", "returns_rows",
    }  # fmt: skip
    easypost = stats["easypost"]
    assert easypost["trackers_total"] == sum(easypost["trackers_by_status"].values()) > 0
    assert easypost["events_pending"] == easypost["events_total"] > easypost["trackers_total"]


def test_stock_runs_out_is_replenished_and_never_negative(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w", days=20)
    conn = sqlite3.connect(world / "world.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        zeros, moment = 0, NOW - timedelta(days=19)
        while moment <= NOW:
            for code in WAREHOUSES:
                levels = stock_at(conn, code, moment)
                assert len(levels) == 40 and min(levels.values()) >= 0
                zeros += sum(1 for n in levels.values() if n == 0)
            moment += timedelta(hours=7)
    finally:
        conn.close()
    assert zeros > 0
    kinds = {
        r["kind"] for r in rows(world, "SELECT DISTINCT kind FROM stock_moves WHERE at <= ?", (to_iso(NOW),))
    }
    assert kinds == {"opening", "pick", "delivery", "return"}
    parcels = rows(world, "SELECT * FROM parcels WHERE order_key IS NOT NULL")
    nearer = sum(1 for p in parcels if p["warehouse"] == primary_warehouse(p["postcode"]))
    assert len(parcels) > nearer > 0.8 * len(parcels)  # the nearer site, unless only the other has stock


def test_a_world_from_before_logistics_catches_up(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    conn = sqlite3.connect(world / "world.sqlite")
    for table in LOGISTICS_TABLES + ["feed_files"]:
        conn.execute(f"DROP TABLE {table}")
    conn.commit()
    conn.close()
    empty = world_stats(world)
    assert empty["easypost"]["trackers_total"] == empty["zendesk"]["tickets_total"] == 0
    summary = advance(world, 1)
    assert summary["tracker_events_created"] > 0 and summary["warehouse_events_created"] > 0
    assert world_stats(world)["easypost"]["trackers_total"] == len(
        rows(world, "SELECT 1 FROM bookings")
    ) + len(rows(world, "SELECT 1 FROM woo_orders WHERE completed_gmt IS NOT NULL"))
