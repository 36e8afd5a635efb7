"""Zendesk tickets from the sandbox's incremental export: cursor carried across runs, merged on id."""

from __future__ import annotations

import duckdb
import pytest

from connectors.destination import warehouse_pipeline
from connectors.zendesk import zendesk_source
from connectors.zendesk.source import ZendeskAPIError
from orderloop.sandbox_mode import SANDBOX_ZENDESK_EMAIL as EMAIL
from orderloop.sandbox_mode import SANDBOX_ZENDESK_TOKEN as TOKEN
from sandbox.clock import advance
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from tests.connectors.support import OUTAGES, assert_every_fault_retried, fail_during_outage, record_transport


@pytest.fixture
def helpdesk(world, monkeypatch):
    with SandboxServer(world.sandbox) as server:
        monkeypatch.setenv("SOURCES__ZENDESK__BASE_URL", server.url)
        monkeypatch.setenv("SOURCES__ZENDESK__EMAIL", EMAIL)
        monkeypatch.setenv("SOURCES__ZENDESK__API_TOKEN", TOKEN)
        yield server


def _tickets(paths) -> int:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute("select count(*) from raw_zendesk.tickets").fetchone()[0]


def test_tickets_load_once_and_the_cursor_carries_over(world, helpdesk):
    pipeline = warehouse_pipeline("zendesk", world.warehouse, world.dlt_pipelines)
    pipeline.run(zendesk_source(page_size=3))
    total = world_stats(world.sandbox)["zendesk"]["tickets_total"]
    assert total > 3, "enough tickets for several pages"
    assert _tickets(world) == total

    first = requests_seen(world.sandbox, system="zendesk")
    assert "start_time=" in first[0]["query"] and all("cursor=" in r["query"] for r in first[1:])
    pipeline.run(zendesk_source(page_size=3))
    second = requests_seen(world.sandbox, system="zendesk", after_id=first[-1]["id"])
    assert len(second) == 1 and "cursor=" in second[0]["query"], "the next run continues from the cursor"
    assert _tickets(world) == total

    advance(world.sandbox, hours=48)
    pipeline.run(zendesk_source(page_size=3))
    assert _tickets(world) == world_stats(world.sandbox)["zendesk"]["tickets_total"]


def test_wrong_token_fails_naming_zendesk_not_the_token(world, helpdesk, monkeypatch):
    monkeypatch.setenv("SOURCES__ZENDESK__API_TOKEN", "wrong-token")
    pipeline = warehouse_pipeline("zendesk", world.warehouse, world.dlt_pipelines)
    with pytest.raises(Exception) as error:
        pipeline.run(zendesk_source())
    assert isinstance(error.value.__cause__.__cause__, ZendeskAPIError) or "Zendesk" in str(error.value)
    assert "401" in str(error.value) and "wrong-token" not in str(error.value)


def _point_at(monkeypatch, url: str) -> None:
    monkeypatch.setenv("SOURCES__ZENDESK__BASE_URL", url)
    monkeypatch.setenv("SOURCES__ZENDESK__EMAIL", EMAIL)
    monkeypatch.setenv("SOURCES__ZENDESK__API_TOKEN", TOKEN)


def test_5xx_rate_limits_stalls_and_resets_are_retried_until_the_load_completes(world, monkeypatch):
    from sandbox.faults import FaultConfig

    attempts = record_transport(monkeypatch)
    # Backoff in tens of milliseconds (dlt's runtime knob); a 429 still waits its Retry-After.
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    faults = FaultConfig(
        systems=("zendesk",), rate_limit_per_second=4, fail_every=4, reset_every=7, stall_every=10,
        stall_seconds=5,
    )
    with SandboxServer(world.sandbox, faults=faults) as server:
        _point_at(monkeypatch, server.url)
        pipeline = warehouse_pipeline("zendesk", world.warehouse, world.dlt_pipelines)
        # A 2 s read timeout gives up on a 5 s stall.
        pipeline.run(zendesk_source(page_size=1, request_timeout=2))  # a page per ticket
    total = world_stats(world.sandbox)["zendesk"]["tickets_total"]
    assert _tickets(world) == total
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        assert conn.execute("select count(distinct id) from raw_zendesk.tickets").fetchone()[0] == total
    assert_every_fault_retried(attempts)
    statuses = {r["status"] for r in requests_seen(world.sandbox, system="zendesk")}
    assert {0, 429, 503} <= statuses, "the sandbox should have logged the dropped connections too"


@pytest.mark.parametrize(("faults", "outcome"), OUTAGES)
def test_an_api_down_for_the_whole_run_fails_naming_zendesk_and_the_request(
    world, monkeypatch, faults, outcome
):
    message, attempts, url = fail_during_outage(monkeypatch, world, "zendesk", faults, zendesk_source)
    expected = "Zendesk refused GET" if outcome == 503 else "Zendesk did not answer GET"
    assert expected in message and f"GET {url}/api/v2/incremental/tickets/cursor.json" in message
    assert TOKEN not in message
    assert attempts == [outcome, outcome]


KILLED_LOAD = """
import sys
from pathlib import Path
from connectors.destination import warehouse_pipeline
from connectors.zendesk import zendesk_source
warehouse_pipeline("zendesk", Path(sys.argv[1]), Path(sys.argv[2])).run(zendesk_source(page_size=1))
"""


def test_a_load_killed_midway_resumes_from_the_last_committed_cursor(world, monkeypatch):
    import os
    import signal
    import subprocess
    import sys
    import time

    from sandbox.faults import FaultConfig

    slow = FaultConfig(rate_limit_per_second=1, systems=("zendesk",))
    with SandboxServer(world.sandbox, faults=slow) as server:
        monkeypatch.setenv("SOURCES__ZENDESK__BASE_URL", server.url)
        monkeypatch.setenv("SOURCES__ZENDESK__EMAIL", EMAIL)
        monkeypatch.setenv("SOURCES__ZENDESK__API_TOKEN", TOKEN)
        args = [sys.executable, "-c", KILLED_LOAD, str(world.warehouse), str(world.dlt_pipelines)]
        loader = subprocess.Popen(args, env=dict(os.environ))
        time.sleep(3)
        assert loader.poll() is None, "the load should still be running when it is killed"
        loader.send_signal(signal.SIGKILL)
        loader.wait(timeout=30)
    with SandboxServer(world.sandbox) as server:
        monkeypatch.setenv("SOURCES__ZENDESK__BASE_URL", server.url)
        warehouse_pipeline("zendesk", world.warehouse, world.dlt_pipelines).run(zendesk_source(page_size=3))
    total = world_stats(world.sandbox)["zendesk"]["tickets_total"]
    assert _tickets(world) == total
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        assert conn.execute("select count(distinct id) from raw_zendesk.tickets").fetchone()[0] == total
