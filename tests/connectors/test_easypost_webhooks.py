"""The EasyPost webhook receiver over real HTTP, and the source that loads what it landed.

Attacks on the receiver (forged signatures, replays, oversized and trickled bodies) are in
``tests/reliability/test_webhook_attacks.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
import requests

from connectors.destination import warehouse_pipeline
from connectors.easypost.landing import LOADED, PENDING_GLOB, land_event
from connectors.easypost.receiver import WEBHOOK_PATH, create_receiver
from connectors.easypost.signature import SIGNATURE_HEADER, sign
from connectors.easypost.source import easypost_landing_source, set_aside_loaded_files
from orderloop.background_server import serving
from tests.connectors.support import SLOW_LANDING, dlt_packages, files_read, kill_when

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


@pytest.mark.parametrize("body", [b"not json", b"[]", json.dumps({"object": "Tracker", "id": "x"}).encode(),
                                  json.dumps({**tracker_event("evt_x"), "id": "../../etc/passwd"}).encode()])
def test_malformed_bodies_get_400(receiver, body):
    url, landing = receiver
    assert post(url, body).status_code == 400
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


def _landed_at(landing, event_id: str, seconds: int) -> None:
    """Give a landed file a known modification time, ``seconds`` after NOW."""
    (path,) = landing.glob(f"*/{event_id}.json")
    stamp = NOW.timestamp() + seconds
    os.utime(path, (stamp, stamp))


def _waiting(landing) -> list[str]:
    return sorted(p.stem for p in landing.glob(PENDING_GLOB))


def _raw_events(warehouse) -> tuple[int, int, int]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select count(*), count(distinct id), count(distinct _dlt_load_id)"
            " from raw_easypost.tracker_events"
        ).fetchone()


def test_loaded_files_are_set_aside_so_a_load_reads_only_what_arrived_since(receiver, data_paths):
    url, landing = receiver
    for second in range(5):
        assert post(url, tracker_event(f"evt_{second}")).json()["status"] == "stored"
    pipeline = warehouse_pipeline("easypost", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))

    # Every file the load committed leaves the queue.
    assert set_aside_loaded_files(pipeline, landing.as_uri()) == 5
    assert _waiting(landing) == []
    assert sorted(p.stem for p in (landing / LOADED).rglob("*.json")) == [f"evt_{n}" for n in range(5)]
    # A redelivery of an event set aside is still a duplicate.
    assert post(url, tracker_event("evt_0")).json()["status"] == "duplicate"
    assert _waiting(landing) == []

    post(url, tracker_event("evt_5"))
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))
    assert set_aside_loaded_files(pipeline, landing.as_uri()) == 1
    assert _waiting(landing) == []
    rows, events, loads = _raw_events(data_paths.warehouse)
    assert rows == events == 6 and loads == 2
    # With nothing waiting, a load reads nothing and sets nothing aside.
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))
    assert set_aside_loaded_files(pipeline, landing.as_uri()) == 0
    assert _raw_events(data_paths.warehouse) == (6, 6, 2)
    # A landing area that is not a local folder is left as it is; a plain path is local.
    assert set_aside_loaded_files(pipeline, "memory://landing") == 0
    post(url, tracker_event("evt_6"))
    pipeline.run(easypost_landing_source(bucket_url=str(landing)))
    assert set_aside_loaded_files(pipeline, str(landing)) == 1
    assert _raw_events(data_paths.warehouse) == (7, 7, 3)


def test_a_delivery_landing_while_a_load_runs_waits_for_the_next_load(receiver, data_paths):
    """A file linked after the load listed the folders, with an older modification time than
    files the load read (written before a slow fsync, or linked into a shard folder the listing
    had passed), is neither lost nor set aside unloaded: a cursor on the time skipped it."""
    url, landing = receiver
    post(url, tracker_event("evt_new"))
    _landed_at(landing, "evt_new", 10)
    pipeline = warehouse_pipeline("easypost", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))

    post(url, tracker_event("evt_late"))  # lands after the load, before the set-aside
    _landed_at(landing, "evt_late", 0)  # older than the newest file loaded
    assert set_aside_loaded_files(pipeline, landing.as_uri()) == 1
    assert _waiting(landing) == ["evt_late"]

    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))
    assert set_aside_loaded_files(pipeline, landing.as_uri()) == 1
    assert _waiting(landing) == []
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        ids = conn.execute("select id from raw_easypost.tracker_events order by id").fetchall()
    assert ids == [("evt_late",), ("evt_new",)]


def test_a_load_whose_files_were_not_set_aside_adds_nothing_when_read_again(receiver, data_paths):
    """A pass killed between the load's commit and the set-aside leaves the files waiting."""
    url, landing = receiver
    for n in range(3):
        post(url, tracker_event(f"evt_{n}"))
    pipeline = warehouse_pipeline("easypost", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))  # no set-aside between
    rows, events, _ = _raw_events(data_paths.warehouse)
    assert rows == events == 3
    assert set_aside_loaded_files(pipeline, landing.as_uri()) == 3
    assert _waiting(landing) == []


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
            "select count(*), count(distinct id) "
            " from raw_easypost.tracker_events"
        ).fetchone()
    assert loaded == distinct == stats["events_delivered"]


def test_the_sandbox_carrier_with_the_wrong_secret_stores_nothing(world, data_paths):
    from sandbox.tracking_webhooks import deliver_pending

    landing = data_paths.tracking_webhooks_landing
    with serving(create_receiver(landing, SECRET, max_age=timedelta(days=400))) as base_url:
        result = deliver_pending(world.sandbox, base_url + WEBHOOK_PATH, "not-the-secret")
    assert result["accepted"] == 0 and result["failed"] == result["sent"] > 0
    assert landed(landing) == []


def _deliver_the_sandbox_carriers_events(world, landing) -> int:
    """Every event the sandbox's carrier has, delivered to our receiver and landed; how many."""
    from sandbox.stats import world_stats
    from sandbox.tracking_webhooks import deliver_pending
    from sandbox.world import opened, world_now

    with opened(world.sandbox) as conn:
        now = world_now(conn)
    receiver = create_receiver(landing, SECRET, max_age=timedelta(days=400), clock=lambda: now)
    with serving(receiver) as base_url:
        assert deliver_pending(world.sandbox, base_url + WEBHOOK_PATH, SECRET)["failed"] == 0
    stats = world_stats(world.sandbox)["easypost"]
    assert stats["events_pending"] == 0 and len(landed(landing)) == stats["events_delivered"]
    return stats["events_delivered"]


def _loaded_events(paths) -> tuple[int, int, int]:
    """Events in the warehouse: rows, distinct ids, distinct landed files."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(
            "select count(*), count(distinct id), count(distinct file_name) "
            " from raw_easypost.tracker_events"
        ).fetchone()


def _scans_landed(landing) -> int:
    return sum(len(json.loads(f.read_text())["result"]["tracking_details"]) for f in landed(landing))


def _scans_loaded(paths) -> int:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(
            "select count(*) from raw_easypost.tracker_events__tracking_details"
        ).fetchone()[0]


KILLED_LOAD = SLOW_LANDING + """
from pathlib import Path
from connectors.destination import warehouse_pipeline
from connectors.easypost.source import easypost_landing_source
pipeline = warehouse_pipeline("easypost", Path(sys.argv[1]), Path(sys.argv[2]))
pipeline.run(easypost_landing_source(bucket_url=sys.argv[3]))
"""


@pytest.mark.parametrize("step", ["extracting", "extracted"])
def test_a_load_of_the_landing_area_killed_midway_loses_and_duplicates_nothing(world, tmp_path, step):
    """SIGKILL the landing area's loader half-way through reading the events, or once its extract is
    committed but not yet in the warehouse; the next run has every landed event once."""
    landing = world.tracking_webhooks_landing
    delivered = _deliver_the_sandbox_carriers_events(world, landing)
    progress = tmp_path / "files-read"
    read_delay = 0.005 if step == "extracting" else 0
    args = [sys.executable, "-c", KILLED_LOAD, str(world.warehouse), str(world.dlt_pipelines),
            landing.as_uri(), str(progress), str(read_delay)]
    loader = subprocess.Popen(args, env=dict(os.environ))

    def packages() -> dict[str, list[str]]:
        return dlt_packages(world.dlt_pipelines, "orderloop_easypost")

    if step == "extracting":
        kill_when(loader, lambda: files_read(progress) >= delivered // 2, "half-way through the events")
        assert files_read(progress) < delivered and packages()["extracting"], "killed mid-extract"
    else:
        kill_when(loader, lambda: any(packages()[s] for s in ("extracted", "normalizing", "loading")),
                  "between its extract and its load")
        assert files_read(progress) == delivered
    assert not packages()["loaded"], "nothing should have finished loading before the kill"

    pipeline = warehouse_pipeline("easypost", world.warehouse, world.dlt_pipelines)
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))
    assert not pipeline.has_pending_data
    assert _loaded_events(world) == (delivered, delivered, delivered)
    assert _scans_loaded(world) == _scans_landed(landing)


RECEIVER = """
import socket
import sys
from datetime import datetime, timedelta
from pathlib import Path
import uvicorn
from connectors.easypost.receiver import create_receiver
now = datetime.fromisoformat(sys.argv[2])
app = create_receiver(Path(sys.argv[1]), sys.argv[3], max_age=timedelta(days=400), clock=lambda: now)
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])
"""


def _start_receiver(landing, now: datetime) -> tuple[subprocess.Popen, str]:
    """The receiver in a process of its own (so it can be killed); it and its webhook URL, once up."""
    import time

    args = [sys.executable, "-c", RECEIVER, str(landing), now.isoformat(), SECRET]
    process = subprocess.Popen(args, env=dict(os.environ), stdout=subprocess.PIPE, text=True)
    base_url = f"http://127.0.0.1:{int(process.stdout.readline())}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "the receiver did not start"
        try:
            if requests.get(base_url + "/healthz", timeout=5).status_code == 200:
                return process, base_url + WEBHOOK_PATH
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the receiver did not answer"
            time.sleep(0.05)


def test_a_receiver_killed_while_the_carrier_delivers_loses_and_duplicates_nothing(world):
    """SIGKILL the receiver mid-delivery (duplicates, shuffled): what it had not acknowledged stays
    pending at the carrier, is redelivered to the restarted receiver, and every event the carrier
    holds is landed and loaded once."""
    from concurrent.futures import ThreadPoolExecutor

    from sandbox.stats import world_stats
    from sandbox.tracking_webhooks import deliver_pending, event_bodies
    from sandbox.world import opened, world_now

    with opened(world.sandbox) as conn:
        now = world_now(conn)
    total = world_stats(world.sandbox)["easypost"]["events_pending"]
    landing = world.tracking_webhooks_landing
    receiver, url = _start_receiver(landing, now)
    try:
        with ThreadPoolExecutor(max_workers=1) as carrier:
            delivery = carrier.submit(
                deliver_pending, world.sandbox, url, SECRET, duplicate_every=4, shuffle=True
            )
            kill_when(receiver, lambda: len(landed(landing)) >= total // 10, "while the carrier delivers")
            assert len(landed(landing)) < total, "the receiver should have been killed mid-delivery"
            first = delivery.result(timeout=120)
        assert first["failed"] > 0, "deliveries after the kill should have failed and stay pending"
        assert world_stats(world.sandbox)["easypost"]["events_pending"] == first["failed"]
        # The narrowest crash window, made certain: a receiver that died after landing an event
        # but before its 200; the carrier still holds that event as pending and will resend it.
        with opened(world.sandbox) as conn:
            _, _, unanswered = event_bodies(conn, url)[0]
        assert land_event(landing, json.loads(unanswered))

        receiver, url = _start_receiver(landing, now)
        again = deliver_pending(world.sandbox, url, SECRET)
    finally:
        receiver.kill()
        receiver.wait(timeout=30)
    assert again["sent"] == first["failed"] and again["failed"] == 0
    stats = world_stats(world.sandbox)["easypost"]
    assert stats["events_pending"] == 0 and stats["events_delivered"] == total
    assert len(landed(landing)) == total

    pipeline = warehouse_pipeline("easypost", world.warehouse, world.dlt_pipelines)
    pipeline.run(easypost_landing_source(bucket_url=landing.as_uri()))
    assert _loaded_events(world) == (total, total, total)
    assert _scans_loaded(world) == _scans_landed(landing)
