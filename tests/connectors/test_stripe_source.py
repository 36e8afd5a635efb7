"""The Stripe events source against the sandbox's ``/v1/events``: full, incremental, retried, refused."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from connectors.destination import warehouse_pipeline
from connectors.stripe import DEFAULT_EVENT_TYPES, stripe_source
from sandbox.clock import advance
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from tests.connectors.support import (
    OUTAGES,
    assert_every_fault_retried,
    dlt_debug_log_into,
    fail_during_outage,
    record_transport,
)

API_KEY = "sk_test_sandbox"
EVENTS_PATH = "/v1/events"


def _point_at(monkeypatch, url: str, api_key: str = API_KEY) -> None:
    monkeypatch.setenv("SOURCES__STRIPE__BASE_URL", url)
    monkeypatch.setenv("SOURCES__STRIPE__API_KEY", api_key)


@pytest.fixture
def stripe(world, monkeypatch) -> Iterator[SandboxServer]:
    with SandboxServer(world.sandbox) as server:
        _point_at(monkeypatch, server.url)
        yield server


def _load(paths, **source_kwargs):
    pipeline = warehouse_pipeline("stripe", paths.warehouse, paths.dlt_pipelines)
    info = pipeline.run(stripe_source(**source_kwargs))
    assert not info.has_failed_jobs
    return pipeline


def _query(paths, sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _count(paths, sql: str) -> int:
    return _query(paths, sql)[0][0]


def _params(request: dict) -> dict[str, list[str]]:
    return parse_qs(request["query"])


def _stripe_requests(paths, after_id: int = 0) -> list[dict]:
    return requests_seen(paths.sandbox, system="stripe", after_id=after_id)


def _last_request_id(paths) -> int:
    seen = requests_seen(paths.sandbox)
    return seen[-1]["id"] if seen else 0


def _expected(paths) -> dict[str, int]:
    """Events of the types the source asks for, per type."""
    by_type = world_stats(paths.sandbox)["stripe"]["events_by_type"]
    return {t: n for t, n in by_type.items() if t in DEFAULT_EVENT_TYPES}


def _loaded_by_type(paths) -> dict[str, int]:
    return dict(_query(paths, "select type, count(*) from raw_stripe.events group by type"))


def test_full_load_matches_the_account_and_a_rerun_asks_only_after_the_cursor(world, stripe):
    stats = world_stats(world.sandbox)["stripe"]
    expected = _expected(world)
    assert sum(expected.values()) > 0
    _load(world)
    assert _loaded_by_type(world) == expected
    if set(stats["events_by_type"]) <= set(DEFAULT_EVENT_TYPES):
        assert _count(world, "select count(*) from raw_stripe.events") == stats["events_total"]
    assert _count(world, "select count(distinct id) from raw_stripe.events") == sum(expected.values())
    linked = _count(
        world,
        "select count(*) from raw_stripe.events where type like 'payment_intent.%' and coalesce("
        "data__object__metadata__order_id, data__object__metadata__order_reference) is not null",
    )
    assert linked > 0, "payment intents should name their order in metadata"
    columns = {name for (name,) in _query(world, "select column_name from information_schema.columns"
                                                 " where table_schema = 'raw_stripe'")}
    assert "data__object__client_secret" not in columns
    first = _stripe_requests(world)
    assert all("created[gte]" not in _params(r) for r in first), "the first run asks for all history"
    assert all(sorted(_params(r)["types[]"]) == sorted(DEFAULT_EVENT_TYPES) for r in first)

    seen = _last_request_id(world)
    cursor = _count(world, "select max(created) from raw_stripe.events")
    _load(world)
    assert _loaded_by_type(world) == expected
    rerun = _stripe_requests(world, seen)
    assert rerun and {r["path"] for r in rerun} == {EVENTS_PATH}
    assert all(_params(r)["created[gte]"] == [str(cursor)] for r in rerun)


def test_charges_land_with_radars_outcome_and_reviews_with_their_payment(world, stripe):
    """Each charge event's outcome.risk_score and risk_level are columns (typed even before a
    load has seen a review close); a review, which has no metadata, names its PaymentIntent."""
    _load(world)
    charges = _query(world, "select data__object__outcome__risk_score, data__object__outcome__risk_level,"
                            " data__object__outcome__type from raw_stripe.events where type like 'charge.%'")
    assert charges and all(score is not None and 0 <= score <= 100 for score, _, _ in charges)
    levels = {"normal": range(0, 65), "elevated": range(65, 75), "highest": range(75, 101)}
    assert all(score in levels[level] for score, level, _ in charges)
    assert {kind for *_, kind in charges} <= {"authorized", "manual_review", "issuer_declined"}
    types = dict(_query(world, "select column_name, data_type from information_schema.columns"
                               " where table_schema = 'raw_stripe' and table_name = 'events'"))
    assert types["data__object__outcome__risk_score"] == "BIGINT"
    assert types["data__object__closed_reason"] == "VARCHAR"
    reviews = _query(world, "select data__object__payment_intent, data__object__metadata__order_id"
                            " from raw_stripe.events where type = 'review.opened'")
    intents = {i for (i,) in _query(world, "select data__object__id from raw_stripe.events"
                                           " where type = 'payment_intent.created'")}
    assert reviews and all(intent in intents and order is None for intent, order in reviews)


def test_every_type_asked_for_follows_the_cursor_across_pages(world, stripe):
    """``event_types=[]`` asks for every type; more than one page means ``starting_after`` hops."""
    _load(world, event_types=[])
    stats = world_stats(world.sandbox)["stripe"]
    assert stats["events_total"] > 100, "the world should need more than one page of 100"
    assert _count(world, "select count(*) from raw_stripe.events") == stats["events_total"]
    requests = _stripe_requests(world)
    assert all("types[]" not in _params(r) for r in requests)
    hops = [r for r in requests if "starting_after" in _params(r)]
    assert len(hops) == -(-stats["events_total"] // 100) - 1


def test_after_the_clock_advances_the_next_run_picks_up_exactly_the_new_events(world, stripe):
    _load(world)
    cursor = _count(world, "select max(created) from raw_stripe.events")
    before = _count(world, "select count(*) from raw_stripe.events")
    advance(world.sandbox, hours=30)
    expected = _expected(world)
    assert sum(expected.values()) > before, "30 hours should bring new payment events"

    seen = _last_request_id(world)
    pipeline = _load(world)
    assert _loaded_by_type(world) == expected
    new = _count(world, f"select count(*) from raw_stripe.events where created > {cursor}")
    assert pipeline.last_trace.last_normalize_info.row_counts["events"] == new
    assert all(_params(r)["created[gte]"] == [str(cursor)] for r in _stripe_requests(world, seen))


def test_5xx_rate_limits_stalls_and_resets_are_retried_until_the_load_completes(world, monkeypatch):
    from sandbox.faults import FaultConfig

    attempts = record_transport(monkeypatch)
    # Backoff in tens of milliseconds (dlt's runtime knob); a 429 still waits its Retry-After.
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    monkeypatch.setattr("connectors.stripe.source.PAGE_LIMIT", 10)  # pages enough for every fault
    faults = FaultConfig(
        systems=("stripe",), rate_limit_per_second=4, fail_every=4, reset_every=7, stall_every=10,
        stall_seconds=5,
    )
    with SandboxServer(world.sandbox, faults=faults) as server:
        _point_at(monkeypatch, server.url)
        _load(world, event_types=[], request_timeout=2)  # a 2 s read timeout gives up on a 5 s stall
    total = world_stats(world.sandbox)["stripe"]["events_total"]
    assert _count(world, "select count(*) from raw_stripe.events") == total
    assert _count(world, "select count(distinct id) from raw_stripe.events") == total
    assert_every_fault_retried(attempts)
    statuses = {r["status"] for r in _stripe_requests(world)}
    assert {0, 429, 503} <= statuses, "the sandbox should have logged the dropped connections too"


@pytest.mark.parametrize(("faults", "outcome"), OUTAGES)
def test_an_api_down_for_the_whole_run_fails_naming_stripe_and_the_request(
    world, monkeypatch, faults, outcome
):
    message, attempts, url = fail_during_outage(monkeypatch, world, "stripe", faults, stripe_source)
    expected = "Stripe API answered HTTP 503" if outcome == 503 else "Stripe API did not answer GET"
    assert expected in message and f"GET {url}{EVENTS_PATH}" in message
    assert API_KEY not in message
    assert attempts == [outcome, outcome]


def test_wrong_api_key_fails_naming_the_source_and_url_but_not_the_key(world, stripe, monkeypatch, caplog):
    wrong = "sk_test_not_the_key_123"
    _point_at(monkeypatch, stripe.url, api_key=wrong)
    pipeline = warehouse_pipeline("stripe", world.warehouse, world.dlt_pipelines)
    with dlt_debug_log_into(caplog), pytest.raises(PipelineStepFailed) as error:
        pipeline.run(stripe_source())
    message = str(error.value)
    assert "Stripe" in message
    assert f"{stripe.url}{EVENTS_PATH}" in message
    assert "401" in message
    assert wrong not in message and API_KEY not in message
    assert "Making GET request" in caplog.text, "dlt's debug log should have been captured"
    assert wrong not in caplog.text and "Authorization" not in caplog.text


KILLED_LOAD = """
import sys
from pathlib import Path
import connectors.stripe.source as stripe_module
from connectors.destination import warehouse_pipeline
stripe_module.PAGE_LIMIT = 2  # many small pages, each behind the sandbox's rate limit (1 a second)
pipeline = warehouse_pipeline("stripe", Path(sys.argv[1]), Path(sys.argv[2]))
pipeline.run(stripe_module.stripe_source())
"""


def test_a_load_killed_midway_resumes_from_the_last_committed_cursor(world, monkeypatch):
    """A committed load, new events, then a load SIGKILLed while it pages through them: the next run
    asks from the cursor the last committed load left and the totals reconcile with the account."""
    import os
    import subprocess
    import sys

    from sandbox.faults import FaultConfig
    from tests.connectors.support import kill_when

    with SandboxServer(world.sandbox) as server:
        _point_at(monkeypatch, server.url)
        _load(world)
    cursor = _count(world, "select max(created) from raw_stripe.events")
    before = _count(world, "select count(*) from raw_stripe.events")
    advance(world.sandbox, hours=30)
    assert sum(_expected(world).values()) - before > 3 * 2, "more new events than three pages of two"

    seen = _last_request_id(world)
    slow = FaultConfig(rate_limit_per_second=1, systems=("stripe",))
    with SandboxServer(world.sandbox, faults=slow) as server:
        _point_at(monkeypatch, server.url)
        args = [sys.executable, "-c", KILLED_LOAD, str(world.warehouse), str(world.dlt_pipelines)]
        loader = subprocess.Popen(args, env=dict(os.environ))

        def pages_served() -> int:
            return sum(r["status"] == 200 for r in _stripe_requests(world, seen))

        # Killed once it has fetched three pages (of about ten), not after a fixed sleep.
        kill_when(loader, lambda: pages_served() >= 3, "mid-way through the pages")
    assert _count(world, "select count(*) from raw_stripe.events") == before, "nothing committed"

    seen = _last_request_id(world)
    with SandboxServer(world.sandbox) as server:
        _point_at(monkeypatch, server.url)
        _load(world)
    expected = _expected(world)
    assert _loaded_by_type(world) == expected
    assert _count(world, "select count(distinct id) from raw_stripe.events") == sum(expected.values())
    rerun = _stripe_requests(world, seen)
    assert rerun and all(_params(r)["created[gte]"] == [str(cursor)] for r in rerun), \
        "the rerun should ask from the last committed cursor"
