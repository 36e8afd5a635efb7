"""Label booking against the sandbox's Click & Drop API, with a real ledger in DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from connectors.click_and_drop import ClickAndDropClient, ClickAndDropError
from orderloop.sandbox_mode import SANDBOX_CLICK_AND_DROP_KEY
from pipelines.actions.label_booking import book_labels, hold_reason
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
    "is_address_valid": True,
    "is_routed_with_stock": True,
    "channel_service_code": "TPN24",
}
# An address orderloop's validation passed but the carrier refuses (its rule is stricter).
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
    from orderloop.rule_sets import label_rules
    from pipelines.actions.label_booking import click_and_drop_order

    first = client.create_order(click_and_drop_order(VALID, label_rules()))
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


def _orders(first: int, count: int) -> list[dict]:
    return [
        {**VALID, "order_id": f"gid://shopify/Order/{first + n}", "order_reference": f"#{first + n}",
         "address_fingerprint": f"fp-{first + n}"}
        for n in range(count)
    ]


def _wait_for_replays(world, expected: int, timeout: float = 10.0) -> int:
    """Stalled POSTs are carried out after the client gave up on them: wait until they have been."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        replays = world_stats(world.sandbox)["click_and_drop"]["idempotent_replays"]
        if replays >= expected or time.monotonic() > deadline:
            return replays
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("faults", "backoff", "count"),
    [
        # The retry books first; the stalled POST, carried out later, finds the booking.
        ({"stall_every": 3, "stall_seconds": 3.0, "reset_every": 4}, "0.05", 5),
        # The stalled POST books first (the carrier did book); the retry finds the booking.
        ({"stall_every": 2, "stall_seconds": 1.2}, "1.5", 3),
    ],
    ids=["retry-books-first", "stalled-post-books-first"],
)
def test_a_timed_out_or_dropped_booking_is_retried_without_a_second_label(
    world, monkeypatch, tmp_path, faults, backoff, count
):
    from sandbox.faults import FaultConfig
    from sandbox.server import SandboxServer
    from tests.connectors.support import record_transport

    attempts = record_transport(monkeypatch)
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", backoff)
    before = world_stats(world.sandbox)["click_and_drop"]
    orders = _orders(9200, count)
    config = FaultConfig(systems=("click_and_drop",), **faults)
    with SandboxServer(world.sandbox, faults=config) as server, \
            duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        client = ClickAndDropClient(f"{server.url}/api/v1", SANDBOX_CLICK_AND_DROP_KEY, request_timeout=1)
        ledger = LabelBookingLedger(conn)
        summary = book_labels(orders, ledger, client)
        stalls = sum(a["outcome"] == "ReadTimeout" for a in attempts)
        replays = _wait_for_replays(world, before["idempotent_replays"] + stalls)
        tracking = conn.execute("select tracking_number from actions.label_bookings").fetchall()
    assert stalls >= 1
    retried_after = [b["started"] - a["started"] for a, b in zip(attempts, attempts[1:], strict=False)
                     if a["outcome"] == "ReadTimeout"]
    stalled_post_first = min(retried_after) > faults["stall_seconds"]
    assert stalled_post_first == (backoff == "1.5"), "the intended order of stalled POST and retry"
    assert ("reset_every" in faults) == any(a["outcome"] == "ConnectionError" for a in attempts)
    assert summary.booked == count and _distinct_tracking_numbers(tracking) == count
    stats = world_stats(world.sandbox)["click_and_drop"]
    assert stats["bookings_accepted"] == before["bookings_accepted"] + count
    assert stats["duplicate_bookings"] == 0
    assert replays == before["idempotent_replays"] + stalls, "each stalled POST found the booking"


def _distinct_tracking_numbers(tracking: list[tuple]) -> int:
    """Distinct tracking numbers recorded: one label per order."""
    numbers = [row[0] for row in tracking]
    assert None not in numbers
    return len(set(numbers))


def test_bookings_that_time_out_all_run_stay_pending_and_the_next_run_books_no_second_label(
    world, monkeypatch, tmp_path
):
    """Every POST stalls past the timeout, so the pass fails naming Click & Drop and the request,
    while the carrier books each one anyway; the next pass gets those bookings back."""
    from pipelines.actions.label_booking import BookingSummary
    from sandbox.faults import FaultConfig
    from sandbox.server import SandboxServer

    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    before = world_stats(world.sandbox)["click_and_drop"]
    order = _orders(9300, 1)
    key = label_booking_key(order[0]["order_id"], order[0]["address_fingerprint"])
    stalled = FaultConfig(systems=("click_and_drop",), stall_every=1, stall_seconds=1.0)
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        ledger = LabelBookingLedger(conn)
        with SandboxServer(world.sandbox, faults=stalled) as server:
            client = ClickAndDropClient(
                f"{server.url}/api/v1", SANDBOX_CLICK_AND_DROP_KEY, request_timeout=0.3
            )
            with pytest.raises(ClickAndDropError) as error:
                book_labels(order, ledger, client)
            _wait_for_replays(world, before["idempotent_replays"] + 1)  # both attempts carried out
        message = str(error.value)
        assert f"POST {server.url}/api/v1/orders" in message and "#9300" in message
        assert "Click & Drop API did not answer" in message and SANDBOX_CLICK_AND_DROP_KEY not in message
        assert ledger.entry(key).status == "pending"

        with SandboxServer(world.sandbox) as server:
            client = ClickAndDropClient(f"{server.url}/api/v1", SANDBOX_CLICK_AND_DROP_KEY)
            summary = book_labels(order, ledger, client)
    assert summary == BookingSummary(booked=1)
    stats = world_stats(world.sandbox)["click_and_drop"]
    assert stats["bookings_accepted"] == before["bookings_accepted"] + 1
    assert stats["duplicate_bookings"] == 0


@pytest.mark.parametrize("failure", ["wrong key", "api down"])
def test_a_refused_booking_fails_naming_click_and_drop_and_the_request_but_not_the_key(
    world, monkeypatch, tmp_path, failure
):
    from sandbox.faults import FaultConfig
    from sandbox.server import SandboxServer

    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    key = "cnd_not_the_key" if failure == "wrong key" else SANDBOX_CLICK_AND_DROP_KEY
    down = FaultConfig(systems=("click_and_drop",), fail_every=1) if failure == "api down" else None
    with SandboxServer(world.sandbox, faults=down) as server, \
            duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        client = ClickAndDropClient(f"{server.url}/api/v1", key)
        with pytest.raises(ClickAndDropError) as error:
            book_labels([VALID], LabelBookingLedger(conn), client)
    message = str(error.value)
    status = "401" if failure == "wrong key" else "503"
    assert f"Click & Drop API answered HTTP {status} to POST {server.url}/api/v1/orders" in message
    assert "#9001" in message and key not in message


# --- The payment holds, on real label_booking_queue rows ----------------------------------

HOLDS_V3_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def queued(tmp_path_factory):
    """A world where someone put a paid WooCommerce order (processing, valid address) in
    Stripe's review queue by hand, after one `orderloop run`: the label queue's rows, the
    reviewed order's id, and the world served over HTTP."""
    from orderloop.cli import main
    from sandbox.generator import generate_world
    from sandbox.server import SandboxServer
    from sandbox.woo_factory import WooEvent
    from sandbox.woo_lifecycle import WooWorld
    from sandbox.world import opened, world_seed
    from tests.conftest import WORLD_DAYS, WORLD_NOW, WORLD_SEED, use_data_dir

    paths = use_data_dir(tmp_path_factory.mktemp("holds") / "data")
    generate_world(paths.sandbox, days=WORLD_DAYS, seed=WORLD_SEED, now=WORLD_NOW)
    with opened(paths.sandbox, write=True) as conn:
        reviewed = conn.execute(
            "SELECT id FROM woo_orders WHERE status = 'processing' AND address_valid = 1 ORDER BY id DESC"
        ).fetchone()["id"]
        by_hand = WooEvent(WORLD_NOW - timedelta(minutes=30), "review_opened", {"opened_reason": "manual"})
        WooWorld(conn, world_seed(conn)).apply(reviewed, by_hand)
    assert main(["run"]) == 0
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        cursor = conn.execute("select * from marts.label_booking_queue order by order_reference")
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    with SandboxServer(paths.sandbox) as server:
        client = ClickAndDropClient(f"{server.url}/api/v1", SANDBOX_CLICK_AND_DROP_KEY)
        yield paths, rows, str(reviewed), client


def _rules_at(at: datetime):
    """The label and hold rules in force at ``at``, with the stock rule off so only holds decide."""
    from orderloop.rule_sets import HoldRules, in_force, label_rules

    return label_rules(at).model_copy(update={"require_stock": False}), in_force(HoldRules, at)


def test_an_open_payment_review_holds_the_order_from_holds_v3(queued, tmp_path):
    paths, rows, reviewed, client = queued
    woo = {row["order_id"]: row for row in rows if row["channel"] == "woocommerce"}
    row = woo[reviewed]
    assert row["has_open_payment_review"] is True and row["fraud_risk_score"] is not None
    others = [r for r in woo.values() if not r["has_open_payment_review"] and r["is_address_valid"]]
    assert others, "the world must leave other WooCommerce orders to book"
    assert not any(r["has_open_payment_review"] for r in rows if r["channel"] != "woocommerce")

    labels, holds = _rules_at(HOLDS_V3_AT)
    assert holds.hold_payment_review
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        ledger = LabelBookingLedger(conn)
        summary = book_labels([row, *others], ledger, client, rules=labels, holds=holds)
        assert (summary.held_payment_review, summary.booked) == (1, len(others))
        assert not ledger.has_booked(reviewed)
        # Under holds-v2 (before the payment holds) the same row is booked.
        labels_v2, holds_v2 = _rules_at(HOLDS_V3_AT - timedelta(minutes=1))
        again = book_labels([row], ledger, client, rules=labels_v2, holds=holds_v2)
        assert (again.held_payment_review, again.booked) == (0, 1) and ledger.has_booked(reviewed)


def test_a_risk_score_above_the_maximum_holds_the_order(queued, tmp_path):
    _, rows, _, client = queued
    scored = [r for r in rows if r["fraud_risk_score"] is not None and not r["has_open_payment_review"]
              and r["is_address_valid"]]
    riskiest = max(scored, key=lambda r: r["fraud_risk_score"])
    score = riskiest["fraud_risk_score"]
    labels, holds = _rules_at(HOLDS_V3_AT)
    assert score <= holds.max_fraud_score, "holds-v3 books the world's normal-risk orders"
    unscored = [r for r in rows if r["fraud_risk_score"] is None]
    assert unscored and {r["channel"] for r in unscored} == {"shopify"}, "Shopify pays without Stripe"
    strict = holds.model_copy(update={"max_fraud_score": score - 1})
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        ledger = LabelBookingLedger(conn)
        summary = book_labels([riskiest], ledger, client, rules=labels, holds=strict)
        assert (summary.held_fraud_score, summary.booked) == (1, 0)
        assert not ledger.has_booked(riskiest["order_id"])
        at_the_maximum = holds.model_copy(update={"max_fraud_score": score})
        summary = book_labels([riskiest], ledger, client, rules=labels, holds=at_the_maximum)
        assert (summary.held_fraud_score, summary.booked) == (0, 1)
    # A person approving a review of the payment releases the hold.
    approved = {**riskiest, "is_payment_review_approved": True}
    assert hold_reason(approved, labels, strict) is None
    assert hold_reason(riskiest, labels, strict) == "fraud_score"
