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
from tests.connectors.support import assert_every_fault_retried, record_transport


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
    # Listing pages (a first load through a bulk query is test_shopify_bulk.py's): small pages,
    # many cursor hops.
    pipeline = _load(world, page_size=7, bulk_first_load=False)
    assert _count(world, "select count(*) from raw_shopify.orders") == stats["orders_total"]
    assert _count(world, "select count(distinct id) from raw_shopify.orders") == stats["orders_total"]
    assert _count(world, "select count(*) from raw_shopify.orders__line_items") > stats["orders_total"] * 0.9

    first_run = requests_seen(world.sandbox, system="shopify")
    assert len(first_run) >= stats["orders_total"] / 7, "small pages: one request per page"

    _load(world, page_size=7, bulk_first_load=False)
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
# Listed in pages, 322 of the bucket's 400 points each: killed while it waits on the bucket.
pipeline.run(shopify_source(page_size=4, bulk_first_load=False))
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


LARGE_ORDER_EVERY = 4


@pytest.fixture
def large_world(data_paths):
    """Every 4th order has 13 line items in 3 fulfilment orders: more than the listing asks for."""
    from sandbox.generator import generate_world
    from tests.conftest import WORLD_NOW

    generate_world(data_paths.sandbox, days=3, seed=7, now=WORLD_NOW, large_order_every=LARGE_ORDER_EVERY)
    return data_paths


def test_large_orders_load_every_line_item_and_fulfilment_order_once(large_world):
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.server import SandboxServer
    from tests.conftest import PLUS_PLAN

    stats = world_stats(large_world.sandbox)["shopify"]
    assert stats["orders_large"] > 0
    with SandboxServer(large_world.sandbox, throttle=PLUS_PLAN) as server, sources_pointing_at(server.url):
        _load(large_world)
        _load(large_world)  # a re-run duplicates nothing
    assert _count(large_world, "select count(*) from raw_shopify.orders") == stats["orders_total"]
    for table, total in [("line_items", "line_items_total"),
                         ("fulfillment_orders", "fulfillment_orders_total")]:
        rows = _count(large_world, f"select count(*) from raw_shopify.orders__{table}")
        distinct = _count(large_world, f"select count(distinct id) from raw_shopify.orders__{table}")
        assert rows == distinct == stats[total], table
    large = _count(large_world, """
        select count(*) from (
            select o.id from raw_shopify.orders o
            join raw_shopify.orders__line_items li on li._dlt_parent_id = o._dlt_id
            group by o.id having count(*) = 13)""")
    assert large == stats["orders_large"]


def test_lists_as_long_as_asked_are_asked_again_in_full(large_world):
    """Listing with one nested record per order: every list and connection is completed per order
    and matches what the source's own query returns."""
    from connectors.shopify.nested import complete_order
    from connectors.shopify.queries import FIRST, orders_query
    from sandbox.server import SandboxServer
    from tests.conftest import PLUS_PLAN

    one_each = dict.fromkeys(FIRST, 1)
    with SandboxServer(large_world.sandbox, throttle=PLUS_PLAN) as server:
        client = ShopifyGraphQLClient(server.url, SANDBOX_SHOPIFY_TOKEN, "2025-01")
        short = [
            complete_order(client, node, one_each)
            for page in client.paginate(orders_query(one_each), "orders", {"first": 30})
            for node in page
        ]
        full = [
            complete_order(client, node)
            for page in client.paginate(ORDERS_QUERY, "orders", {"first": ORDERS_PAGE_SIZE})
            for node in page
        ]
    by_id = {order["id"]: order for order in full}
    assert len(short) == len(by_id) == world_stats(large_world.sandbox)["shopify"]["orders_total"]
    nested = ("lineItems", "fulfillmentOrders", "transactions", "fulfillments", "refunds")
    for order in short:
        assert {f: order[f] for f in nested} == {f: by_id[order["id"]][f] for f in nested}
    assert max(len(o["transactions"]) for o in short) > 1, "some lists should have been asked again"
    assert any(o["refunds"] for o in short) and any(o["fulfillments"] for o in short)


def test_malformed_orders_are_quarantined_and_the_rest_loads(world):
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.faults import FaultConfig
    from sandbox.server import SandboxServer
    from tests.conftest import PLUS_PLAN

    faults = FaultConfig(malformed_every=4, systems=("shopify",))
    with SandboxServer(world.sandbox, throttle=PLUS_PLAN, faults=faults) as server, \
            sources_pointing_at(server.url):
        _load(world, page_size=7)
        _load(world, page_size=7)  # a re-run neither loads nor quarantines anything twice
    stats = world_stats(world.sandbox)
    malformed = stats["faults"]["malformed_served"]["shopify"]
    assert malformed > 0
    quarantined = _count(world, "select count(*) from raw_shopify.quarantine where resource = 'orders'")
    loaded = _count(world, "select count(*) from raw_shopify.orders")
    assert quarantined == malformed
    assert loaded + quarantined == stats["shopify"]["orders_total"]
    assert _count(world, "select count(*) from raw_shopify.orders o join raw_shopify.quarantine q"
                         " on q.record_id = o.id") == 0
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        reasons = [r[0] for r in conn.execute("select reason from raw_shopify.quarantine").fetchall()]
        columns = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'raw_shopify' and table_name = 'orders'").fetchall()]
    assert sum("createdAt" in r for r in reasons) == (malformed + 1) // 2
    assert sum("totalPriceSet.shopMoney.amount" in r for r in reasons) == malformed // 2
    assert not [c for c in columns if "__v_" in c], "no malformed value reached orders as a variant column"


def test_5xx_rate_limits_stalls_and_resets_are_retried_until_the_load_completes(world, monkeypatch):
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.faults import FaultConfig
    from sandbox.server import SandboxServer
    from tests.conftest import PLUS_PLAN

    transport_log = record_transport(monkeypatch)
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")  # 5xx/timeout backoff in ms
    faults = FaultConfig(
        systems=("shopify",), rate_limit_per_second=6, fail_every=4, stall_every=10, stall_seconds=5,
        reset_every=7,
    )
    with SandboxServer(world.sandbox, throttle=PLUS_PLAN, faults=faults) as server, \
            sources_pointing_at(server.url):
        # Listed in pages, so every kind of fault is met; a 2 s read timeout gives up on a 5 s stall.
        _load(world, page_size=7, request_timeout=2, bulk_first_load=False)
    total = world_stats(world.sandbox)["shopify"]["orders_total"]
    assert _count(world, "select count(*) from raw_shopify.orders") == total
    assert _count(world, "select count(distinct id) from raw_shopify.orders") == total
    assert_every_fault_retried(transport_log)
    statuses = {r["status"] for r in requests_seen(world.sandbox, system="shopify")}
    assert {0, 429, 503} <= statuses, "the sandbox should have logged the dropped connections too"


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        ({"fail_every": 1}, "Shopify API answered HTTP 503"),
        ({"reset_every": 1}, "Shopify API did not answer POST"),
        ({"stall_every": 1, "stall_seconds": 5}, "Shopify API did not answer POST"),
    ],
    ids=["down", "resets", "stalls"],
)
def test_an_api_down_for_the_whole_run_fails_naming_shopify_and_the_request(
    world, monkeypatch, faults, expected
):
    from dlt.pipeline.exceptions import PipelineStepFailed

    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.faults import FaultConfig
    from sandbox.server import SandboxServer

    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    config = FaultConfig(systems=("shopify",), **faults)
    with SandboxServer(world.sandbox, faults=config) as server, sources_pointing_at(server.url):
        pipeline = warehouse_pipeline("shopify", world.warehouse, world.dlt_pipelines)
        with pytest.raises(PipelineStepFailed) as error:
            pipeline.run(shopify_source(request_timeout=0.5))
    message = str(error.value)
    assert expected in message and f"{server.url}/admin/api/2025-01/graphql.json" in message
    assert SANDBOX_SHOPIFY_TOKEN not in message


def test_a_wrong_token_fails_the_load_naming_shopify_and_the_request_but_not_the_token(world, sandbox_url):
    from dlt.pipeline.exceptions import PipelineStepFailed

    pipeline = warehouse_pipeline("shopify", world.warehouse, world.dlt_pipelines)
    with pytest.raises(PipelineStepFailed) as error:
        pipeline.run(shopify_source(access_token="shpat_not_the_token"))
    message = str(error.value)
    assert "Shopify API answered HTTP 401" in message and f"POST {sandbox_url}/admin/api/" in message
    assert "shpat_not_the_token" not in message and SANDBOX_SHOPIFY_TOKEN not in message


def test_an_order_seen_twice_in_one_load_keeps_its_newest_version(tmp_path):
    """An order updated while its pages are read arrives twice in one load: the merge keeps the
    newer one (ORDER_COLUMNS' ``dedup_sort`` on updated_at), whichever came first."""
    import dlt

    from connectors.shopify.source import ORDER_COLUMNS

    order = "gid://shopify/Order/1"
    versions = [
        {"id": order, "updated_at": "2026-11-20T10:00:00Z", "display_financial_status": "PAID"},
        {"id": order, "updated_at": "2026-11-20T12:00:00Z", "display_financial_status": "REFUNDED"},
        {"id": order, "updated_at": "2026-11-20T11:00:00Z", "display_financial_status": "PENDING"},
    ]
    warehouse = tmp_path / "warehouse.duckdb"
    for attempt, rows in enumerate((versions, list(reversed(versions)))):
        pipeline = warehouse_pipeline("shopify", warehouse, tmp_path / "dlt", instance=str(attempt))
        columns = {name: dict(hint) for name, hint in ORDER_COLUMNS.items()}
        resource = dlt.resource(
            rows, name="orders", primary_key="id", write_disposition="merge", columns=columns
        )
        assert not pipeline.run(resource).has_failed_jobs
        with duckdb.connect(str(warehouse), read_only=True) as conn:
            assert conn.execute(
                "select display_financial_status from raw_shopify.orders"
            ).fetchall() == [("REFUNDED",)]
