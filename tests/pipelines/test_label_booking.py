"""Label booking against the sandbox's Click & Drop API, with a real ledger in DuckDB."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from connectors.click_and_drop import ClickAndDropClient
from orderloop.sandbox_mode import SANDBOX_CLICK_AND_DROP_KEY
from pipelines.actions.label_booking import book_labels
from pipelines.actions.ledger import LabelBookingLedger, label_booking_key
from sandbox.stats import world_stats

VALID = {
    "order_id": "gid://shopify/Order/9001",
    "order_reference": "#9001",
    "placed_at": datetime(2026, 11, 20, 9, 30),
    "currency_code": "GBP",
    "subtotal_amount": 20,
    "shipping_amount": 3.5,
    "total_amount": 23.5,
    "email": "pat@example.co.uk",
    "ship_to_name": "Pat Doe",
    "ship_to_address1": "1 High Street",
    "ship_to_address2": None,
    "ship_to_city": "Leeds",
    "ship_to_postcode": "LS1 4AP",
    "ship_to_country_code": "GB",
    "address_fingerprint": "fp-valid",
}
INVALID = {**VALID, "order_id": "gid://shopify/Order/9002", "order_reference": "#9002",
           "ship_to_postcode": "XX1 1XXX", "address_fingerprint": "fp-invalid"}


@pytest.fixture
def ledger(tmp_path):
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        yield LabelBookingLedger(conn)


@pytest.fixture
def client(sandbox_url):
    return ClickAndDropClient(f"{sandbox_url}/api/v1", SANDBOX_CLICK_AND_DROP_KEY)


def test_books_valid_and_records_rejection(ledger, client, world):
    summary = book_labels([VALID, INVALID], ledger, client)
    assert (summary.booked, summary.rejected) == (1, 1)
    assert "postcode" in summary.rejections[0].lower()
    assert ledger.counts() == {"booked": 1, "failed": 1}
    stats = world_stats(world.sandbox)["click_and_drop"]
    assert stats["bookings_rejected"] == 1


def test_repeating_the_pass_books_nothing_new(ledger, client, world):
    book_labels([VALID, INVALID], ledger, client)
    accepted = world_stats(world.sandbox)["click_and_drop"]["bookings_accepted"]
    again = book_labels([VALID, INVALID], ledger, client)
    assert (again.booked, again.rejected) == (0, 0)
    assert (again.skipped_already_booked, again.skipped_already_rejected) == (1, 1)
    stats = world_stats(world.sandbox)["click_and_drop"]
    assert stats["bookings_accepted"] == accepted
    assert stats["duplicate_bookings"] == 0


def test_crash_between_call_and_ledger_write_recovers_without_a_second_label(ledger, client, world):
    # The process dies after Click & Drop accepted the booking but before the ledger
    # recorded it: the ledger still says 'pending'.
    key = label_booking_key(VALID["order_id"], VALID["address_fingerprint"])
    ledger.record_pending(key, VALID["order_id"], VALID["order_reference"], VALID["address_fingerprint"],
                          "labels-v1", datetime(2026, 11, 20, 10))
    from pipelines.actions.label_booking import click_and_drop_order

    first = client.create_order(click_and_drop_order(VALID))
    assert first.accepted and ledger.entry(key).status == "pending"

    summary = book_labels([VALID], ledger, client)
    assert summary.booked == 1
    assert ledger.entry(key).status == "booked"
    stats = world_stats(world.sandbox)["click_and_drop"]
    assert stats["duplicate_bookings"] == 0
    assert stats["idempotent_replays"] == 1


def test_a_corrected_address_gets_a_new_attempt(ledger, client, world):
    book_labels([INVALID], ledger, client)
    corrected = {**INVALID, "ship_to_postcode": "LS2 7EE", "address_fingerprint": "fp-corrected"}
    summary = book_labels([corrected], ledger, client)
    assert summary.booked == 1
    assert ledger.has_booked(INVALID["order_id"])


def test_rate_limited_bookings_are_retried_and_each_order_is_booked_once(world, monkeypatch, tmp_path):
    """Click & Drop's published limit (5 calls a second, then 429): the pass slows down, books
    everything, and the retried POSTs create no second label (orderReference is idempotent)."""
    from sandbox.request_log import requests_seen
    from sandbox.server import SandboxServer

    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.2")
    orders = [
        {**VALID, "order_id": f"gid://shopify/Order/{9100 + n}", "order_reference": f"#{9100 + n}",
         "address_fingerprint": f"fp-{n}"}
        for n in range(15)
    ]
    before = world_stats(world.sandbox)["click_and_drop"]["bookings_accepted"]
    with SandboxServer(world.sandbox, click_and_drop_rate_limit=5) as server, \
            duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        client = ClickAndDropClient(f"{server.url}/api/v1", SANDBOX_CLICK_AND_DROP_KEY)
        summary = book_labels(orders, LabelBookingLedger(conn), client)
    assert summary.booked == 15
    statuses = [r["status"] for r in requests_seen(world.sandbox, system="click_and_drop")]
    assert 429 in statuses, "the rate limit should have been hit"
    assert world_stats(world.sandbox)["click_and_drop"]["bookings_accepted"] == before + 15
