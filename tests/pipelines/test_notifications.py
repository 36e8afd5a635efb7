"""Customer notifications through the sandbox's Postmark API: each sent once, and a send
that happened before a crash is found by its key instead of being sent again."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from connectors.postmark import PostmarkClient
from pipelines.actions.notification_ledger import NotificationLedger, notification_key
from pipelines.actions.notifications import send_notifications
from pipelines.notifications.rendering import render
from sandbox.stats import world_stats

ORDER = {
    "order_id": "gid://shopify/Order/1", "order_name": "#1001", "email": "ann@example.org",
    "tracking_number": "RM123456785GB", "carrier": "Royal Mail",
}
DUE = [{"kind": "despatched", **ORDER}, {"kind": "delivered", **ORDER}]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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
    ledger.record_pending(key, row["kind"], row["order_id"], row["email"], _now())
    subject, text = render(row["kind"], row)
    client.send(row["email"], subject, text, tag=row["kind"], key=key)  # ... and then the worker died

    summary = send_notifications([row], ledger, client)
    assert (summary.sent, summary.recovered) == (0, 1)
    assert _sent(world)["emails_sent"] == 1
    assert ledger.status(key) == "sent"


def test_a_pending_notification_that_never_left_is_sent(world, client, ledger):
    row = DUE[1]
    key = notification_key(row["kind"], row["order_id"])
    ledger.record_pending(key, row["kind"], row["order_id"], row["email"], _now())
    summary = send_notifications([row], ledger, client)
    assert (summary.sent, summary.recovered) == (1, 0)
    assert _sent(world)["emails_sent"] == 1


def test_the_despatch_email_carries_the_tracking_link():
    subject, text = render("despatched", DUE[0])
    assert subject == "Your order #1001 is on its way"
    assert "https://www.royalmail.com/track-your-item#/tracking-results/RM123456785GB" in text


def test_a_refused_address_does_not_hold_back_the_others(world, client, ledger):
    broken = {**DUE[0], "order_id": "gid://shopify/Order/2", "order_name": "#1002", "email": "not-an-address"}
    summary = send_notifications([broken, DUE[1]], ledger, client)
    assert summary.sent == 1 and "#1002" in summary.failures[0]
    assert _sent(world)["emails_sent"] == 1
    assert ledger.status(notification_key(broken["kind"], broken["order_id"])) == "pending"
