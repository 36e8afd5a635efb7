"""The Shopify source against the sandbox's GraphQL Admin API: full, incremental, idempotent."""

from __future__ import annotations

import time

import duckdb
import pytest

from connectors.destination import warehouse_pipeline
from connectors.shopify import shopify_source
from connectors.shopify.client import ShopifyAPIError, ShopifyGraphQLClient
from connectors.shopify.queries import ORDERS_PAGE_SIZE, ORDERS_QUERY
from orderloop.sandbox_mode import SANDBOX_SHOPIFY_TOKEN
from sandbox.clock import advance
from sandbox.request_log import requests_seen
from sandbox.stats import world_stats


def _load(paths, **source_kwargs):
    pipeline = warehouse_pipeline("shopify", paths.warehouse, paths.dlt_pipelines)
    info = pipeline.run(shopify_source(**source_kwargs))
    assert not info.has_failed_jobs
    return pipeline


def _count(paths, sql: str) -> int:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchone()[0]


def test_loads_every_order_once_and_reruns_load_nothing_new(world, sandbox_url):
    stats = world_stats(world.sandbox)["shopify"]
    pipeline = _load(world, page_size=7)  # small pages: many cursor hops
    assert _count(world, "select count(*) from raw_shopify.orders") == stats["orders_total"]
    assert _count(world, "select count(distinct id) from raw_shopify.orders") == stats["orders_total"]
    assert _count(world, "select count(*) from raw_shopify.orders__line_items") > stats["orders_total"] * 0.9

    first_run = requests_seen(world.sandbox, system="shopify")
    assert len(first_run) >= stats["orders_total"] / 7, "small pages: one request per page"

    _load(world, page_size=7)
    assert _count(world, "select count(*) from raw_shopify.orders") == stats["orders_total"]
    second_run = requests_seen(world.sandbox, system="shopify", after_id=first_run[-1]["id"])
    # Nothing changed: one request (updated since the cursor) answered with an empty page.
    assert len(second_run) == 1
    assert pipeline.last_trace is not None


def test_incremental_run_picks_up_changes_after_the_clock_advances(world, sandbox_url):
    _load(world)
    before = _count(world, "select count(*) from raw_shopify.orders")
    summary = advance(world.sandbox, hours=30)
    assert summary["orders_created"] > 0
    _load(world)
    after = _count(world, "select count(*) from raw_shopify.orders")
    assert after == before + summary["orders_created"]
    assert after == world_stats(world.sandbox)["shopify"]["orders_total"]


def test_wrong_token_fails_clearly(world, sandbox_url):
    client = ShopifyGraphQLClient(sandbox_url, "not-the-token", "2025-01")
    with pytest.raises(Exception) as error:
        client.execute("{ orders(first: 1) { edges { node { id } } } }", {})
    message = str(error.value)
    assert "Shopify API answered HTTP 401" in message and "/graphql.json" in message
    assert SANDBOX_SHOPIFY_TOKEN not in message and "not-the-token" not in message


def test_graphql_errors_are_raised_with_their_message(world, sandbox_url):
    client = ShopifyGraphQLClient(sandbox_url, SANDBOX_SHOPIFY_TOKEN, "2025-01")
    with pytest.raises(ShopifyAPIError):
        client.execute("{ orders(first: 251) { edges { node { id } } } }", {})


def test_cost_throttling_is_waited_out_not_failed(world):
    """A standard-plan bucket far too small for the load: the source waits and still loads everything."""
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.query_cost import ThrottleConfig
    from sandbox.server import SandboxServer

    # One page requests ~522 points and uses ~220: the second page in a row must wait.
    tiny = ThrottleConfig(maximum_available=600.0, restore_rate=200.0)
    with SandboxServer(world.sandbox, throttle=tiny) as server, sources_pointing_at(server.url):
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            time.sleep(seconds)

        client = ShopifyGraphQLClient(server.url, SANDBOX_SHOPIFY_TOKEN, "2025-01", sleep=sleep)
        pages = list(client.paginate(
            "query($first: Int!, $after: String) { orders(first: $first, after: $after) "
            "{ pageInfo { hasNextPage endCursor } edges { node { id lineItems(first: 10) "
            "{ edges { node { id } } } } } } }",
            "orders",
            {"first": 40},
        ))
    assert sum(len(page) for page in pages) == world_stats(world.sandbox)["shopify"]["orders_total"]
    assert waits, "the tiny bucket should have throttled at least once"


LOAD_SCRIPT = """
import sys
from pathlib import Path
from connectors.destination import warehouse_pipeline
from connectors.shopify import shopify_source
pipeline = warehouse_pipeline("shopify", Path(sys.argv[1]), Path(sys.argv[2]))
pipeline.run(shopify_source(page_size=5))
"""


def test_a_load_killed_midway_loses_and_duplicates_nothing(world):
    """SIGKILL the loader while it waits on throttling; the next run reconciles with the sandbox."""
    import os
    import signal
    import subprocess
    import sys

    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.query_cost import ThrottleConfig
    from sandbox.server import SandboxServer
    from tests.conftest import PLUS_PLAN

    slow = ThrottleConfig(maximum_available=400.0, restore_rate=150.0)  # about two pages a second
    with SandboxServer(world.sandbox, throttle=slow) as server, sources_pointing_at(server.url):
        args = [sys.executable, "-c", LOAD_SCRIPT, str(world.warehouse), str(world.dlt_pipelines)]
        loader = subprocess.Popen(args, env=dict(os.environ))
        time.sleep(3)
        assert loader.poll() is None, "the load should still be running when it is killed"
        loader.send_signal(signal.SIGKILL)
        loader.wait(timeout=30)
    with SandboxServer(world.sandbox, throttle=PLUS_PLAN) as server, sources_pointing_at(server.url):
        _load(world)
    total = world_stats(world.sandbox)["shopify"]["orders_total"]
    assert _count(world, "select count(*) from raw_shopify.orders") == total
    assert _count(world, "select count(distinct id) from raw_shopify.orders") == total


def test_a_query_bigger_than_the_bucket_fails_at_once_instead_of_waiting_forever(world):
    from sandbox.query_cost import ThrottleConfig
    from sandbox.server import SandboxServer

    small = ThrottleConfig(maximum_available=300.0, restore_rate=100.0)
    with SandboxServer(world.sandbox, throttle=small) as server:
        waits: list[float] = []
        client = ShopifyGraphQLClient(server.url, SANDBOX_SHOPIFY_TOKEN, "2025-01", sleep=waits.append)
        with pytest.raises(ShopifyAPIError, match="page size"):
            list(client.paginate(ORDERS_QUERY, "orders", {"first": ORDERS_PAGE_SIZE}))
    assert waits == []


def test_refunds_and_fulfilment_orders_load_with_their_orders(world, sandbox_url):
    _load(world)
    stats = world_stats(world.sandbox)["shopify"]
    assert stats["refunds_total"] > 0
    assert _count(world, "select count(*) from raw_shopify.orders__refunds") == stats["refunds_total"]
    assert _count(world, "select count(*) from raw_shopify.orders__fulfillment_orders") == \
        stats["fulfillment_orders_total"]
    closed = _count(
        world, "select count(*) from raw_shopify.orders__fulfillment_orders where status = 'CLOSED'"
    )
    assert closed == stats["fulfillment_orders_by_status"].get("CLOSED", 0)
