"""Click & Drop shipments loaded back from the sandbox's GET /orders, incrementally."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs

import duckdb
import pytest

from connectors.click_and_drop.source import click_and_drop_source
from connectors.destination import warehouse_pipeline
from sandbox.request_log import requests_seen
from sandbox.stats import world_stats
from tests.connectors.support import OUTAGES, fail_during_outage


def _shipments(paths) -> int:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute("select count(*) from raw_click_and_drop.shipments").fetchone()[0]


def test_loads_every_accepted_booking_once_with_tracking(world, sandbox_url):
    pipeline = warehouse_pipeline("click_and_drop", world.warehouse, world.dlt_pipelines)
    pipeline.run(click_and_drop_source(page_size=25))
    accepted = world_stats(world.sandbox)["click_and_drop"]["bookings_accepted"]
    assert accepted > 25, "enough bookings to need several pages"
    assert _shipments(world) == accepted
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        missing = conn.execute(
            "select count(*) from raw_click_and_drop.shipments where tracking_number is null"
        ).fetchone()[0]
    assert missing == 0

    first_run = requests_seen(world.sandbox, system="click_and_drop")
    pipeline.run(click_and_drop_source(page_size=25))
    assert _shipments(world) == accepted, "a second run duplicates nothing"
    second_run = requests_seen(world.sandbox, system="click_and_drop", after_id=first_run[-1]["id"])
    start = parse_qs(second_run[0]["query"])["startDateTime"][0]
    newest = max(datetime.fromisoformat(r.replace("Z", "+00:00")) for r in _created_on(world))
    # The second run asks only for the last week before the newest shipment it has (the lookback).
    assert datetime.fromisoformat(start.replace("Z", "+00:00")) == newest - timedelta(days=7)


def _created_on(paths) -> list[str]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        rows = conn.execute("select strftime(created_on at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ')"
                            " from raw_click_and_drop.shipments").fetchall()
    return [row[0] for row in rows]


def test_5xx_rate_limits_stalls_and_resets_are_retried_until_the_load_completes(world, monkeypatch):
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.faults import FaultConfig
    from sandbox.server import SandboxServer
    from tests.connectors.support import assert_every_fault_retried, record_transport

    attempts = record_transport(monkeypatch)
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    faults = FaultConfig(
        systems=("click_and_drop",), rate_limit_per_second=5, fail_every=3, stall_every=8, stall_seconds=5,
        reset_every=5,
    )
    with SandboxServer(world.sandbox, faults=faults) as server, sources_pointing_at(server.url):
        pipeline = warehouse_pipeline("click_and_drop", world.warehouse, world.dlt_pipelines)
        pipeline.run(click_and_drop_source(page_size=10, request_timeout=2))
    accepted = world_stats(world.sandbox)["click_and_drop"]["bookings_accepted"]
    assert _shipments(world) == accepted
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        distinct = conn.execute(
            "select count(distinct order_identifier) from raw_click_and_drop.shipments"
        ).fetchone()[0]
    assert distinct == accepted
    assert_every_fault_retried(attempts)
    statuses = {r["status"] for r in requests_seen(world.sandbox, system="click_and_drop")}
    assert {0, 429, 503} <= statuses


def test_a_wrong_key_fails_naming_click_and_drop_and_the_request_but_not_the_key(world, sandbox_url):
    from dlt.pipeline.exceptions import PipelineStepFailed

    from orderloop.sandbox_mode import SANDBOX_CLICK_AND_DROP_KEY

    pipeline = warehouse_pipeline("click_and_drop", world.warehouse, world.dlt_pipelines)
    with pytest.raises(PipelineStepFailed) as error:
        pipeline.run(click_and_drop_source(api_key="cnd_not_the_key"))
    message = str(error.value)
    assert "Click & Drop API answered HTTP 401" in message and f"GET {sandbox_url}/api/v1/orders" in message
    assert "cnd_not_the_key" not in message and SANDBOX_CLICK_AND_DROP_KEY not in message


@pytest.mark.parametrize(("faults", "outcome"), OUTAGES)
def test_an_api_down_for_the_whole_run_fails_naming_click_and_drop_and_the_request(
    world, monkeypatch, faults, outcome
):
    from orderloop.sandbox_mode import SANDBOX_CLICK_AND_DROP_KEY

    message, attempts, url = fail_during_outage(
        monkeypatch, world, "click_and_drop", faults, click_and_drop_source
    )
    expected = "Click & Drop API answered HTTP 503" if outcome == 503 else "Click & Drop API did not answer"
    assert expected in message and f"GET {url}/api/v1/orders" in message
    assert SANDBOX_CLICK_AND_DROP_KEY not in message
    assert attempts == [outcome, outcome]
