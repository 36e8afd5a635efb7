"""Stripe Events API contract over real HTTP, and how events tie back to WooCommerce orders."""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sandbox_testkit import STRIPE_KEY, all_stripe_events, all_woo_orders, make_world, stripe_get, woo_get

from sandbox.server import SandboxServer
from sandbox.stats import world_stats

PAYMENT_TYPES = {
    "payment_intent.created",
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.succeeded",
    "charge.captured",
    "charge.failed",
    "charge.refunded",
}


@pytest.fixture(scope="module")
def server(shared_world: Path) -> Iterator[SandboxServer]:
    with SandboxServer(shared_world) as running:
        yield running


@pytest.fixture(scope="module")
def events(server: SandboxServer) -> list[dict]:
    return all_stripe_events(server)


def test_auth_is_required(server: SandboxServer) -> None:
    missing = stripe_get(server, "/events", key=None)
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in missing.json()["error"]["message"]
    wrong_key = "sk_test_51AbCdEfGhIjKlMnOpQrStUv"
    wrong = stripe_get(server, "/events", key=wrong_key)
    assert wrong.status_code == 401
    message = wrong.json()["error"]["message"]
    assert message.startswith("Invalid API Key provided: sk_test_") and message.endswith("StUv")
    assert wrong_key not in wrong.text
    basic = base64.b64encode(f"{STRIPE_KEY}:".encode()).decode()
    as_user = requests.get(f"{server.url}/v1/events", headers={"Authorization": f"Basic {basic}"}, timeout=10)
    assert as_user.status_code == 200 and as_user.headers["Request-Id"].startswith("req_")


def test_starting_after_walks_every_event_once_newest_first(
    server: SandboxServer, shared_world: Path, events: list[dict]
) -> None:
    stats = world_stats(shared_world)["stripe"]
    seen, pages, body = [], 0, {"has_more": True}
    while body["has_more"]:
        cursor = {"starting_after": seen[-1]["id"]} if seen else {}
        body = stripe_get(server, "/events", {"limit": 25, **cursor}).json()
        assert body["object"] == "list" and body["url"] == "/v1/events"
        assert 0 < len(body["data"]) <= 25
        seen += body["data"]
        pages += 1
    ids = [e["id"] for e in seen]
    assert len(ids) == len(set(ids)) == stats["events_total"] and pages == -(-len(ids) // 25)
    assert [e["id"] for e in events] == ids
    created = [e["created"] for e in seen]
    assert created == sorted(created, reverse=True)
    assert Counter(e["type"] for e in seen) == stats["events_by_type"]
    first = seen[0]
    assert first["object"] == "event" and first["api_version"] == "2024-06-20" and first["livemode"] is False
    assert set(first) == {
        "id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type"
    }  # fmt: skip
    assert set(first["request"]) == {"id", "idempotency_key"}
    default = stripe_get(server, "/events").json()
    assert [e["id"] for e in default["data"]] == ids[:10] and default["has_more"] is True
    back = stripe_get(server, "/events", {"ending_before": ids[30], "limit": 5}).json()
    assert [e["id"] for e in back["data"]] == ids[25:30] and back["has_more"] is True
    assert stripe_get(server, f"/events/{ids[7]}").json() == seen[7]
    assert stripe_get(server, "/events/evt_missing").status_code == 404


def test_created_filters(server: SandboxServer, events: list[dict]) -> None:
    middle = events[len(events) // 2]["created"]
    newer = all_stripe_events(server, **{"created[gte]": middle})
    assert [e["id"] for e in newer] == [e["id"] for e in events if e["created"] >= middle]
    window = all_stripe_events(server, **{"created[gt]": events[-1]["created"], "created[lt]": middle})
    assert [e["id"] for e in window] == [
        e["id"] for e in events if events[-1]["created"] < e["created"] < middle
    ]


def test_type_filters(server: SandboxServer, events: list[dict]) -> None:
    wanted = ["payment_intent.succeeded", "charge.refunded"]
    response = stripe_get(server, "/events", {"types[]": wanted, "limit": 100}).json()
    picked = all_stripe_events(server, **{"types[]": wanted})
    assert response["data"] == picked[:100]
    assert [e["id"] for e in picked] == [e["id"] for e in events if e["type"] in wanted]
    assert {e["type"] for e in picked} == set(wanted)
    intents = all_stripe_events(server, type="payment_intent.*")
    assert {e["type"] for e in intents} == {
        t for t in (e["type"] for e in events) if t.startswith("payment_intent.")
    }
    assert {e["type"] for e in events} >= PAYMENT_TYPES


def test_bad_parameters(server: SandboxServer) -> None:
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"type": "charge.refunded", "types[]": "payment_intent.created"},
        {"starting_after": "evt_nope"},
    ):
        response = stripe_get(server, "/events", params)
        assert response.status_code == 400, params
        assert response.json()["error"]["type"] == "invalid_request_error"
    unknown = stripe_get(server, "/charges")
    assert unknown.status_code == 404 and "Unrecognized request URL" in unknown.json()["error"]["message"]


def test_events_tie_back_to_woocommerce_orders(server: SandboxServer, events: list[dict]) -> None:
    orders = {str(o["id"]): o for o in all_woo_orders(server)}
    refunded_pence: dict[str, int] = defaultdict(int)
    for event in events:
        obj = event["data"]["object"]
        order_id = obj["metadata"]["order_id"] if obj["object"] != "review" else None
        if order_id is None:
            continue
        assert obj["metadata"] == {
            "order_id": order_id,
            "order_reference": order_id,
            "channel": "woocommerce",
        }
        order = orders[order_id]  # every payment belongs to an order that exists
        meta = {m["key"]: m["value"] for m in order["meta_data"]}
        pence = int(Decimal(order["total"]) * 100)
        assert obj["amount"] == pence and obj["currency"] == "gbp"
        if obj["object"] == "payment_intent":
            assert obj["id"] == meta["_stripe_intent_id"] and obj["capture_method"] == "manual"
            expected = {
                "payment_intent.created": "requires_payment_method",
                "payment_intent.amount_capturable_updated": "requires_capture",
                "payment_intent.succeeded": "succeeded",
                "payment_intent.payment_failed": "requires_payment_method",
                "payment_intent.canceled": "canceled",
            }[event["type"]]
            assert obj["status"] == expected
            if event["type"] == "payment_intent.payment_failed":
                assert obj["last_payment_error"]["code"] == "card_declined" and order["status"] == "failed"
            if event["type"] == "payment_intent.succeeded":
                assert obj["amount_received"] == pence and order["date_paid_gmt"] is not None
                assert obj["latest_charge"] == order["transaction_id"]
        else:
            assert obj["object"] == "charge" and obj["payment_intent"] == meta["_stripe_intent_id"]
            assert obj["id"] == f"ch_{obj['id'][3:]}" and obj["status"] == (
                "failed" if event["type"] == "charge.failed" else "succeeded"
            )
            if event["type"] == "charge.captured":
                assert obj["captured"] and event["data"]["previous_attributes"]["captured"] is False
            if event["type"] == "charge.refunded":
                refunded_pence[order_id] = max(refunded_pence[order_id], obj["amount_refunded"])
                assert event["data"]["previous_attributes"]["amount_refunded"] < obj["amount_refunded"]
    assert refunded_pence
    for order_id, amount in refunded_pence.items():
        refunds = woo_get(server, f"/orders/{order_id}/refunds").json()
        assert amount == sum(int(Decimal(r["amount"]) * 100) for r in refunds)
    paid = [o for o in orders.values() if o["date_paid_gmt"]]
    succeeded = {
        e["data"]["object"]["metadata"]["order_id"] for e in events if e["type"] == "payment_intent.succeeded"
    }
    assert {str(o["id"]) for o in paid} == succeeded


OUTCOME_FIELDS = {"network_status", "reason", "risk_level", "risk_score", "seller_message", "type"}
RISK_LEVELS = {"normal": range(0, 65), "elevated": range(65, 75), "highest": range(75, 101)}


@pytest.fixture(scope="module")
def month_of_events(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """A month of payments: enough for Radar reviews, opened and closed."""
    world = make_world(tmp_path_factory.mktemp("radar-world"), days=30)
    with SandboxServer(world) as running:
        return all_stripe_events(running)


def test_every_charge_carries_radars_outcome(month_of_events: list[dict]) -> None:
    """Stripe's Charge.outcome: a risk score 0-100 with its level, the same on every snapshot of
    a charge; payments put in review score high and say so; declines are the issuer's."""
    events = month_of_events
    charges = [e for e in events if e["data"]["object"]["object"] == "charge"]
    assert {e["type"] for e in charges} >= {"charge.succeeded", "charge.captured", "charge.failed"}
    scores: dict[str, set[int]] = defaultdict(set)
    for event in charges:
        outcome = event["data"]["object"]["outcome"]
        assert set(outcome) == OUTCOME_FIELDS
        assert isinstance(outcome["risk_score"], int)
        assert outcome["risk_score"] in RISK_LEVELS[outcome["risk_level"]]
        scores[event["data"]["object"]["id"]].add(outcome["risk_score"])
        if event["type"] == "charge.failed":
            assert (outcome["type"], outcome["network_status"]) == ("issuer_declined", "declined_by_network")
            assert outcome["reason"] in {"generic_decline", "insufficient_funds", "expired_card",
                                         "incorrect_cvc"}
        else:
            assert outcome["network_status"] == "approved_by_network"
            assert outcome["type"] in {"authorized", "manual_review"}
    assert all(len(seen) == 1 for seen in scores.values()), "a charge keeps its score"
    reviewed = {e["data"]["object"]["charge"] for e in events if e["type"] == "review.opened"}
    assert reviewed, "the world should have a payment in review"
    for event in charges:
        obj = event["data"]["object"]
        if obj["id"] in reviewed:
            assert obj["outcome"]["type"] == "manual_review" and obj["outcome"]["risk_level"] != "normal"
    authorised = [e["data"]["object"] for e in charges if e["type"] == "charge.succeeded"]
    levels = Counter(charge["outcome"]["risk_level"] for charge in authorised)
    assert levels["normal"] > levels["elevated"] + levels["highest"] > 0


def test_a_review_closes_once_and_names_the_payment(month_of_events: list[dict]) -> None:
    """Reviews carry no metadata (as Stripe's): the PaymentIntent and charge tie them to an order.
    A review is opened once and closed at most once, with a reason Stripe uses."""
    events = month_of_events
    intents = {e["data"]["object"]["id"] for e in events if e["type"] == "payment_intent.created"}
    by_review: dict[str, list[dict]] = defaultdict(list)
    for event in reversed(events):  # oldest first
        if event["type"].startswith("review."):
            obj = event["data"]["object"]
            assert "metadata" not in obj and obj["payment_intent"] in intents
            by_review[obj["id"]].append(event)
    assert any(len(history) == 2 for history in by_review.values()), "some reviews should have closed"
    for history in by_review.values():
        assert history[0]["type"] == "review.opened" and history[0]["data"]["object"]["open"] is True
        assert [e["type"] for e in history[1:]] in ([], ["review.closed"])
        if len(history) == 2:
            closed = history[1]["data"]["object"]
            assert closed["open"] is False and closed["closed_reason"] in {"approved", "canceled"}
            assert closed["created"] == history[0]["data"]["object"]["created"]
