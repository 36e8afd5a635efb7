"""The WooCommerce source against the sandbox's REST API v3: full, incremental, retried, refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from connectors.destination import warehouse_pipeline
from connectors.woocommerce import woocommerce_source
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

CONSUMER_KEY = "ck_sandbox"
CONSUMER_SECRET = "cs_sandbox"
ORDERS_PATH = "/wp-json/wc/v3/orders"
RATE_LIMIT = 40  # requests per rolling second
# About 120 requests (orders pages, then notes and refunds per order): a few of each fault, never
# two in a row, and only two stalls (each costs the 2 s read timeout).
FAIL_EVERY = 40
RESET_EVERY = 35
STALL_EVERY = 55


def _point_at(monkeypatch, url: str, secret: str = CONSUMER_SECRET) -> None:
    monkeypatch.setenv("SOURCES__WOOCOMMERCE__STORE_URL", url)
    monkeypatch.setenv("SOURCES__WOOCOMMERCE__CONSUMER_KEY", CONSUMER_KEY)
    monkeypatch.setenv("SOURCES__WOOCOMMERCE__CONSUMER_SECRET", secret)


@pytest.fixture
def store(world, monkeypatch) -> Iterator[SandboxServer]:
    with SandboxServer(world.sandbox) as server:
        _point_at(monkeypatch, server.url)
        yield server


def _load(paths, **source_kwargs):
    pipeline = warehouse_pipeline("woocommerce", paths.warehouse, paths.dlt_pipelines)
    info = pipeline.run(woocommerce_source(**source_kwargs))
    assert not info.has_failed_jobs
    return pipeline


def _query(paths, sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _count(paths, sql: str) -> int:
    return _query(paths, sql)[0][0]


def _params(request: dict) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(request["query"]).items()}


def _woo_requests(paths, after_id: int = 0) -> list[dict]:
    return requests_seen(paths.sandbox, system="woocommerce", after_id=after_id)


def _last_request_id(paths) -> int:
    seen = requests_seen(paths.sandbox)
    return seen[-1]["id"] if seen else 0


def _cursor(paths):
    return _query(paths, "select max(date_modified_gmt) from raw_woocommerce.orders")[0][0]


def _as_param(moment) -> str:
    """How the source asks: one second before the cursor, naive UTC (``dates_are_gmt``)."""
    return (moment.replace(tzinfo=None) - timedelta(seconds=1)).isoformat()


def test_full_load_matches_the_store_and_a_rerun_asks_only_after_the_cursor(world, store):
    stats = world_stats(world.sandbox)["woocommerce"]
    _load(world, per_page=7)  # small pages: many page hops
    assert _count(world, "select count(*) from raw_woocommerce.orders") == stats["orders_total"]
    assert _count(world, "select count(distinct id) from raw_woocommerce.orders") == stats["orders_total"]
    by_status = dict(_query(world, "select status, count(*) from raw_woocommerce.orders group by status"))
    assert by_status == stats["orders_by_status"]
    assert _count(world, "select count(*) from raw_woocommerce.order_notes") == stats["notes_total"]
    assert _count(world, "select count(*) from raw_woocommerce.order_refunds") == stats["refunds_total"]
    assert _count(world, "select count(*) from raw_woocommerce.orders__line_items") >= stats["orders_total"]
    orphans = _count(
        world,
        "select count(*) from raw_woocommerce.order_notes n"
        " left join raw_woocommerce.orders o on o.id = n.order_id where o.id is null",
    )
    assert orphans == 0

    # Refunds are asked for only where the order lists some: one request per such order.
    refund_requests = [r for r in _woo_requests(world) if r["path"].endswith("/refunds")]
    refunded = _count(world, "select count(distinct order_id) from raw_woocommerce.order_refunds")
    assert 0 < refunded == len(refund_requests) < stats["orders_total"]

    first = [r for r in _woo_requests(world) if r["path"] == ORDERS_PATH]
    assert all("modified_after" not in _params(r) for r in first), "the first run asks for all history"
    assert len(first) == -(-stats["orders_total"] // 7), "X-WP-TotalPages ends the paging: no empty page"

    seen = _last_request_id(world)
    cursor = _cursor(world)
    _load(world, per_page=7)
    assert _count(world, "select count(*) from raw_woocommerce.orders") == stats["orders_total"]
    assert _count(world, "select count(*) from raw_woocommerce.order_notes") == stats["notes_total"]
    rerun = _woo_requests(world, seen)
    assert rerun, "the rerun should still ask the store"
    assert {r["path"] for r in rerun} == {ORDERS_PATH}, "no notes/refunds asked for unchanged orders"
    for request in rerun:
        params = _params(request)
        assert params["modified_after"] == _as_param(cursor)
        assert params["dates_are_gmt"] == "true"
        assert (params["orderby"], params["order"]) == ("modified", "asc")


def test_after_the_clock_advances_the_next_run_picks_up_exactly_the_changes(world, store):
    _load(world)
    cursor = _cursor(world)
    before = _count(world, "select count(*) from raw_woocommerce.orders")
    advance(world.sandbox, hours=30)
    stats = world_stats(world.sandbox)["woocommerce"]
    assert stats["orders_total"] > before, "30 hours should bring new orders"

    seen = _last_request_id(world)
    pipeline = _load(world)
    assert _count(world, "select count(*) from raw_woocommerce.orders") == stats["orders_total"]
    by_status = dict(_query(world, "select status, count(*) from raw_woocommerce.orders group by status"))
    assert by_status == stats["orders_by_status"]
    assert _count(world, "select count(*) from raw_woocommerce.order_notes") == stats["notes_total"]
    assert _count(world, "select count(*) from raw_woocommerce.order_refunds") == stats["refunds_total"]

    changed = _count(
        world,
        f"select count(*) from raw_woocommerce.orders where date_modified_gmt > '{cursor.isoformat()}'",
    )
    loaded = pipeline.last_trace.last_normalize_info.row_counts["orders"]
    assert loaded == changed
    order_requests = [r for r in _woo_requests(world, seen) if r["path"] == ORDERS_PATH]
    assert {_params(r)["modified_after"] for r in order_requests} == {_as_param(cursor)}


def test_5xx_rate_limits_stalls_and_resets_are_retried_until_the_load_completes(world, monkeypatch):
    from sandbox.faults import FaultConfig

    attempts = record_transport(monkeypatch)
    # Backoff in tens of milliseconds (dlt's runtime knob); a 429 still waits its Retry-After.
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    faults = FaultConfig(
        systems=("woocommerce",), rate_limit_per_second=RATE_LIMIT, fail_every=FAIL_EVERY,
        reset_every=RESET_EVERY, stall_every=STALL_EVERY, stall_seconds=5,
    )
    with SandboxServer(world.sandbox, faults=faults) as server:
        _point_at(monkeypatch, server.url)
        _load(world, per_page=10, request_timeout=2)  # a 2 s read timeout gives up on a 5 s stall
    stats = world_stats(world.sandbox)["woocommerce"]
    for table, total in [("orders", stats["orders_total"]), ("order_notes", stats["notes_total"]),
                         ("order_refunds", stats["refunds_total"])]:
        assert _count(world, f"select count(*) from raw_woocommerce.{table}") == total, table
        assert _count(world, f"select count(distinct id) from raw_woocommerce.{table}") == total, table
    assert_every_fault_retried(attempts)
    statuses = {r["status"] for r in _woo_requests(world)}
    assert {0, 429, 503} <= statuses, "the sandbox should have logged the dropped connections too"


@pytest.mark.parametrize(("faults", "outcome"), OUTAGES)
def test_an_api_down_for_the_whole_run_fails_naming_woocommerce_and_the_request(
    world, monkeypatch, faults, outcome
):
    message, attempts, url = fail_during_outage(monkeypatch, world, "woocommerce", faults, woocommerce_source)
    expected = "WooCommerce API answered HTTP 503" if outcome == 503 else "WooCommerce API did not answer GET"
    assert expected in message and f"GET {url}{ORDERS_PATH}" in message
    assert CONSUMER_KEY not in message and CONSUMER_SECRET not in message
    assert attempts == [outcome, outcome]


def test_wrong_credentials_fail_naming_source_and_url_but_not_the_secret(world, store, monkeypatch, caplog):
    wrong = "cs_not_the_secret_123"
    _point_at(monkeypatch, store.url, secret=wrong)
    pipeline = warehouse_pipeline("woocommerce", world.warehouse, world.dlt_pipelines)
    with dlt_debug_log_into(caplog), pytest.raises(PipelineStepFailed) as error:
        pipeline.run(woocommerce_source())
    message = str(error.value)
    assert "WooCommerce" in message
    assert f"{store.url}{ORDERS_PATH}" in message
    assert "401" in message
    assert wrong not in message and CONSUMER_SECRET not in message
    assert "Making GET request" in caplog.text, "dlt's debug log should have been captured"
    assert wrong not in caplog.text and "Authorization" not in caplog.text



KILLED_LOAD = """
import sys
from pathlib import Path
from connectors.destination import warehouse_pipeline
from connectors.woocommerce import woocommerce_source
warehouse_pipeline("woocommerce", Path(sys.argv[1]), Path(sys.argv[2])).run(woocommerce_source(per_page=5))
"""


def test_a_load_killed_midway_loses_and_duplicates_nothing(world, monkeypatch):
    """SIGKILL the loader while it is being rate limited; the next run reconciles with the store."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from sandbox.faults import FaultConfig

    slow = FaultConfig(rate_limit_per_second=1, systems=("woocommerce",))
    with SandboxServer(world.sandbox, faults=slow) as server:
        _point_at(monkeypatch, server.url)
        args = [sys.executable, "-c", KILLED_LOAD, str(world.warehouse), str(world.dlt_pipelines)]
        loader = subprocess.Popen(args, env=dict(os.environ))
        time.sleep(4)
        assert loader.poll() is None, "the load should still be running when it is killed"
        loader.send_signal(signal.SIGKILL)
        loader.wait(timeout=30)
    with SandboxServer(world.sandbox) as server:
        _point_at(monkeypatch, server.url)
        _load(world)
    stats = world_stats(world.sandbox)["woocommerce"]
    assert _count(world, "select count(*) from raw_woocommerce.orders") == stats["orders_total"]
    assert _count(world, "select count(distinct id) from raw_woocommerce.orders") == stats["orders_total"]
    assert _count(world, "select count(*) from raw_woocommerce.order_notes") == stats["notes_total"]


@pytest.mark.parametrize(
    "line_items",
    ["not a list", ["not an object", 3], [{"price": "3.33"}], None],
    ids=["a string", "non-objects", "a price as text", "none"],
)
def test_line_items_outside_the_contract_are_left_as_received(line_items):
    """The price rounding runs on every order before quarantine can see it, so it must not raise
    on an answer that breaks the contract: such an order loads as it came, for staging to judge."""
    from connectors.woocommerce.source import _line_prices_to_column_scale

    order = {"id": 7, "line_items": line_items}
    assert _line_prices_to_column_scale(dict(order)) == order


def test_a_line_price_is_rounded_to_the_columns_nine_places():
    from decimal import Decimal

    from connectors.woocommerce.source import _line_prices_to_column_scale

    order = _line_prices_to_column_scale({"line_items": [{"price": 10.00 / 3}, {"price": 2.5}]})
    assert [line["price"] for line in order["line_items"]] == [Decimal("3.333333333"), Decimal("2.500000000")]
