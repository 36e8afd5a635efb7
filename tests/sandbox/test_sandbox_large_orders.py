"""`large_order_every`: orders with more line items and fulfillment orders than one page holds, so
clients must page an order's nested connections; off by default, over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sandbox_testkit import NOW, Client, rows

from sandbox.cli import main
from sandbox.clock import advance
from sandbox.generator import generate_world
from sandbox.query_cost import ThrottleConfig
from sandbox.server import SandboxServer
from sandbox.stats import world_stats

EVERY = 4
ORDER_PAGE = """
query Orders($after: String) {
  orders(first: 10, after: $after) {
    edges {
      cursor
      node {
        id name
        lineItems(first: 5) { nodes { id sku } pageInfo { hasNextPage endCursor } }
        fulfillmentOrders(first: 2) {
          nodes {
            id status assignedLocation { name }
            lineItems(first: 10) { nodes { id sku lineItem { id } } }
          }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ONE_ORDER = """
query One($id: ID!, $lines: String, $fos: String) {
  order(id: $id) {
    lineItems(first: 5, after: $lines) { nodes { id sku } pageInfo { hasNextPage hasPreviousPage endCursor } }
    fulfillmentOrders(first: 2, after: $fos) {
      nodes {
        id status assignedLocation { name }
        lineItems(first: 10) { nodes { id sku lineItem { id } } }
      }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""
NESTED_AFTER = """
query Nested($after: String, $lines: String, $fos: String) {
  orders(first: 1, after: $after) {
    nodes {
      id
      lineItems(first: 5, after: $lines) { nodes { id } pageInfo { hasNextPage endCursor } }
      fulfillmentOrders(first: 2, after: $fos) { nodes { id } pageInfo { hasNextPage endCursor } }
    }
  }
}
"""


@pytest.fixture(scope="module")
def large_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large-world") / "w"
    generate_world(path, days=3, seed=7, now=NOW, large_order_every=EVERY)
    return path


@pytest.fixture(scope="module")
def large_client(large_world: Path) -> Any:
    with SandboxServer(large_world, throttle=ThrottleConfig(maximum_available=1_000_000)) as server:
        yield Client(server)


def all_orders(client: Client) -> list[dict[str, Any]]:
    """Every order edge (cursor, node) of the world, ten at a time."""
    edges: list[dict[str, Any]] = []
    after = None
    while True:
        page = client.data(ORDER_PAGE, {"after": after})["orders"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            return edges
        after = page["pageInfo"]["endCursor"]


def rest_of(client: Client, order_id: str, field: str, first_page: dict[str, Any]) -> list[dict[str, Any]]:
    """A nested connection's nodes: the first page as served in the listing, the rest via order(id:)."""
    nodes = list(first_page["nodes"])
    info = first_page["pageInfo"]
    variable = "lines" if field == "lineItems" else "fos"
    while info["hasNextPage"]:
        page = client.data(ONE_ORDER, {"id": order_id, variable: info["endCursor"]})["order"][field]
        assert page["pageInfo"]["hasPreviousPage"]
        nodes += page["nodes"]
        info = page["pageInfo"]
    return nodes


def test_every_kth_order_is_large_and_its_connections_page(large_client: Client, large_world: Path) -> None:
    edges = all_orders(large_client)
    db_lines = {
        f"gid://shopify/Order/{r['order_id']}": r["n"]
        for r in rows(large_world, "SELECT order_id, COUNT(*) AS n FROM line_items GROUP BY order_id")
    }
    large = [e for e in edges if int(e["node"]["name"].lstrip("#")) % EVERY == (1000 % EVERY)]
    assert len(large) == len(edges) // EVERY and large
    total_fulfillment_orders = 0
    for edge in edges:
        order = edge["node"]
        lines = rest_of(large_client, order["id"], "lineItems", order["lineItems"])
        fos = rest_of(large_client, order["id"], "fulfillmentOrders", order["fulfillmentOrders"])
        total_fulfillment_orders += len(fos)
        assert len(lines) == len({li["id"] for li in lines}) == db_lines[order["id"]]
        if edge in large:
            assert len(lines) == 13 and len({li["sku"] for li in lines}) == 13
            assert order["lineItems"]["pageInfo"]["hasNextPage"]
            assert order["fulfillmentOrders"]["pageInfo"]["hasNextPage"]
            assert len(fos) == 3 and len({fo["id"] for fo in fos}) == 3
            assert [len(fo["lineItems"]["nodes"]) for fo in fos] == [5, 5, 3]
            # The split never leaves the picking site; together they hold every line once.
            assert len({fo["assignedLocation"]["name"] for fo in fos}) == 1
            assert len({fo["status"] for fo in fos}) == 1
            held = [n["lineItem"]["id"] for fo in fos for n in fo["lineItems"]["nodes"]]
            assert held == [li["id"] for li in lines]
        else:
            assert len(lines) <= 4 and len(fos) == 1
            assert not order["lineItems"]["pageInfo"]["hasNextPage"]
    stats = world_stats(large_world)["shopify"]
    assert stats["orders_total"] == len(edges)
    assert stats["line_items_total"] == sum(db_lines.values())
    assert stats["orders_large"] == len(large)
    assert stats["fulfillment_orders_total"] == total_fulfillment_orders == len(edges) + 2 * len(large)


def test_nested_cursors_also_work_inside_orders(large_client: Client) -> None:
    edges = all_orders(large_client)
    index = next(i for i, e in enumerate(edges) if e["node"]["name"] == f"#{1000 + EVERY}")
    before = edges[index - 1]["cursor"]  # orders(first: 1, after: <previous>) is the large order
    ids: list[str] = []
    fo_ids: list[str] = []
    lines_after = fos_after = None
    while True:
        variables = {"after": before, "lines": lines_after, "fos": fos_after}
        node = large_client.data(NESTED_AFTER, variables)["orders"]["nodes"][0]
        assert node["id"] == edges[index]["node"]["id"]
        ids += [n["id"] for n in node["lineItems"]["nodes"]]
        fo_ids += [n["id"] for n in node["fulfillmentOrders"]["nodes"]]
        more_lines = node["lineItems"]["pageInfo"]["hasNextPage"]
        more_fos = node["fulfillmentOrders"]["pageInfo"]["hasNextPage"]
        if not (more_lines or more_fos):
            break
        if more_lines:
            lines_after = node["lineItems"]["pageInfo"]["endCursor"]
        if more_fos:
            fos_after = node["fulfillmentOrders"]["pageInfo"]["endCursor"]
    # Pages were asked for until both ran out; the shorter one repeats its last page meanwhile.
    assert len(dict.fromkeys(ids)) == 13 and len(dict.fromkeys(fo_ids)) == 3


def test_new_orders_follow_the_setting_and_default_worlds_have_none(
    tmp_path: Path, shared_world: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert world_stats(shared_world)["shopify"]["orders_large"] == 0
    assert not rows(shared_world, "SELECT * FROM meta WHERE key = 'large_order_every'")
    data_dir = tmp_path / "cli-world"
    args = ["--data-dir", str(data_dir), "generate", "--days", "2", "--now", "2026-11-04T12:00:00Z"]
    assert main([*args, "--large-order-every", "3"]) == 0
    capsys.readouterr()
    before = world_stats(data_dir)["shopify"]
    advance(data_dir, 24)
    after = world_stats(data_dir)["shopify"]
    assert after["orders_total"] > before["orders_total"]
    assert after["orders_large"] == after["orders_total"] // 3 > before["orders_large"] > 0
    assert main(["--data-dir", str(data_dir), "stats", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)["shopify"]
    assert printed["line_items_total"] == len(rows(data_dir, "SELECT 1 FROM line_items"))
    with pytest.raises(ValueError):
        generate_world(tmp_path / "bad", days=1, now=NOW, large_order_every=0)
