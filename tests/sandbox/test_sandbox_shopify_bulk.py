"""Shopify bulk query operations over real HTTP: start, poll, the JSONL file and its layout."""

from __future__ import annotations

import json
from pathlib import Path

import requests
from sandbox_testkit import TOKEN, Client

from sandbox.server import SandboxServer
from sandbox.stats import world_stats

RUN = """
mutation Run($query: String!) {
  bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message } }
}
"""
RUN_GROUPED = RUN.replace("(query: $query)", "(query: $query, groupObjects: $group)").replace(
    "($query: String!)", "($query: String!, $group: Boolean)"
)
CURRENT = "{ currentBulkOperation { id status errorCode objectCount rootObjectCount fileSize url query } }"
ORDERS_WITH_LINES = "{ orders { edges { node { id name lineItems { edges { node { id sku } } } } } } }"


def _finished(client: Client, server: SandboxServer, version: str = "2025-01") -> dict:
    server.app.state.shopify_bulk.wait()
    return _post(server, CURRENT, {}, version)["data"]["currentBulkOperation"]


def _post(server: SandboxServer, query: str, variables: dict, version: str = "2025-01") -> dict:
    response = requests.post(
        f"{server.url}/admin/api/{version}/graphql.json",
        json={"query": query, "variables": variables},
        headers={"X-Shopify-Access-Token": TOKEN},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _lines(url: str) -> list[dict]:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return [json.loads(line) for line in response.text.splitlines()]


def test_a_bulk_query_writes_every_node_once_children_below_their_parent(world: Path) -> None:
    with SandboxServer(world) as server:
        client = Client(server)
        started = client.data(RUN, {"query": ORDERS_WITH_LINES})["bulkOperationRunQuery"]
        assert started["userErrors"] == [] and started["bulkOperation"]["status"] in ("CREATED", "RUNNING")
        finished = _finished(client, server)
        lines = _lines(finished["url"])
    stats = world_stats(world)["shopify"]
    assert finished["status"] == "COMPLETED" and finished["query"] == ORDERS_WITH_LINES
    orders = [line for line in lines if "__parentId" not in line]
    children = [line for line in lines if "__parentId" in line]
    assert len(orders) == int(finished["rootObjectCount"]) == stats["orders_total"]
    assert len(children) == stats["line_items_total"] and len(lines) == int(finished["objectCount"])
    assert all("lineItems" not in order for order in orders), "a connection's nodes are lines of their own"
    parent = None
    for line in lines:  # grouped: each child follows its own order
        if "__parentId" in line:
            assert line["__parentId"] == parent
        else:
            parent = line["id"]


def test_from_2026_01_files_are_ungrouped_unless_asked(world: Path) -> None:
    with SandboxServer(world) as server:
        client = Client(server)
        _post(server, RUN, {"query": ORDERS_WITH_LINES}, "2026-01")
        ungrouped = _lines(_finished(client, server, "2026-01")["url"])
        _post(server, RUN_GROUPED, {"query": ORDERS_WITH_LINES, "group": True}, "2026-01")
        grouped = _lines(_finished(client, server, "2026-01")["url"])
        refused = _post(server, RUN_GROUPED, {"query": ORDERS_WITH_LINES, "group": True}, "2025-01")
    first_child = next(i for i, line in enumerate(ungrouped) if "__parentId" in line)
    assert all("__parentId" in line for line in ungrouped[first_child:]), "children after every order"
    assert grouped != ungrouped and sorted(map(json.dumps, grouped)) == sorted(map(json.dumps, ungrouped))
    assert "doesn't accept argument 'groupObjects'" in refused["errors"][0]["message"]


def test_one_bulk_query_at_a_time_and_invalid_queries_are_user_errors(world: Path) -> None:
    with SandboxServer(world) as server:
        client = Client(server)
        server.app.state.shopify_bulk.run_seconds = 1.0
        client.data(RUN, {"query": ORDERS_WITH_LINES})
        busy = client.data(RUN, {"query": ORDERS_WITH_LINES})["bulkOperationRunQuery"]
        _finished(client, server)
        no_connection = client.data(RUN, {"query": "{ shop { name } }"})["bulkOperationRunQuery"]
        unknown_field = client.data(RUN, {"query": "{ orders { edges { node { nope } } } }"})
    assert busy["bulkOperation"] is None
    assert "already in progress: gid://shopify/BulkOperation/1" in busy["userErrors"][0]["message"]
    assert "at least one connection" in no_connection["userErrors"][0]["message"]
    assert "Invalid bulk query" in unknown_field["bulkOperationRunQuery"]["userErrors"][0]["message"]


def test_the_file_needs_no_token_and_refuses_the_shop_token(world: Path) -> None:
    with SandboxServer(world) as server:
        client = Client(server)
        client.data(RUN, {"query": ORDERS_WITH_LINES})
        url = _finished(client, server)["url"]
        with_token = requests.get(url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10)
        without = requests.get(url, timeout=10)
    assert with_token.status_code == 400 and without.status_code == 200
