"""Customer notifications through the sandbox's Postmark API: each sent once, and a send
that happened before a crash is found by its key instead of being sent again; the
notification rules in force at send time decide which notices go out, with which template."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest
import requests

from connectors.postmark import PostmarkClient
from orderloop.sandbox_mode import SANDBOX_POSTMARK_TOKEN
from pipelines.actions.notification_ledger import NotificationLedger, notification_key
from pipelines.actions.notifications import key_for, send_notifications
from pipelines.notifications.rendering import render
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

    summary = send_notifications([ADDRESS_NOTICE], ledger, client, now=lambda: AFTER_V2)
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
