"""Shopify Admin GraphQL contract over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox_testkit import Client

from sandbox.query_cost import ThrottleConfig
from sandbox.server import SandboxServer
from sandbox.stats import world_stats

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $query: String,
           $sortKey: OrderSortKeys, $reverse: Boolean) {
  orders(first: $first, after: $after, last: $last, before: $before, query: $query,
         sortKey: $sortKey, reverse: $reverse) {
    edges { cursor node { id name createdAt updatedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def walk(client: Client, **variables: object) -> list[dict]:
    nodes, after, pages = [], None, 0
    while True:
        conn = client.data(PAGE, {"first": 9, "after": after, **variables})["orders"]
        nodes += [e["node"] for e in conn["edges"]]
        pages += 1
        assert conn["pageInfo"]["hasPreviousPage"] == (pages > 1)
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]
        assert after == conn["edges"][-1]["cursor"]


def test_wrong_or_missing_token_is_401(shared_client: Client) -> None:
    for token in ("nope", ""):
        response = shared_client.gql("{ shop { name } }", token=token)
        assert response.status_code == 401
        assert response.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_pagination_visits_every_order_exactly_once(shared_client: Client, shared_world: Path) -> None:
    nodes = walk(shared_client)
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)) == world_stats(shared_world)["shopify"]["orders_total"]
    assert all(re.fullmatch(r"gid://shopify/Order/\d+", i) for i in ids)
    assert [int(i.rsplit("/", 1)[1]) for i in ids] == sorted(int(i.rsplit("/", 1)[1]) for i in ids)


def test_backwards_pagination_with_last_and_before(shared_client: Client) -> None:
    forward = [n["id"] for n in walk(shared_client)]
    page = shared_client.data(PAGE, {"last": 5})["orders"]
    assert [e["node"]["id"] for e in page["edges"]] == forward[-5:]
    assert page["pageInfo"]["hasPreviousPage"] and not page["pageInfo"]["hasNextPage"]
    before = shared_client.data(PAGE, {"last": 5, "before": page["pageInfo"]["startCursor"]})["orders"]
    assert [e["node"]["id"] for e in before["edges"]] == forward[-10:-5]


def test_sort_key_updated_at_orders_by_update_time(shared_client: Client) -> None:
    ascending = [n["updatedAt"] for n in walk(shared_client, sortKey="UPDATED_AT")]
    assert ascending == sorted(ascending)
    descending = [n["updatedAt"] for n in walk(shared_client, sortKey="UPDATED_AT", reverse=True)]
    assert descending == sorted(ascending, reverse=True)
    created = [n["createdAt"] for n in walk(shared_client, sortKey="CREATED_AT")]
    assert created == sorted(created)


def test_updated_at_filter_returns_only_later_updates(shared_client: Client) -> None:
    everything = walk(shared_client)
    cutoff = sorted(n["updatedAt"] for n in everything)[len(everything) // 2]
    expected = {n["id"] for n in everything if n["updatedAt"] > cutoff}
    for query in (f"updated_at:>'{cutoff}'", f'updated_at:>"{cutoff}"', f"updated_at:>{cutoff}"):
        got = walk(shared_client, query=query)
        assert {n["id"] for n in got} == expected, query
    at_least = {n["id"] for n in walk(shared_client, query=f"updated_at:>='{cutoff}'")}
    assert at_least == expected | {n["id"] for n in everything if n["updatedAt"] == cutoff}
    window = walk(
        shared_client, query="created_at:>='2026-11-02T00:00:00Z' AND created_at:<'2026-11-03T00:00:00Z'"
    )
    assert window and all("2026-11-02" in n["createdAt"] for n in window)


def test_unknown_search_field_is_ignored_with_warning(shared_client: Client) -> None:
    body = shared_client.gql(PAGE, {"first": 1, "query": "colour:blue"}).json()
    assert body["data"]["orders"]["edges"]
    (search,) = body["extensions"]["search"]
    assert search["warnings"][0]["field"] == "colour"


def test_page_size_limits(shared_client: Client) -> None:
    body = shared_client.gql("{ orders(first: 251) { nodes { id } } }").json()
    assert "data" not in body and "250" in body["errors"][0]["message"]
    body = shared_client.gql("{ orders(first: 250) { nodes { id } } }").json()
    assert "errors" not in body and body["extensions"]["cost"]["requestedQueryCost"] == 252
    body = shared_client.gql("{ orders { nodes { id } } }").json()
    assert body["errors"][0]["message"] == "you must provide one of first or last"
    body = shared_client.gql(
        "{ orders(first: 100) { nodes { lineItems(first: 50) { nodes { sku } } } } }"
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


NESTED = """
{
  orders(first: 15, query: "fulfillment_status:shipped") {
    nodes {
      id legacyResourceId name email phone currencyCode closed cancelledAt cancelReason
      displayFinancialStatus displayFulfillmentStatus totalWeight
      totalPriceSet { shopMoney { amount currencyCode } }
      subtotalPriceSet { shopMoney { amount } }
      totalShippingPriceSet { shopMoney { amount } }
      customer { id firstName lastName email phone }
      shippingAddress {
        name firstName lastName address1 address2 city province zip country countryCodeV2 phone
      }
      lineItems(first: 5) {
        edges {
          cursor
          node { id sku title name quantity originalUnitPriceSet { shopMoney { amount currencyCode } } }
        }
        nodes { id }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
      transactions(first: 5) {
        id kind status processedAt createdAt gateway amountSet { shopMoney { amount } }
      }
      fulfillments(first: 5) { id status createdAt updatedAt trackingInfo(first: 1) { number company url } }
    }
  }
}
"""


def test_nested_shapes(shared_client: Client) -> None:
    body = shared_client.gql(NESTED).json()
    assert "errors" not in body, body
    cost = body["extensions"]["cost"]
    assert cost["actualQueryCost"] <= cost["requestedQueryCost"]
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}
    orders = body["data"]["orders"]["nodes"]
    assert orders
    money = re.compile(r"^\d+\.\d{2}$")
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    for order in orders:
        assert order["displayFulfillmentStatus"] == "FULFILLED" and order["displayFinancialStatus"] == "PAID"
        assert order["legacyResourceId"] == order["id"].rsplit("/", 1)[1]
        assert money.match(order["totalPriceSet"]["shopMoney"]["amount"])
        assert order["totalPriceSet"]["shopMoney"]["currencyCode"] == "GBP"
        assert order["shippingAddress"]["countryCodeV2"] == "GB"
        items = order["lineItems"]
        assert 1 <= len(items["edges"]) <= 4 and len(items["nodes"]) == len(items["edges"])
        assert items["pageInfo"]["hasNextPage"] is False
        for edge in items["edges"]:
            assert edge["node"]["sku"].startswith("OL-") and edge["node"]["quantity"] >= 1
            assert money.match(edge["node"]["originalUnitPriceSet"]["shopMoney"]["amount"])
        kinds = [(t["kind"], t["status"]) for t in order["transactions"]]
        assert kinds == [("AUTHORIZATION", "SUCCESS"), ("CAPTURE", "SUCCESS")]
        assert all(stamp.match(t["processedAt"]) for t in order["transactions"])
        (fulfillment,) = order["fulfillments"]
        assert fulfillment["status"] == "SUCCESS" and stamp.match(fulfillment["createdAt"])
        (tracking,) = fulfillment["trackingInfo"]
        assert re.fullmatch(r"RM\d{9}GB", tracking["number"]) and tracking["company"] == "Royal Mail"
        assert tracking["number"] in tracking["url"]


def test_line_item_pagination_and_single_order(shared_client: Client) -> None:
    query = (
        "{ orders(first: 50) { nodes { id lineItems(first: 1) {"
        " nodes { id } pageInfo { hasNextPage endCursor } } } } }"
    )
    nodes = shared_client.data(query)["orders"]["nodes"]
    multi = next(n for n in nodes if n["lineItems"]["pageInfo"]["hasNextPage"])
    second = shared_client.data(
        "query($id: ID!, $after: String) {"
        " order(id: $id) { id lineItems(first: 5, after: $after) { nodes { id } } } }",
        {"id": multi["id"], "after": multi["lineItems"]["pageInfo"]["endCursor"]},
    )["order"]
    assert second["id"] == multi["id"]
    assert multi["lineItems"]["nodes"][0]["id"] not in {n["id"] for n in second["lineItems"]["nodes"]}
    assert shared_client.data('{ order(id: "gid://shopify/Order/1") { id } }')["order"] is None


def test_filter_and_status_terms(shared_client: Client) -> None:
    cancelled = walk(shared_client, query="status:cancelled")
    assert cancelled
    everything = {n["id"] for n in walk(shared_client)}
    open_orders = {n["id"] for n in walk(shared_client, query="-status:cancelled")}
    assert open_orders == everything - {n["id"] for n in cancelled}


def test_throttling_with_tiny_bucket(world: Path) -> None:
    throttle = ThrottleConfig(maximum_available=50, restore_rate=0.5)
    with SandboxServer(world, throttle=throttle) as server:
        client = Client(server)
        query = "{ orders(first: 10) { nodes { id } } }"  # requested cost 12
        outcomes = [client.gql(query).json() for _ in range(6)]
    assert all("data" in o for o in outcomes[:4])
    throttled = outcomes[4]
    assert throttled["errors"] == [
        {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
        }
    ]
    cost = throttled["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 12 and cost["throttleStatus"]["maximumAvailable"] == 50
    assert cost["throttleStatus"]["currentlyAvailable"] < 12
