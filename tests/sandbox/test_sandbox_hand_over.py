"""A world generated to hand over at its `now` (the demo's go-live): people despatched by hand
before it, and the Shopify orders they had not yet despatched are left for the automation (the
WooCommerce planner follows the same rule); the default world is unchanged (its backlog is caught
up by hand)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sandbox_testkit import NOW

from sandbox.generator import generate_world
from sandbox.timeutil import parse_iso


def _waiting(world: Path) -> dict[str, int]:
    """Paid, valid, open orders placed over a day before now with no booking, per channel."""
    with sqlite3.connect(world / "world.sqlite") as conn:
        shopify = conn.execute(
            "SELECT COUNT(*) FROM orders WHERE financial_status = 'PAID' AND address_valid = 1"
            " AND cancelled_at IS NULL AND fulfillment_status = 'UNFULFILLED' AND created_at < ?",
            ((NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),),
        ).fetchone()[0]
        manual = [parse_iso(row[0]) for row in conn.execute(
            "SELECT created_on FROM bookings WHERE source = 'manual'"
        )]
    after_now = sum(at > NOW for at in manual)
    return {"shopify": shopify, "manual_bookings": len(manual), "manual_after_now": after_now}


@pytest.mark.parametrize("hand_over", [False, True])
def test_handing_over_leaves_the_manual_backlog_to_the_automation(tmp_path: Path, hand_over: bool) -> None:
    world = tmp_path / "world"
    generate_world(world, days=6, seed=5, now=NOW, manual_until=NOW if hand_over else None)
    figures = _waiting(world)
    assert figures["manual_bookings"] > 0 and figures["manual_after_now"] == 0
    if hand_over:
        assert figures["shopify"] > 0, "orders paid yesterday wait for a label, not for a person"
    else:
        assert figures["shopify"] == 0, "a default world's older orders were all despatched by hand"


def test_the_hand_over_cannot_be_in_the_future(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="manual_until"):
        generate_world(tmp_path / "world", days=2, seed=5, now=NOW, manual_until=NOW + timedelta(hours=1))
