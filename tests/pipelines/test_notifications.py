"""Customer notifications through the sandbox's Postmark API: each sent once, and a send
that happened before a crash is found by its key instead of being sent again; the
notification rules in force at send time decide which notices go out, with which template."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
import requests

from connectors.postmark import PostmarkClient
from orderloop.sandbox_mode import SANDBOX_POSTMARK_TOKEN, SANDBOX_SENDER
from pipelines.actions.notification_ledger import NotificationLedger, notification_key
from pipelines.actions.notifications import LOOKUP_GRACE, key_for, send_notifications
from pipelines.notifications.rendering import render
from sandbox.faults import FaultConfig
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer, release_stalls
from sandbox.stats import world_stats

ORDER = {
    "order_id": "gid://shopify/Order/1", "order_name": "#1001", "email": "ann@example.org",
    "tracking_number": "RM123456785GB", "carrier": "Royal Mail",
}
DUE = [{"kind": "despatched", **ORDER}, {"kind": "delivered", **ORDER}]
# An order whose postcode failed validation: confirmed, then asked for a corrected address.
HELD = {
    "order_id": "gid://shopify/Order/3", "order_name": "#1003", "email": "bo@example.org",
    "tracking_number": None, "carrier": None, "ship_to_postcode": "LS1 4A",
}
CONFIRMATION = {"kind": "confirmation", **HELD, "exception_id": None, "exception_reason": None}
ADDRESS_NOTICE = {"kind": "exception", **HELD, "exception_id": "exc-1", "exception_reason": "address_invalid"}
# Internal reasons reach the queue like every exception; the rules never send them.
FRAUD_REVIEW = {"kind": "exception", **HELD, "exception_id": "exc-2", "exception_reason": "payment_review"}
NEW_KINDS = [CONFIRMATION, ADDRESS_NOTICE, FRAUD_REVIEW]
BEFORE_V2 = datetime(2026, 11, 27, 12, 0)  # notifications-v1: despatch and delivery only
AFTER_V2 = datetime(2026, 11, 28, 12, 0)  # notifications-v2: confirmations and exception notices too
# A pass late enough after AFTER_V2 to look up what was left pending then (Postmark has indexed it).
LOOK_UP = AFTER_V2 + LOOKUP_GRACE + timedelta(seconds=1)


@pytest.fixture
def client(sandbox_url):
    return PostmarkClient.from_config()


@pytest.fixture
def ledger(tmp_path):
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        yield NotificationLedger(conn)


def _sent(world) -> dict:
    return world_stats(world.sandbox)["postmark"]


def test_each_notification_is_sent_once(world, client, ledger):
    first = send_notifications(DUE, ledger, client)
    assert first.sent == 2
    assert _sent(world)["emails_by_tag"] == {"despatched": 1, "delivered": 1}
    again = send_notifications(DUE, ledger, client)
    assert (again.sent, again.already_sent) == (0, 2)
    assert _sent(world)["emails_sent"] == 2


def test_a_send_before_a_crash_is_found_not_repeated(world, client, ledger):
    row = DUE[0]
    key = notification_key(row["kind"], row["order_id"])
    ledger.record_pending(key, row["kind"], row["order_id"], row["email"], AFTER_V2)
    subject, text = render(row["kind"], row)
    client.send(row["email"], subject, text, tag=row["kind"], key=key)  # ... and then the worker died

    summary = send_notifications([row], ledger, client, now=lambda: LOOK_UP)
    assert (summary.sent, summary.recovered) == (0, 1)
    assert _sent(world)["emails_sent"] == 1
    assert ledger.status(key) == "sent"


def test_a_pending_notification_that_never_left_is_sent(world, client, ledger):
    row = DUE[1]
    key = notification_key(row["kind"], row["order_id"])
    ledger.record_pending(key, row["kind"], row["order_id"], row["email"], AFTER_V2)
    summary = send_notifications([row], ledger, client, now=lambda: LOOK_UP)
    assert (summary.sent, summary.recovered) == (1, 0)
    assert _sent(world)["emails_sent"] == 1


def test_the_despatch_email_carries_the_tracking_link():
    subject, text = render("despatched", DUE[0])
    assert subject == "Your order #1001 is on its way"
    assert "https://www.royalmail.com/track-your-item#/tracking-results/RM123456785GB" in text


def test_a_refused_address_does_not_hold_back_the_others(world, client, ledger):
    broken = {**DUE[0], "order_id": "gid://shopify/Order/2", "order_name": "#1002", "email": "not-an-address"}
    summary = send_notifications([broken, DUE[1]], ledger, client)
    assert (summary.sent, summary.refused) == (1, 1) and "#1002" in summary.failures[0]
    assert _sent(world)["emails_sent"] == 1
    assert ledger.status(notification_key(broken["kind"], broken["order_id"])) == "refused"


def _text_of(sandbox_url: str, message_id: str) -> str:
    """What Postmark holds for a sent message: its text body, read back over the API."""
    details = requests.get(
        f"{sandbox_url}/postmark/messages/outbound/{message_id}/details",
        headers={"X-Postmark-Server-Token": SANDBOX_POSTMARK_TOKEN, "Accept": "application/json"},
        timeout=30,
    ).json()
    return f"{details['Subject']}\n{details['TextBody']}"


def test_confirmations_and_customer_facing_exception_notices_are_sent_once(world, client, ledger):
    first = send_notifications(NEW_KINDS, ledger, client, now=lambda: AFTER_V2)
    assert (first.sent, first.not_in_rules) == (2, 1)
    assert _sent(world)["emails_by_tag"] == {"address_correction": 1, "confirmation": 1}
    assert ledger.status(key_for(FRAUD_REVIEW)) is None, "an internal reason is never emailed"
    again = send_notifications(NEW_KINDS, ledger, client, now=lambda: AFTER_V2)
    assert (again.sent, again.already_sent) == (0, 2)
    assert _sent(world)["emails_sent"] == 2


def test_each_exception_occurrence_gets_its_own_notice(world, client, ledger):
    later = {**ADDRESS_NOTICE, "exception_id": "exc-3"}
    queue = [ADDRESS_NOTICE, later, ADDRESS_NOTICE]
    summary = send_notifications(queue, ledger, client, now=lambda: AFTER_V2)
    assert (summary.sent, summary.already_sent) == (2, 1)
    assert key_for(ADDRESS_NOTICE) != key_for(later) != key_for({**ADDRESS_NOTICE, "kind": "confirmation"})


def test_an_exception_notice_sent_before_a_crash_is_found_not_repeated(world, client, ledger):
    key = key_for(ADDRESS_NOTICE)
    ledger.record_pending(key, "exception:address_invalid", HELD["order_id"], HELD["email"], AFTER_V2,
                          "notifications-v2")
    subject, text = render("address_correction", ADDRESS_NOTICE)
    client.send(HELD["email"], subject, text, tag="address_correction", key=key)  # ... and the worker died

    summary = send_notifications([ADDRESS_NOTICE], ledger, client, now=lambda: LOOK_UP)
    assert (summary.sent, summary.recovered) == (0, 1)
    assert _sent(world)["emails_sent"] == 1
    assert ledger.status(key) == "sent"


def test_the_rules_in_force_at_send_time_decide_and_are_recorded(world, client, ledger):
    """notifications-v2 (effective 2026-11-28) adds confirmations and exception notices: a pass
    before that date sends neither, the same queue after it sends both, each once."""
    before = send_notifications(NEW_KINDS + DUE, ledger, client, now=lambda: BEFORE_V2)
    assert (before.sent, before.not_in_rules) == (2, 3)
    assert _sent(world)["emails_by_tag"] == {"delivered": 1, "despatched": 1}
    after = send_notifications(NEW_KINDS + DUE, ledger, client, now=lambda: AFTER_V2)
    assert (after.sent, after.already_sent, after.not_in_rules) == (2, 2, 1)
    assert ledger.rule_version(key_for(DUE[0])) == "notifications-v1"
    assert ledger.rule_version(key_for(CONFIRMATION)) == "notifications-v2"
    assert ledger.rule_version(key_for(ADDRESS_NOTICE)) == "notifications-v2"


def test_the_sent_emails_carry_the_order_reference_tracking_link_and_address_request(
    world, client, ledger, sandbox_url
):
    failed_delivery = {**ORDER, "kind": "exception", "exception_id": "exc-9",
                       "exception_reason": "delivery_failed"}
    send_notifications([CONFIRMATION, ADDRESS_NOTICE, failed_delivery, DUE[0]], ledger, client,
                       now=lambda: AFTER_V2)
    texts = {
        row["kind"] + (row.get("exception_reason") or ""): _text_of(sandbox_url, client.find(key_for(row)))
        for row in (CONFIRMATION, ADDRESS_NOTICE, failed_delivery, DUE[0])
    }
    assert texts["confirmation"].startswith("Thank you for your order #1003")
    assert "corrected address" in texts["exceptionaddress_invalid"]
    assert '"LS1 4A"' in texts["exceptionaddress_invalid"] and "#1003" in texts["exceptionaddress_invalid"]
    tracking_link = "https://www.royalmail.com/track-your-item#/tracking-results/RM123456785GB"
    assert "could not deliver your order #1001" in texts["exceptiondelivery_failed"]
    assert tracking_link in texts["exceptiondelivery_failed"]
    assert tracking_link in texts["despatched"] and "#1001" in texts["despatched"]


# Batches: up to 500 notices in one POST /email/batch, each still sent exactly once.

BATCH_PATH = "/postmark/email/batch"


def _despatch_notices(count: int, start: int = 10_000) -> list[dict]:
    return [
        {**ORDER, "kind": "despatched", "order_id": f"gid://shopify/Order/{n}", "order_name": f"#{n}",
         "email": f"customer{n}@example.org"}
        for n in range(start, start + count)
    ]


def _batch_requests(world) -> list[dict]:
    return [r for r in requests_seen(world.sandbox, "postmark") if r["path"] == BATCH_PATH]


def _client_at(url: str) -> PostmarkClient:
    return PostmarkClient(f"{url}/postmark", SANDBOX_POSTMARK_TOKEN, SANDBOX_SENDER, request_timeout=30)


def test_a_thousand_and_one_notices_go_out_in_three_requests(world, client, ledger):
    notices = _despatch_notices(1001)
    summary = send_notifications(notices, ledger, client)
    assert (summary.sent, summary.failures) == (1001, [])
    assert _sent(world)["emails_sent"] == 1001
    assert len(_batch_requests(world)) == 3 == math.ceil(1001 / 500)
    assert not [r for r in requests_seen(world.sandbox, "postmark") if r["path"] == "/postmark/email"]
    assert {ledger.status(key_for(row)) for row in notices} == {"sent"}
    again = send_notifications(notices, ledger, client)
    assert (again.sent, again.already_sent) == (0, 1001)
    assert len(_batch_requests(world)) == 3, "nothing left to send: no request"



def test_a_notice_queued_twice_in_two_blocks_is_sent_once(world, client, ledger):
    """The ledger's statuses are read a block of the queue at a time. Here the first copy is
    still in an unsent batch when the second block's statuses are read (the notice between them
    is one the rules never send), so the second copy must be decided on the ledger as it is
    after that batch went, not on its block's statuses."""
    queue = [DUE[0], FRAUD_REVIEW, DUE[0]]
    summary = send_notifications(queue, ledger, client, batch_size=2)
    assert (summary.sent, summary.already_sent, summary.not_in_rules) == (1, 1, 1)
    assert _sent(world)["emails_sent"] == 1

def _searches(world) -> list[dict]:
    return [r for r in requests_seen(world.sandbox, "postmark") if r["path"] == "/postmark/messages/outbound"]


def test_a_refused_address_in_a_batch_is_reported_once_and_the_rest_go_out(world, client, ledger):
    """ErrorCode 300 (invalid request) would come back on every resend: the message is recorded
    refused with the error and reported once; later passes neither look it up nor send it again."""
    notices = _despatch_notices(4)
    notices[2] = {**notices[2], "email": "not-an-address"}
    summary = send_notifications(notices, ledger, client, now=lambda: AFTER_V2)
    assert (summary.sent, summary.refused, len(summary.failures)) == (3, 1, 1)
    assert summary.failures[0].startswith(f"despatched for {notices[2]['order_name']}: ErrorCode 300")
    assert len(_batch_requests(world)) == 1
    assert ledger.status(key_for(notices[2])) == "refused"
    again = send_notifications(notices, ledger, client, now=lambda: LOOK_UP)
    assert (again.sent, again.already_sent, again.refused_before, again.failures) == (0, 3, 1, [])
    assert len(_batch_requests(world)) == 1 and _searches(world) == [], "no look-up, no resend"
    assert _sent(world)["emails_sent"] == 3


@pytest.mark.parametrize(
    ("fault", "carried_out"),
    [("garble_every", True), ("cut_every", True), ("reset_every", False), ("fail_every", False)],
)
def test_a_batch_without_an_answer_is_looked_up_not_sent_twice(world, ledger, fault, carried_out):
    """A batch answered with JSON cut short, cut off mid-answer, dropped before any answer or
    answered 503: any of it may have gone, so nothing of it is recorded sent or resent on the
    spot; a pass once the look-up window has passed looks each message up by its key and sends
    only what never left."""
    notices = _despatch_notices(7)
    faults = FaultConfig(systems=("postmark",), **{fault: 1})
    with SandboxServer(world.sandbox, faults=faults) as server:
        lost = send_notifications(notices, ledger, _client_at(server.url), now=lambda: AFTER_V2)
    assert (lost.sent, len(lost.failures)) == (0, 7)
    assert {ledger.status(key_for(row)) for row in notices} == {"pending"}
    assert len(_batch_requests(world)) == 1, "never sent again on the spot"
    assert _sent(world)["emails_sent"] == (7 if carried_out else 0)

    with SandboxServer(world.sandbox) as server:
        resolved = send_notifications(notices, ledger, _client_at(server.url), now=lambda: LOOK_UP)
    assert (resolved.recovered, resolved.sent) == ((7, 0) if carried_out else (0, 7))
    assert _sent(world)["emails_sent"] == 7, "every customer got exactly one email"
    assert {ledger.status(key_for(row)) for row in notices} == {"sent"}


def test_a_lost_batch_is_neither_looked_up_nor_resent_inside_the_window(world, ledger):
    """Postmark's search can lag behind what it accepted: a look-up straight after a lost answer may
    say "not found" for messages that went. A dropped batch (here really not carried out, so the
    sandbox's search says "not found" exactly as a lagging index would) is left alone by passes
    inside ``LOOKUP_GRACE``: no search, no resend. The old code resent all 7 on the next pass."""
    notices = _despatch_notices(7)
    with SandboxServer(world.sandbox, faults=FaultConfig(systems=("postmark",), reset_every=1)) as server:
        lost = send_notifications(notices, ledger, _client_at(server.url), now=lambda: AFTER_V2)
    assert (lost.sent, len(lost.failures), _sent(world)["emails_sent"]) == (0, 7, 0)
    requests_before = len(requests_seen(world.sandbox, "postmark"))

    with SandboxServer(world.sandbox) as server:
        client = _client_at(server.url)
        assert client.find(key_for(notices[0])) is None, "the search would say: not found"
        requests_before += 2  # the two searches of that find
        for late in (timedelta(seconds=30), LOOKUP_GRACE - timedelta(seconds=1)):
            inside = send_notifications(notices, ledger, client, now=lambda late=late: AFTER_V2 + late)
            assert (inside.waiting, inside.sent, inside.recovered, inside.failures) == (7, 0, 0, [])
    assert len(requests_seen(world.sandbox, "postmark")) == requests_before, "no search, no send"
    assert _sent(world)["emails_sent"] == 0
    assert {ledger.status(key_for(row)) for row in notices} == {"pending"}

    with SandboxServer(world.sandbox) as server:
        after = send_notifications(notices, ledger, _client_at(server.url), now=lambda: LOOK_UP)
    assert (after.waiting, after.sent) == (0, 7)
    assert _sent(world)["emails_sent"] == 7


def test_a_resend_restarts_the_window(world, ledger):
    """``attempted_at`` is stamped on every attempt, not only the first: a notice sent again after
    the window gets a fresh window, so a lost resend is not looked up before it can be indexed."""
    notices = _despatch_notices(3)
    with _answering(503, b"", "text/plain") as url:  # every batch lost; every search: not found
        send_notifications(notices, ledger, _client_at(url), now=lambda: AFTER_V2)
        resent = send_notifications(notices, ledger, _client_at(url), now=lambda: LOOK_UP)
    assert (resent.waiting, len(resent.failures)) == (0, 3), "looked up and sent again, lost again"
    assert {ledger.attempted_at(key_for(row)) for row in notices} == {LOOK_UP}
    with SandboxServer(world.sandbox) as server:
        inside = send_notifications(notices, ledger, _client_at(server.url),
                                    now=lambda: LOOK_UP + timedelta(minutes=1))
    assert (inside.waiting, inside.sent, _sent(world)["emails_sent"]) == (3, 0, 0)
    assert requests_seen(world.sandbox, "postmark") == [], "no search, no send"


def test_a_batch_answered_with_an_empty_200_stays_pending_without_aborting_the_pass(ledger):
    """An empty 200 (a proxy's, say) is not JSON: the batch's outcome is unknown, left pending and
    reported, and the pass carries on instead of dying on requests' JSONDecodeError."""
    notices = _despatch_notices(3)
    with _answering(200, b"", "text/plain") as url:
        summary = send_notifications(notices, ledger, _client_at(url), now=lambda: AFTER_V2)
    assert (summary.sent, len(summary.failures)) == (0, 3)
    assert "not JSON" in summary.failures[0]
    assert {ledger.status(key_for(row)) for row in notices} == {"pending"}


def test_an_inactive_recipient_is_refused_for_good_and_skipped_later(world, ledger):
    """ErrorCode 406 (inactive recipient: bounced or unsubscribed) comes back on every resend: the
    message is recorded refused with the error, reported once, and a later pass past the window
    neither looks it up nor sends it again."""
    notices = _despatch_notices(2)
    answer = json.dumps([
        {"ErrorCode": 406, "Message": "You tried to send to recipient(s) that have been marked as inactive.",
         "To": notices[0]["email"]},
        {"ErrorCode": 0, "Message": "OK", "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
         "To": notices[1]["email"], "SubmittedAt": "2026-11-28T07:00:00.0000000-05:00"},
    ]).encode()
    with _answering(200, answer, "application/json") as url:
        first = send_notifications(notices, ledger, _client_at(url), now=lambda: AFTER_V2)
    assert (first.sent, first.refused, len(first.failures)) == (1, 1, 1)
    assert "ErrorCode 406" in first.failures[0]
    assert [ledger.status(key_for(row)) for row in notices] == ["refused", "sent"]
    with SandboxServer(world.sandbox) as server:
        later = send_notifications(notices, ledger, _client_at(server.url), now=lambda: LOOK_UP)
    assert (later.sent, later.already_sent, later.refused_before, later.failures) == (0, 1, 1, [])
    assert requests_seen(world.sandbox, "postmark") == [], "no look-up, no resend"


@contextmanager
def _answering(status: int, body: bytes, content_type: str) -> Iterator[str]:
    """A local HTTP server answering every POST with ``status`` and ``body`` (what a proxy in front
    of Postmark might say, which the sandbox cannot) and every search with "nothing found"."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, code: int, payload: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(status, body, content_type)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(200, b'{"TotalCount": 0, "Messages": []}', "application/json")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


_SEND_AND_DIE = """
import sys
from datetime import datetime
import duckdb
from connectors.postmark import PostmarkClient
from pipelines.actions.notification_ledger import NotificationLedger
from pipelines.actions.notifications import send_notifications
from tests.pipelines.test_notifications import _despatch_notices
url, ledger_path = sys.argv[1:3]
with duckdb.connect(ledger_path) as conn:
    client = PostmarkClient(url + "/postmark", "pm_sandbox_server_token", "orders@sandbox.example")
    send_notifications(_despatch_notices(600), NotificationLedger(conn), client,
                       now=lambda: datetime(2026, 11, 28, 12))
"""


def test_a_worker_killed_after_a_batch_before_its_ledger_write_sends_no_second_email(world, tmp_path):
    """The sandbox carries out the first batch (500) and holds its answer; the worker is SIGKILLed
    there, with the batch pending in its ledger. The next pass finds all 500, records them and sends
    only the 100 that never left."""
    ledger_path = tmp_path / "crash-ledger.duckdb"
    faults = FaultConfig(systems=("postmark",), slow_answer_matching=BATCH_PATH, stall_seconds=120)
    root = Path(__file__).resolve().parents[2]
    with SandboxServer(world.sandbox, faults=faults) as server:
        worker = subprocess.Popen(
            [sys.executable, "-c", _SEND_AND_DIE, server.url, str(ledger_path)],
            cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while _sent(world)["emails_sent"] == 0:
            assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
            assert time.monotonic() < deadline, "the worker never sent its first batch"
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        release_stalls(server.app)
    assert _sent(world)["emails_sent"] == 500, "the first batch went out whole; the worker never heard"

    notices = _despatch_notices(600)
    with duckdb.connect(str(ledger_path)) as conn:
        ledger = NotificationLedger(conn)
        assert [ledger.status(key_for(row)) for row in notices[:500]] == ["pending"] * 500
        assert {ledger.status(key_for(row)) for row in notices[500:]} == {None}
        with SandboxServer(world.sandbox) as server:
            summary = send_notifications(notices, ledger, _client_at(server.url), now=lambda: LOOK_UP)
        assert (summary.recovered, summary.sent, summary.failures) == (500, 100, [])
        assert {ledger.status(key_for(row)) for row in notices} == {"sent"}
    assert _sent(world)["emails_sent"] == 600, "no customer got a second email"
