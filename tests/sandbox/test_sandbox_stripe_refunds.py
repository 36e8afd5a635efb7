"""Stripe refunds over real HTTP: creating them with idempotency keys (replays, mismatches, expiry),
Stripe's refusals, the events they leave, listing, a stalled request retried, and stats."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sandbox_testkit import STRIPE_KEY, all_stripe_events, rows, stripe_get

from sandbox.clock import advance
from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from sandbox.stripe_events import pence


def refund(
    server: SandboxServer, params: dict[str, Any], key: str | None = None, timeout: float = 10
) -> requests.Response:
    headers = {"Authorization": f"Bearer {STRIPE_KEY}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(f"{server.url}/v1/refunds", data=params, headers=headers, timeout=timeout)


def captured_order(world: Path, index: int = 0) -> dict[str, Any]:
    """A captured, never refunded WooCommerce order: id, intent, charge and total in pence."""
    found = rows(
        world,
        "SELECT id, intent_id, charge_id, total FROM woo_orders WHERE intent_status = 'succeeded'"
        " AND amount_refunded = 0 ORDER BY id",
    )
    row = found[index]
    return {
        "id": row["id"],
        "intent": row["intent_id"],
        "charge": row["charge_id"],
        "total": pence(row["total"]),
    }


def test_refund_is_created_once_per_idempotency_key(world: Path) -> None:
    order = captured_order(world)
    params = {
        "payment_intent": order["intent"],
        "amount": 500,
        "reason": "requested_by_customer",
        "metadata[order_reference]": str(order["id"]),
    }
    with SandboxServer(world) as server:
        first = refund(server, params, key="refund-1")
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["object"] == "refund" and body["id"].startswith("re_")
        assert (body["amount"], body["currency"], body["status"]) == (500, "gbp", "succeeded")
        assert (body["payment_intent"], body["charge"]) == (order["intent"], order["charge"])
        assert body["metadata"] == {"order_reference": str(order["id"])}
        assert body["reason"] == "requested_by_customer"
        assert first.headers["Idempotency-Key"] == "refund-1" and "Idempotent-Replayed" not in first.headers

        reordered = dict(reversed(list(params.items())))  # parameter order does not matter
        replay = refund(server, reordered, key="refund-1")
        assert replay.status_code == 200 and replay.json() == body
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.headers["Original-Request"] == first.headers["Request-Id"]

        other = refund(server, {**params, "amount": 600}, key="refund-1")
        assert other.status_code == 400
        assert other.json()["error"]["type"] == "idempotency_error"
        assert "refund-1" in other.json()["error"]["message"]

        listed = stripe_get(server, "/refunds", {"payment_intent": order["intent"]}).json()
        assert [r["id"] for r in listed["data"]] == [body["id"]] and listed["has_more"] is False
        assert stripe_get(server, f"/refunds/{body['id']}").json() == body
        missing = stripe_get(server, "/refunds/re_nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"

        events = all_stripe_events(server, **{"types[]": ["charge.refunded", "refund.created"]})
        mine = [e for e in events if e["request"]["idempotency_key"] == "refund-1"]
        assert [e["type"] for e in mine] == ["refund.created", "charge.refunded"]  # newest first
        charge = mine[1]["data"]["object"]
        assert (charge["id"], charge["amount_refunded"], charge["refunded"]) == (order["charge"], 500, False)
        assert mine[1]["data"]["previous_attributes"] == {"amount_refunded": 0}
        assert mine[0]["data"]["object"] == body
    assert world_stats(world)["stripe_refunds"] == {
        "refunds_created": 1,
        "amount_refunded": 500,
        "idempotent_replays": 1,
        "idempotency_mismatches": 1,
    }


def test_refusals_follow_stripe(world: Path) -> None:
    order = captured_order(world)
    (held,) = rows(world, "SELECT intent_id FROM woo_orders WHERE intent_status = 'requires_capture' LIMIT 1")
    with SandboxServer(world) as server:
        over = {"payment_intent": order["intent"], "amount": order["total"] + 1}
        too_much = refund(server, over, key="big")
        assert too_much.status_code == 400
        error = too_much.json()["error"]
        assert error["param"] == "amount" and error["message"] == (
            f"Refund amount (£{(order['total'] + 1) / 100:.2f}) is greater than unrefunded amount on charge"
            f" (£{order['total'] / 100:.2f})"
        )
        again = refund(server, over, key="big")
        assert again.json() == too_much.json() and again.headers["Idempotent-Replayed"] == "true"  # saved

        invalid = refund(server, {"payment_intent": order["intent"], "amount": "ten"}, key="typo")
        assert invalid.status_code == 400 and invalid.json()["error"]["code"] == "parameter_invalid_integer"
        fixed = refund(server, {"payment_intent": order["intent"]}, key="typo")  # a validation error: unsaved
        assert fixed.status_code == 200 and fixed.json()["amount"] == order["total"]  # what was left
        done = refund(server, {"charge": order["charge"]})
        assert done.status_code == 400 and done.json()["error"]["code"] == "charge_already_refunded"

        unknown = refund(server, {"payment_intent": "pi_nope"})
        assert unknown.json()["error"]["code"] == "resource_missing"
        assert unknown.json()["error"]["message"] == "No such payment_intent: 'pi_nope'"
        uncaptured = refund(server, {"payment_intent": held["intent_id"]})
        assert uncaptured.status_code == 400
        assert "does not have a successful charge to refund" in uncaptured.json()["error"]["message"]
        unknown_param = refund(server, {"payment_intent": order["intent"], "colour": "red"})
        assert unknown_param.json()["error"]["code"] == "parameter_unknown"
        assert refund(server, {}).status_code == 400
        bad_reason = refund(server, {"payment_intent": order["intent"], "reason": "changed_mind"})
        assert bad_reason.status_code == 400 and bad_reason.json()["error"]["param"] == "reason"
        no_key = requests.post(f"{server.url}/v1/refunds", data={"charge": order["charge"]}, timeout=10)
        assert no_key.status_code == 401
    stats = world_stats(world)["stripe_refunds"]
    assert (stats["refunds_created"], stats["amount_refunded"]) == (1, order["total"])


def test_keys_expire_after_24_hours_of_world_time(world: Path) -> None:
    order = captured_order(world)
    params = {"payment_intent": order["intent"], "amount": 100}
    with SandboxServer(world) as server:
        first = refund(server, params, key="daily")
        assert refund(server, params, key="daily").json()["id"] == first.json()["id"]
    advance(world, 25)
    with SandboxServer(world) as server:
        later = refund(server, params, key="daily")
        assert later.status_code == 200 and later.json()["id"] != first.json()["id"]
        assert "Idempotent-Replayed" not in later.headers
        listed = stripe_get(server, "/refunds", {"charge": order["charge"], "limit": 1}).json()
        assert [r["id"] for r in listed["data"]] == [later.json()["id"]] and listed["has_more"] is True
        cursor = {"charge": order["charge"], "starting_after": later.json()["id"]}
        older = stripe_get(server, "/refunds", cursor)
        assert [r["id"] for r in older.json()["data"]] == [first.json()["id"]]


def test_world_refunds_are_listed_too(shared_world: Path) -> None:
    (row,) = rows(
        shared_world,
        "SELECT r.stripe_refund_id, r.amount, o.intent_id FROM woo_refunds r JOIN woo_orders o"
        " ON o.id = r.order_id ORDER BY r.id LIMIT 1",
    )
    with SandboxServer(shared_world) as server:
        listed = stripe_get(server, "/refunds", {"payment_intent": row["intent_id"]}).json()["data"]
        assert row["stripe_refund_id"] in [r["id"] for r in listed]
        found = next(r for r in listed if r["id"] == row["stripe_refund_id"])
        assert found["amount"] == pence(row["amount"]) and found["status"] == "succeeded"
        everything = stripe_get(server, "/refunds", {"limit": 100}).json()["data"]
        assert len(everything) == len(rows(shared_world, "SELECT id FROM woo_refunds"))
        assert [r["created"] for r in everything] == sorted((r["created"] for r in everything), reverse=True)
        bad = stripe_get(server, "/refunds", {"payment_intent": "pi_nope"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "payment_intent"


def test_a_stalled_refund_retried_with_its_key_refunds_once(world: Path) -> None:
    order = captured_order(world)
    params = {"payment_intent": order["intent"], "amount": 250}
    faults = FaultConfig(stall_every=2, stall_seconds=1.0, systems=("stripe",))
    with SandboxServer(world, faults=faults) as server:
        assert stripe_get(server, "/refunds").status_code == 200  # 1st Stripe request
        outcome: dict[str, Any] = {}

        def impatient() -> None:
            try:
                refund(server, params, key="stalled", timeout=0.3)  # 2nd: stalled past the timeout
            except requests.exceptions.ReadTimeout as exc:
                outcome["error"] = exc

        caller = threading.Thread(target=impatient)
        caller.start()
        caller.join(5)
        assert isinstance(outcome.get("error"), requests.exceptions.ReadTimeout)
        retry = refund(server, params, key="stalled")  # 3rd: runs at once
        assert retry.status_code == 200 and "Idempotent-Replayed" not in retry.headers
        time.sleep(1.2)  # the stalled request now runs, and finds the key used
        listed = stripe_get(server, "/refunds", {"payment_intent": order["intent"]}).json()["data"]
        assert [r["id"] for r in listed] == [retry.json()["id"]]
    stats = world_stats(world)["stripe_refunds"]
    assert (stats["refunds_created"], stats["idempotent_replays"]) == (1, 1)


@pytest.mark.parametrize("length", [255, 256])
def test_idempotency_key_length(world: Path, length: int) -> None:
    order = captured_order(world)
    with SandboxServer(world) as server:
        response = refund(server, {"payment_intent": order["intent"], "amount": 100}, key="k" * length)
    assert response.status_code == (200 if length == 255 else 400)
