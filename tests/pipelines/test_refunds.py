"""Refunds for cancelled orders against the sandbox's Stripe API: each requested once, a
request repeated after a crash is replayed by Stripe (Idempotency-Key), a refusal is kept."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest
import requests

from connectors.stripe.refunds import StripeRefunds
from orderloop.sandbox_mode import SANDBOX_STRIPE_KEY
from pipelines.actions.refund_ledger import RefundLedger, refund_key
from pipelines.actions.refunds import refund_cancelled_orders
from sandbox.stats import world_stats


@pytest.fixture
def captured(sandbox_url) -> dict:
    """A captured, unrefunded payment in the sandbox world, as a refund queue row."""
    events = requests.get(
        f"{sandbox_url}/v1/events", params={"type": "payment_intent.succeeded", "limit": 100},
        headers={"Authorization": f"Bearer {SANDBOX_STRIPE_KEY}"}, timeout=30,
    ).json()["data"]
    intent = next(e["data"]["object"] for e in events if not e["data"]["object"].get("amount_refunded"))
    return {
        "order_id": intent["metadata"]["order_id"],
        "order_name": intent["metadata"]["order_reference"],
        "payment_intent_id": intent["id"],
        "amount_minor_units": intent["amount"],
    }


@pytest.fixture
def stripe(sandbox_url) -> StripeRefunds:
    return StripeRefunds.from_config()


@pytest.fixture
def ledger(tmp_path):
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        yield RefundLedger(conn)


def _refunds(world) -> dict:
    return world_stats(world.sandbox)["stripe_refunds"]


def test_a_cancelled_order_is_refunded_once(world, captured, stripe, ledger):
    first = refund_cancelled_orders([captured], ledger, stripe)
    assert first.refunded == 1 and not first.failures
    again = refund_cancelled_orders([captured], ledger, stripe)
    assert (again.refunded, again.already_done) == (0, 1)
    stats = _refunds(world)
    assert (stats["refunds_created"], stats["amount_refunded"]) == (1, captured["amount_minor_units"])


def test_a_refund_repeated_after_a_crash_is_replayed_not_doubled(world, captured, stripe, ledger):
    key = refund_key(captured["order_id"], captured["payment_intent_id"], captured["amount_minor_units"])
    now = datetime.now(UTC).replace(tzinfo=None)
    amount = captured["amount_minor_units"]
    ledger.record_pending(key, captured["order_id"], captured["payment_intent_id"], amount, now)
    # Stripe refunded, then the worker died before the ledger heard.
    stripe.refund(captured["payment_intent_id"], captured["amount_minor_units"], key, captured["order_name"])

    summary = refund_cancelled_orders([captured], ledger, stripe)
    assert (summary.refunded, summary.replayed) == (0, 1)
    stats = _refunds(world)
    assert (stats["refunds_created"], stats["idempotent_replays"]) == (1, 1)
    assert ledger.status(key) == "refunded"


def test_a_refused_refund_is_recorded_with_the_reason_and_not_retried(world, captured, stripe, ledger):
    too_much = {**captured, "amount_minor_units": captured["amount_minor_units"] + 1}
    summary = refund_cancelled_orders([too_much], ledger, stripe)
    assert summary.refunded == 0 and "greater than" in summary.failures[0]
    assert SANDBOX_STRIPE_KEY not in summary.failures[0]
    again = refund_cancelled_orders([too_much], ledger, stripe)
    assert again.already_done == 1
    assert _refunds(world)["refunds_created"] == 0
