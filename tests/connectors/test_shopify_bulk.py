"""A Shopify first load through a bulk query operation, against the sandbox over HTTP: the same
rows as listing pages, a fraction of the requests, and the file never asked for with the token."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import requests

from connectors.destination import warehouse_pipeline
from connectors.shopify import shopify_source
from connectors.shopify.bulk import orders_from_lines
from connectors.shopify.client import ShopifyAPIError
from connectors.shopify.queries import bulk_orders_query
from orderloop.sandbox_mode import SANDBOX_SHOPIFY_TOKEN
from sandbox.clock import advance
from sandbox.request_log import requests_seen
from sandbox.stats import world_stats

# Each table's rows as the warehouse keeps them, named by Shopify ids rather than dlt's row ids.
DLT_CHILD_COLUMNS = "_dlt_id, _dlt_parent_id, _dlt_list_idx, _dlt_root_id"


def _child_rows(table: str, parent: str = "orders", parent_key: str = "order_id") -> str:
    return f"""
        select p.id as {parent_key}, c.* exclude ({DLT_CHILD_COLUMNS})
        from raw_shopify.{parent}__{table} c join raw_shopify.{parent} p on c._dlt_parent_id = p._dlt_id"""


TABLES = {
    "orders": "select * exclude (_dlt_id, _dlt_load_id) from raw_shopify.orders",
    "tracking_info": _child_rows("tracking_info", "orders__fulfillments", "fulfillment_id"),
    **{table: _child_rows(table) for table in
       ("line_items", "transactions", "fulfillments", "refunds", "fulfillment_orders")},
}


def _load(warehouse: Path, pipelines: Path, **source_kwargs):
    pipeline = warehouse_pipeline("shopify", warehouse, pipelines)
    info = pipeline.run(shopify_source(**source_kwargs))
    assert not info.has_failed_jobs
    return pipeline


def _rows(warehouse: Path) -> dict[str, set[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {
            name: {tuple(row) for row in conn.execute(f"select * from ({sql}) order by all").fetchall()}
            for name, sql in TABLES.items()
        }


def _columns(warehouse: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {name: sorted(d[0] for d in conn.execute(sql).description) for name, sql in TABLES.items()}


def test_a_first_load_through_a_bulk_query_keeps_what_listing_pages_keep(world, sandbox_url, tmp_path):
    stats = world_stats(world.sandbox)["shopify"]
    _load(world.warehouse, world.dlt_pipelines)
    bulk_requests = requests_seen(world.sandbox, system="shopify")
    downloads = requests_seen(world.sandbox, system="shopify_storage")

    listed = tmp_path / "listed.duckdb"
    _load(listed, tmp_path / "listed_pipelines", bulk_first_load=False, page_size=7)
    listing_requests = requests_seen(world.sandbox, system="shopify", after_id=bulk_requests[-1]["id"])

    bulk_rows, listed_rows = _rows(world.warehouse), _rows(listed)
    assert _columns(world.warehouse) == _columns(listed)
    assert len(bulk_rows["orders"]) == stats["orders_total"]
    for name in TABLES:
        assert bulk_rows[name], f"the world should have some {name}"
        assert bulk_rows[name] == listed_rows[name], name
    # Start, a few polls and the catch-up listing, against a request per page of 7.
    assert len(bulk_requests) <= 10 < len(listing_requests)
    assert [(d["method"], d["status"]) for d in downloads] == [("GET", 200)]


def test_the_next_run_lists_only_what_changed(world, sandbox_url):
    _load(world.warehouse, world.dlt_pipelines)
    first = requests_seen(world.sandbox, system="shopify")
    summary = advance(world.sandbox, hours=30)
    assert summary["orders_created"] > 0
    _load(world.warehouse, world.dlt_pipelines)
    second = requests_seen(world.sandbox, system="shopify", after_id=first[-1]["id"])
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        orders = conn.execute("select count(*), count(distinct id) from raw_shopify.orders").fetchone()
    assert orders == (world_stats(world.sandbox)["shopify"]["orders_total"],) * 2
    assert len(requests_seen(world.sandbox, system="shopify_storage")) == 1, "no second bulk query"
    assert len(second) >= 1


def test_a_version_whose_files_are_ungrouped_by_default_asks_for_them_grouped(world, sandbox_url):
    """From 2026-01 a bulk file puts children anywhere unless groupObjects is true."""
    _load(world.warehouse, world.dlt_pipelines, api_version="2026-01")
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw_shopify.orders").fetchone()[0] == \
            world_stats(world.sandbox)["shopify"]["orders_total"]


def test_another_bulk_query_still_running_is_waited_out(world, data_paths):
    """Another query running (the app's own, started by hand): the load waits, then starts its own."""
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.server import SandboxServer
    from tests.conftest import PLUS_PLAN

    with SandboxServer(world.sandbox, throttle=PLUS_PLAN) as server, sources_pointing_at(server.url):
        server.app.state.shopify_bulk.run_seconds = 1.0
        endpoint = f"{server.url}/admin/api/2025-01/graphql.json"
        started = requests.post(endpoint, headers={"X-Shopify-Access-Token": SANDBOX_SHOPIFY_TOKEN}, json={
            "query": "mutation($q: String!) { bulkOperationRunQuery(query: $q) { userErrors { message } } }",
            "variables": {"q": "{ orders { edges { node { id } } } }"},
        }).json()
        assert started["data"]["bulkOperationRunQuery"]["userErrors"] == []
        _load(world.warehouse, world.dlt_pipelines)
        current = server.app.state.shopify_bulk.current()
    assert current.number == 2 and current.status == "COMPLETED"
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        lines = conn.execute("select count(*) from raw_shopify.orders__line_items").fetchone()[0]
    assert lines == world_stats(world.sandbox)["shopify"]["line_items_total"]


def test_a_start_asked_again_adopts_the_bulk_query_already_running_it(world, data_paths):
    """A start whose answer was lost (or a first load that died waiting) left the same query
    running: the load waits for that one instead of waiting it out and starting another."""
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.server import SandboxServer
    from tests.conftest import PLUS_PLAN

    first_load = bulk_orders_query("updated_at:>='1970-01-01T00:00:00Z'")
    with SandboxServer(world.sandbox, throttle=PLUS_PLAN) as server, sources_pointing_at(server.url):
        server.app.state.shopify_bulk.run_seconds = 1.0
        endpoint = f"{server.url}/admin/api/2025-01/graphql.json"
        started = requests.post(endpoint, headers={"X-Shopify-Access-Token": SANDBOX_SHOPIFY_TOKEN}, json={
            "query": "mutation($q: String!) { bulkOperationRunQuery(query: $q) { userErrors { message } } }",
            "variables": {"q": first_load},
        }).json()
        assert started["data"]["bulkOperationRunQuery"]["userErrors"] == []
        _load(world.warehouse, world.dlt_pipelines)
        current = server.app.state.shopify_bulk.current()
    assert current.number == 1, "no second bulk query"
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw_shopify.orders").fetchone()[0] == \
            world_stats(world.sandbox)["shopify"]["orders_total"]


def test_storage_refuses_the_shop_token_and_the_connector_never_sends_it(world, sandbox_url):
    _load(world.warehouse, world.dlt_pipelines)
    endpoint = f"{sandbox_url}/admin/api/2025-01/graphql.json"
    token = {"X-Shopify-Access-Token": SANDBOX_SHOPIFY_TOKEN}
    query = {"query": "{ currentBulkOperation { url } }"}
    current = requests.post(endpoint, headers=token, json=query).json()
    url = current["data"]["currentBulkOperation"]["url"]
    assert requests.get(url, headers=token).status_code == 400
    assert requests.get(url).status_code == 200
    assert [d["status"] for d in requests_seen(world.sandbox, system="shopify_storage")] == [200, 400, 200]


def test_a_file_whose_children_are_not_below_their_order_fails_naming_the_line():
    lines = [
        '{"id":"gid://shopify/Order/1","name":"#1001"}',
        '{"id":"gid://shopify/LineItem/11","__parentId":"gid://shopify/Order/1"}',
        '{"id":"gid://shopify/Order/2","name":"#1002"}',
        '{"id":"gid://shopify/FulfillmentOrder/21","__parentId":"gid://shopify/Order/1"}',
    ]
    orders = orders_from_lines(lines[:2])
    assert [(o["id"], [li["id"] for li in o["lineItems"]], o["fulfillmentOrders"]) for o in orders] == [
        ("gid://shopify/Order/1", ["gid://shopify/LineItem/11"], [])
    ]
    with pytest.raises(ShopifyAPIError, match="line 4: gid://shopify/FulfillmentOrder/21 is not below"):
        list(orders_from_lines(lines))
