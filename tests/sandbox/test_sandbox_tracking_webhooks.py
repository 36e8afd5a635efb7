"""EasyPost-style tracker webhooks: the journeys in the world, and delivery to a real receiver."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sandbox_testkit import NOW, WebhookReceiver, rows

from sandbox.cli import main
from sandbox.clock import advance
from sandbox.generator import generate_world
from sandbox.stats import world_stats
from sandbox.timeutil import LONDON
from sandbox.tracking_webhooks import deliver_pending
from sandbox.working_days import add_working_days

SECRET = "s\u0065cr\u00e9t-sandbox"  # composed é: the receiver must NFKD-normalise, as EasyPost's clients do
RANK = {
    "pre_transit": 0,
    "in_transit": 1,
    "out_for_delivery": 2,
    "failure": 2,
    "available_for_pickup": 3,
    "delivered": 4,
    "return_to_sender": 4,
}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(SECRET)
    yield server
    server.close()


def small_world(path: Path) -> Path:
    """A quiet shop (a few dozen scans) so every delivery test stays fast."""
    generate_world(path, days=4, seed=7, now=NOW, orders_per_day=8)
    return path


def due_events(world: Path) -> list[str]:
    return [
        r["id"]
        for r in rows(
            world,
            "SELECT id FROM tracker_events WHERE at <= (SELECT value FROM meta"
            " WHERE key = 'now') ORDER BY at, seq",
        )
    ]


def test_each_due_event_is_delivered_once_signed_and_shaped(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    world = small_world(tmp_path / "w")
    due = due_events(world)
    assert world_stats(world)["easypost"]["events_pending"] == len(due) > 20
    result = deliver_pending(world, receiver.url, SECRET)
    assert result == {"sent": len(due), "duplicates_sent": 0, "accepted": len(due), "failed": 0}
    assert receiver.ids() == due and receiver.bad_signatures == 0  # oldest first, each once
    booked = {r["tracking_number"] for r in rows(world, "SELECT tracking_number FROM bookings")}
    posted = {  # WooCommerce history: posted by hand, outside Click & Drop
        r["tracking_number"]
        for r in rows(world, "SELECT * FROM parcels WHERE booking_identifier IS NULL")
        if r["order_key"].startswith("woocommerce:")
    }
    tracking = booked | posted
    assert booked and posted and len(tracking) == len(rows(world, "SELECT 1 FROM parcels"))
    seen: dict[str, list[str]] = {}
    for event in receiver.received:
        assert event["object"] == "Event" and event["description"] == "tracker.updated"
        assert event["mode"] == "test" and event["id"].startswith("evt_")
        tracker = event["result"]
        assert tracker["object"] == "Tracker" and tracker["carrier"] == "RoyalMail"
        assert tracker["id"].startswith("trk_") and tracker["tracking_code"] in tracking
        assert tracker["status"] == tracker["tracking_details"][-1]["status"]
        assert event["created_at"] == tracker["updated_at"] == tracker["tracking_details"][-1]["datetime"]
        history = seen.setdefault(tracker["id"], [])
        assert event["previous_attributes"] == {"status": history[-1] if history else "unknown"}
        assert [d["status"] for d in tracker["tracking_details"][:-1]] == history
        history.append(tracker["status"])
        for detail in tracker["tracking_details"]:
            assert detail["object"] == "TrackingDetail" and detail["source"] == "RoyalMail"
            assert set(detail["tracking_location"]) == {"object", "city", "state", "country", "zip"}
        assert tracker["est_delivery_date"].endswith("T00:00:00Z") and tracker["public_url"].startswith(
            "https://"
        )
    stats = world_stats(world)["easypost"]
    assert stats["events_delivered"] == len(due) and stats["events_pending"] == 0
    assert deliver_pending(world, receiver.url, SECRET)["sent"] == 0

    summary = advance(world, 24)
    again = deliver_pending(world, receiver.url, SECRET)
    assert again["sent"] == again["accepted"] == summary["tracker_events_created"] > 0
    assert len(set(receiver.ids())) == len(receiver.ids())


def test_failures_stay_pending_and_are_sent_again(tmp_path: Path, receiver: WebhookReceiver) -> None:
    world = small_world(tmp_path / "w")
    due = due_events(world)
    receiver.status = 500
    assert deliver_pending(world, receiver.url, SECRET) == {
        "sent": len(due), "duplicates_sent": 0, "accepted": 0, "failed": len(due)
    }  # fmt: skip
    assert world_stats(world)["easypost"]["events_pending"] == len(due)
    closed = WebhookReceiver(SECRET)
    closed.close()  # nothing listens there any more: a connection error
    assert deliver_pending(world, closed.url, SECRET)["failed"] == len(due)
    wrong = deliver_pending(world, receiver.url, "not-the-secret")  # the receiver refuses it: 401
    assert wrong["accepted"] == 0 and receiver.bad_signatures == len(due)
    receiver.status = 204
    assert deliver_pending(world, receiver.url, SECRET)["accepted"] == len(due)
    assert receiver.ids() == due + due  # refused once, accepted on the retry
    assert world_stats(world)["easypost"]["events_pending"] == 0
    attempts = rows(world, "SELECT attempts, last_response FROM tracker_events")
    assert {(r["attempts"], r["last_response"]) for r in attempts} == {(4, 204)}


def test_duplicates_and_shuffling_are_deterministic(tmp_path: Path) -> None:
    orders = []
    for name in ("a", "b"):
        world = small_world(tmp_path / name)
        with_receiver = WebhookReceiver(SECRET)
        try:
            result = deliver_pending(world, with_receiver.url, SECRET, duplicate_every=4, shuffle=True)
            bodies = [{k: v for k, v in e.items() if k != "pending_urls"} for e in with_receiver.received]
            orders.append((result, with_receiver.ids(), bodies))
        finally:
            with_receiver.close()
    (result, ids, bodies), (other_result, other_ids, other_bodies) = orders
    assert (
        result == other_result and ids == other_ids and bodies == other_bodies
    )  # pending_urls name the port
    due = due_events(tmp_path / "a")
    assert result["sent"] == len(due) and result["duplicates_sent"] == len(due) // 4
    sent_once = [ids[0]]
    for event in ids[1:]:
        if event != sent_once[-1]:
            sent_once.append(event)
    assert (
        len(sent_once) == len(due) and sorted(sent_once) == sorted(due) and sent_once != due
    )  # out of order
    twice = [event for event, n in Counter(ids).items() if n == 2]
    assert twice == [sent_once[k - 1] for k in range(4, len(due) + 1, 4)]


def test_journeys_only_move_forward(tmp_path: Path) -> None:
    world = small_world(tmp_path / "w")
    advance(world, 30)
    events = rows(world, "SELECT tracker_id, step, at, status FROM tracker_events ORDER BY tracker_id, step")
    by_tracker: dict[str, list[Any]] = {}
    for event in events:
        by_tracker.setdefault(event["tracker_id"], []).append(event)
    for scans in by_tracker.values():
        assert [s["step"] for s in scans] == list(range(len(scans)))
        assert [s["at"] for s in scans] == sorted(s["at"] for s in scans) and len(
            {s["at"] for s in scans}
        ) == len(scans)
        ranks = [RANK[s["status"]] for s in scans]
        assert ranks == sorted(ranks) and scans[0]["status"] == "pre_transit"
        finals = [i for i, s in enumerate(scans) if s["status"] in ("delivered", "return_to_sender")]
        assert finals in ([], [len(scans) - 1])
    # The whole plan of every tracker (what is still to come included) obeys the same order.
    plans = rows(world, "SELECT plan_json, service, est_delivery_date FROM trackers")
    next_day = 0
    for plan in plans:
        steps = json.loads(plan["plan_json"])
        ranks = [RANK[s["status"]] for s in steps]
        assert ranks == sorted(ranks) and steps[-1]["status"] in ("delivered", "return_to_sender")
        collected = datetime.fromisoformat(steps[1]["at"].replace("Z", "+00:00")).astimezone(LONDON).date()
        arrived = datetime.fromisoformat(steps[-1]["at"].replace("Z", "+00:00")).astimezone(LONDON).date()
        if plan["service"] == "TPN24" and arrived <= add_working_days(collected, 1):
            next_day += 1
        assert date.fromisoformat(plan["est_delivery_date"][:10]) > collected
    tracked_24 = sum(1 for p in plans if p["service"] == "TPN24")
    assert next_day >= 0.6 * tracked_24


def test_cli_delivers(tmp_path: Path, receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str]) -> None:
    world = small_world(tmp_path / "w")
    argv = ["--data-dir", str(world), "deliver-webhooks", "--url", receiver.url, "--secret", SECRET]
    assert main([*argv, "--duplicate-every", "5", "--shuffle"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["accepted"] == result["sent"] == len(due_events(world)) and result["duplicates_sent"] > 0
    assert (
        main(
            ["--data-dir", str(tmp_path / "none"), "deliver-webhooks", "--url", receiver.url, "--secret", "x"]
        )
        == 1
    )
    capsys.readouterr()
