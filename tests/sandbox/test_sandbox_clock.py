"""Advancing the world: new orders, payment events and Royal Mail collections."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sandbox_testkit import Client, booking_item, dump, make_world

from sandbox.clock import advance
from sandbox.stats import orders_missing_booking, world_stats
from sandbox.working_days import next_collection

ORDER = """
query($q: String) {
  orders(first: 1, query: $q) {
    nodes {
      name updatedAt displayFulfillmentStatus
      fulfillments(first: 2) { createdAt trackingInfo { number } }
    }
  }
}
"""


def test_collection_calendar() -> None:
    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    assert next_collection(at("2026-11-04T12:00:00")) == at("2026-11-04T16:00:00")
    assert next_collection(at("2026-11-04T16:00:00")) == at("2026-11-04T16:00:00")
    assert next_collection(at("2026-11-06T16:00:01")) == at("2026-11-09T16:00:00")  # Friday -> Monday
    assert next_collection(at("2026-12-24T17:00:00")) == at(
        "2026-12-29T16:00:00"
    )  # Christmas, Boxing Day obs.
    assert next_collection(at("2026-07-01T09:00:00")) == at("2026-07-01T15:00:00")  # 16:00 BST


def test_advance_despatches_api_booking_at_collection(client: Client, world: Path) -> None:
    name = orders_missing_booking(world)[0]
    booked = client.book([booking_item(name)]).json()["createdOrders"][0]
    before = world_stats(world)

    early = advance(world, 2)  # 14:00, before the 16:00 collection
    assert early["orders_despatched"] == 0 and early["now"] == "2026-11-04T14:00:00Z"
    summary = advance(world, 4)  # 18:00
    assert summary["now"] == "2026-11-04T18:00:00Z"
    assert summary["orders_despatched"] == 1
    assert early["orders_created"] + summary["orders_created"] > 0

    order = client.data(ORDER, {"q": f"name:{name}"})["orders"]["nodes"][0]
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    (fulfillment,) = order["fulfillments"]
    assert fulfillment["createdAt"] == "2026-11-04T16:00:00Z" == order["updatedAt"]
    assert fulfillment["trackingInfo"] == [{"number": booked["trackingNumber"]}]
    (shipped,) = client.cnd_get(f"/orders/{booked['orderIdentifier']}").json()
    assert shipped["shippedOn"] == "2026-11-04T16:00:00Z"

    after = world_stats(world)
    created = early["orders_created"] + summary["orders_created"]
    assert after["shopify"]["orders_total"] == before["shopify"]["orders_total"] + created
    assert after["clock"]["now"] == "2026-11-04T18:00:00Z"
    newest = client.data("{ orders(first: 1, reverse: true) { nodes { createdAt } } }")["orders"]["nodes"][0]
    assert "2026-11-04T12:00:00Z" <= newest["createdAt"] < "2026-11-04T18:00:00Z"


def test_advance_is_deterministic_and_applies_due_captures(tmp_path: Path) -> None:
    first, second = make_world(tmp_path / "a"), make_world(tmp_path / "b")
    conn = sqlite3.connect(first / "world.sqlite")
    pending = conn.execute("SELECT order_id FROM scheduled_transactions WHERE kind = 'CAPTURE'").fetchall()
    conn.close()
    assert pending, "seed 7 leaves captures due after the clock"
    for world in (first, second):
        advance(world, 30)
    assert dump(first) == dump(second)
    conn = sqlite3.connect(first / "world.sqlite")
    for (order_id,) in pending:
        status, updated = conn.execute(
            "SELECT financial_status, updated_at FROM orders WHERE id = ?", (order_id,)
        ).fetchone()
        capture = conn.execute(
            "SELECT processed_at FROM transactions WHERE order_id = ? AND kind = 'CAPTURE'", (order_id,)
        ).fetchone()
        assert status == "PAID" and capture is not None and updated >= capture[0] > "2026-11-04T12:00:00Z"
    conn.close()
