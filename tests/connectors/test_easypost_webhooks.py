"""The EasyPost webhook receiver over real HTTP, and the source that loads what it landed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
import requests

from connectors.destination import warehouse_pipeline
from connectors.easypost.receiver import WEBHOOK_PATH, create_receiver
from connectors.easypost.signature import SIGNATURE_HEADER, sign
from connectors.easypost.source import easypost_landing_source
from orderloop.background_server import serving

SECRET = "whsec_test_\u00e9"  # an accented secret: EasyPost NFKD-normalises it
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def tracker_event(event_id: str, status: str = "in_transit", created: datetime = NOW,
                  code: str = "RM123456785GB") -> dict:
    """An Event as EasyPost documents it: a tracker.updated with the Tracker as result."""
    return {
        "object": "Event",
        "id": event_id,
        "mode": "test",
        "description": "tracker.updated",
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "previous_attributes": {"status": "pre_transit"},
        "result": {
            "object": "Tracker",
            "id": "trk_" + code,
            "tracking_code": code,
            "carrier": "RoyalMail",
            "status": status,
            "status_detail": "arrived_at_facility",
            "tracking_details": [
                {"object": "TrackingDetail", "status": status, "status_detail": "arrived_at_facility",
                 "message": "Item received", "datetime": created.strftime("%Y-%m-%dT%H:%M:%SZ")}
            ],
        },
    }


@pytest.fixture
def receiver(tmp_path):
    landing = tmp_path / "landing"
    with serving(create_receiver(landing, SECRET, clock=lambda: NOW)) as base_url:
        yield f"{base_url}{WEBHOOK_PATH}", landing


def post(url: str, event: dict | bytes, secret: str = SECRET, **headers):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return requests.post(url, data=body, timeout=10,
                         headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret),
                                  **headers})


def landed(landing) -> list:
    return sorted(landing.rglob("*.json")) if landing.exists() else []


def test_a_valid_delivery_is_stored_before_the_200(receiver):
    url, landing = receiver
    response = post(url, tracker_event("evt_1"))
    assert response.status_code == 200 and response.json()["status"] == "stored"
    files = landed(landing)
    assert [f.name for f in files] == ["evt_1.json"]
    assert json.loads(files[0].read_text())["result"]["status"] == "in_transit"


def test_a_bad_signature_gets_401_and_nothing_is_stored(receiver):
    url, landing = receiver
    assert post(url, tracker_event("evt_forged"), secret="guess").status_code == 401
    body = json.dumps(tracker_event("evt_unsigned")).encode()
    assert requests.post(url, data=body, timeout=10).status_code == 401
    assert landed(landing) == []


def test_duplicate_and_replayed_deliveries_are_stored_once(receiver):
    url, landing = receiver
    event = tracker_event("evt_dup")
    responses = [post(url, event) for _ in range(3)]
    assert [r.json()["status"] for r in responses] == ["stored", "duplicate", "duplicate"]
    assert len(landed(landing)) == 1


def test_stale_deliveries_are_rejected(receiver):
    url, landing = receiver
    old = tracker_event("evt_old", created=NOW - timedelta(days=30))
    assert post(url, old).status_code == 422
    assert landed(landing) == []


@pytest.mark.parametrize("body", [b"not json", b"[]", json.dumps({"object": "Tracker", "id": "x"}).encode(),
                                  json.dumps({**tracker_event("evt_x"), "id": "../../etc/passwd"}).encode()])
def test_malformed_bodies_get_400(receiver, body):
    url, landing = receiver
    assert post(url, body).status_code == 400
    assert landed(landing) == []


def test_an_oversized_body_gets_413(receiver):
    url, landing = receiver
    huge = json.dumps({**tracker_event("evt_big"), "padding": "x" * (2 * 1024 * 1024)}).encode()
    assert post(url, huge).status_code == 413
    assert landed(landing) == []


def test_landed_events_load_once_with_their_own_timestamps(receiver, data_paths):
    url, landing = receiver
    # Out of order: delivered arrives before in_transit; both are kept with their own times.
    post(url, tracker_event("evt_b", status="delivered", created=NOW))
    post(url, tracker_event("evt_a", status="in_transit", created=NOW - timedelta(hours=20)))
    pipeline = warehouse_pipeline("easypost", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))
    post(url, tracker_event("evt_a"))  # a late duplicate delivery
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select id, status from raw_easypost.tracker_events order by created_at"
        ).fetchall()
        details = conn.execute(
            "select count(*) from raw_easypost.tracker_events__tracking_details"
        ).fetchone()
    assert rows == [("evt_a", "in_transit"), ("evt_b", "delivered")]
    assert details[0] == 2


def test_the_sandbox_carrier_delivers_duplicates_out_of_order_and_each_event_lands_once(world, data_paths):
    """The sandbox's independent EasyPost implementation against our receiver and source."""
    from sandbox.stats import world_stats
    from sandbox.tracking_webhooks import deliver_pending
    from sandbox.world import opened, world_now

    with opened(world.sandbox) as conn:
        now = world_now(conn)
    landing = data_paths.tracking_webhooks_landing
    receiver = create_receiver(landing, SECRET, max_age=timedelta(days=400), clock=lambda: now)
    with serving(receiver) as base_url:
        url = base_url + WEBHOOK_PATH
        first = deliver_pending(world.sandbox, url, SECRET, duplicate_every=3, shuffle=True)
        again = deliver_pending(world.sandbox, url, SECRET)
    stats = world_stats(world.sandbox)["easypost"]
    assert first["duplicates_sent"] > 0 and first["failed"] == 0
    assert again["sent"] == 0, "everything was acknowledged the first time"
    assert stats["events_pending"] == 0
    assert len(landed(landing)) == stats["events_delivered"]

    pipeline = warehouse_pipeline("easypost", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        loaded, distinct = conn.execute(
            "select count(*), count(distinct id) from raw_easypost.tracker_events"
        ).fetchone()
    assert loaded == distinct == stats["events_delivered"]


def test_the_sandbox_carrier_with_the_wrong_secret_stores_nothing(world, data_paths):
    from sandbox.tracking_webhooks import deliver_pending

    landing = data_paths.tracking_webhooks_landing
    with serving(create_receiver(landing, SECRET, max_age=timedelta(days=400))) as base_url:
        result = deliver_pending(world.sandbox, base_url + WEBHOOK_PATH, "not-the-secret")
    assert result["accepted"] == 0 and result["failed"] == result["sent"] > 0
    assert landed(landing) == []
