"""Shopify refunds and fulfillment orders over real GraphQL: shapes, consistency with the rest of the
world, the order's status and updatedAt after a refund, query cost and stats."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sandbox_testkit import Client, make_world, rows

from sandbox.clock import advance
from sandbox.query_cost import ThrottleConfig
from sandbox.server import SandboxServer
from sandbox.stats import world_stats

MONEY = re.compile(r"^\d+\.\d{2}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# The walks below ask for everything at once, far above Shopify's 1000-point single-query ceiling.
ROOMY = ThrottleConfig(maximum_available=10**8, max_query_cost=10**8)

AFTERSALES = """
query($after: String, $query: String) {
  orders(first: 100, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name createdAt updatedAt cancelledAt displayFinancialStatus displayFulfillmentStatus fullyPaid
      totalPriceSet { shopMoney { amount } }
      totalShippingPriceSet { shopMoney { amount } }
      totalRefundedSet { shopMoney { amount } }
      lineItems(first: 10) { nodes { id sku quantity } }
      transactions(first: 10) { id kind status createdAt amountSet { shopMoney { amount } } }
      fulfillments(first: 5) { createdAt trackingInfo(first: 1) { number } }
      refunds(first: 5) {
        id legacyResourceId createdAt updatedAt note
        totalRefundedSet { shopMoney { amount currencyCode } presentmentMoney { amount } }
        refundLineItems(first: 10) {
          nodes {
            id quantity restockType restocked lineItem { id sku }
            priceSet { shopMoney { amount } } subtotalSet { shopMoney { amount currencyCode } }
          }
          pageInfo { hasNextPage }
        }
        transactions(first: 5) { edges { cursor node { id kind status amountSet { shopMoney { amount } } } } }
      }
      fulfillmentOrders(first: 3) {
        nodes {
          id status requestStatus createdAt updatedAt fulfillAt orderId orderName
          assignedLocation { name address1 city zip countryCode location { id legacyResourceId name } }
          lineItems(first: 10) {
            edges { cursor node { id sku productTitle totalQuantity remainingQuantity lineItem { id } } }
            pageInfo { hasNextPage }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def month_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A month of history: cancellations after capture and returns that reached the warehouses."""
    return make_world(tmp_path_factory.mktemp("aftersales") / "w", days=30)


@pytest.fixture(scope="module")
def month_client(month_world: Path) -> Iterator[Client]:
    with SandboxServer(month_world, throttle=ROOMY) as server:
        yield Client(server)


def all_orders(client: Client, query: str | None = None) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = client.data(AFTERSALES, {"after": after, "query": query})["orders"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def money(bag: dict[str, Any]) -> Decimal:
    return Decimal(bag["shopMoney"]["amount"])


def test_refund_and_fulfillment_order_shapes(month_client: Client) -> None:
    orders = all_orders(month_client)
    refunds = [r for o in orders for r in o["refunds"]]
    assert refunds and {r["refundLineItems"]["nodes"][0]["restockType"] for r in refunds} >= {
        "CANCEL",
        "RETURN",
    }
    for refund in refunds:
        assert re.fullmatch(r"gid://shopify/Refund/\d+", refund["id"])
        assert refund["id"].endswith(f"/{refund['legacyResourceId']}")
        assert STAMP.match(refund["createdAt"]) and refund["updatedAt"] == refund["createdAt"]
        total = refund["totalRefundedSet"]
        assert MONEY.match(total["shopMoney"]["amount"]) and total["shopMoney"]["currencyCode"] == "GBP"
        assert total["presentmentMoney"]["amount"] == total["shopMoney"]["amount"]
        lines = refund["refundLineItems"]["nodes"]
        assert lines and refund["refundLineItems"]["pageInfo"]["hasNextPage"] is False
        for line in lines:
            assert re.fullmatch(r"gid://shopify/RefundLineItem/\d+", line["id"])
            assert line["lineItem"]["sku"].startswith("OL-") and line["quantity"] >= 1
            assert line["restockType"] in {"CANCEL", "RETURN", "NO_RESTOCK"}
            assert line["restocked"] == (line["restockType"] != "NO_RESTOCK")
            assert money(line["subtotalSet"]) == money(line["priceSet"]) * line["quantity"]
        (edge,) = refund["transactions"]["edges"]
        assert edge["cursor"] and edge["node"]["kind"] == "REFUND" and edge["node"]["status"] == "SUCCESS"
        assert money(edge["node"]["amountSet"]) == money(total)
    for order in orders:
        connection = order["fulfillmentOrders"]
        (fo,) = connection["nodes"]  # the warehouses never split an order
        assert connection["pageInfo"]["hasNextPage"] is False
        assert re.fullmatch(r"gid://shopify/FulfillmentOrder/\d+", fo["id"])
        assert fo["requestStatus"] == "UNSUBMITTED" and fo["orderId"] == order["id"]
        assert fo["orderName"] == order["name"] and fo["createdAt"] == fo["fulfillAt"] == order["createdAt"]
        assert STAMP.match(fo["updatedAt"]) and fo["updatedAt"] >= fo["createdAt"]
        place = fo["assignedLocation"]
        assert place["name"] in {"Leeds Warehouse", "Bristol Warehouse"} and place["countryCode"] == "GB"
        assert place["location"]["name"] == place["name"] and place["city"] in place["name"]
        assert re.fullmatch(r"gid://shopify/Location/\d+", place["location"]["id"])
        items = [e["node"] for e in fo["lineItems"]["edges"]]
        assert [i["lineItem"]["id"] for i in items] == [li["id"] for li in order["lineItems"]["nodes"]]
        assert [i["sku"] for i in items] == [li["sku"] for li in order["lineItems"]["nodes"]]
        assert [i["totalQuantity"] for i in items] == [li["quantity"] for li in order["lineItems"]["nodes"]]
        assert all(re.fullmatch(r"gid://shopify/FulfillmentOrderLineItem/\d+", i["id"]) for i in items)


def test_refund_of_a_cancelled_order_is_its_refund_transaction(month_client: Client) -> None:
    cancelled = [
        o for o in all_orders(month_client, "status:cancelled") if o["displayFinancialStatus"] == "REFUNDED"
    ]
    assert cancelled
    for order in cancelled:
        (refund,) = order["refunds"]
        (refund_txn,) = [t for t in order["transactions"] if t["kind"] == "REFUND"]
        (served,) = [e["node"] for e in refund["transactions"]["edges"]]
        assert served["id"] == refund_txn["id"] and refund["createdAt"] == refund_txn["createdAt"]
        assert (
            money(refund["totalRefundedSet"])
            == money(refund_txn["amountSet"])
            == money(order["totalPriceSet"])
        )
        assert money(order["totalRefundedSet"]) == money(order["totalPriceSet"])
        lines = refund["refundLineItems"]["nodes"]
        assert {line["restockType"] for line in lines} == {"CANCEL"}
        assert [(line["lineItem"]["id"], line["quantity"]) for line in lines] == [
            (li["id"], li["quantity"]) for li in order["lineItems"]["nodes"]
        ]
        subtotals = sum((money(line["subtotalSet"]) for line in lines), Decimal("0"))
        assert subtotals + money(order["totalShippingPriceSet"]) == money(refund["totalRefundedSet"])


def test_returned_orders_are_partially_refunded(month_client: Client, month_world: Path) -> None:
    partial = all_orders(month_client, "financial_status:partially_refunded")
    assert partial and all(o["displayFinancialStatus"] == "PARTIALLY_REFUNDED" for o in partial)
    for order in partial:
        assert order["displayFulfillmentStatus"] == "FULFILLED" and order["fullyPaid"] is True
        assert order["refunds"] and order["cancelledAt"] is None
        restocks = {line["restockType"] for r in order["refunds"] for line in r["refundLineItems"]["nodes"]}
        assert restocks <= {"RETURN", "NO_RESTOCK"}
        refunded = sum((money(r["totalRefundedSet"]) for r in order["refunds"]), Decimal("0"))
        assert refunded == money(order["totalRefundedSet"]) < money(order["totalPriceSet"])
        assert order["updatedAt"] == max(r["createdAt"] for r in order["refunds"])
        assert order["fulfillments"][0]["createdAt"] < order["refunds"][0]["createdAt"]
        (stored,) = rows(month_world, "SELECT updated_at FROM orders WHERE name = ?", (order["name"],))
        assert (
            stored["updated_at"] < order["updatedAt"]
        )  # the pinned table is untouched; the served value moved
        kinds = [t["kind"] for t in order["transactions"]]
        assert kinds == ["AUTHORIZATION", "CAPTURE", *["REFUND"] * len(order["refunds"])]
        returned = rows(month_world, "SELECT sku FROM returns WHERE order_reference = ?", (order["name"],))
        assert {
            line["lineItem"]["sku"] for r in order["refunds"] for line in r["refundLineItems"]["nodes"]
        } == {r["sku"] for r in returned}
    shopify = world_stats(month_world)["shopify"]
    assert shopify["orders_partially_refunded"] == len(partial)
    assert shopify["orders_by_financial_status"]["PARTIALLY_REFUNDED"] == len(partial)
    assert shopify["refunds_total"] == sum(len(o["refunds"]) for o in all_orders(month_client))


def test_a_new_refund_moves_the_order_for_incremental_sync(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w", days=25)
    with SandboxServer(world, throttle=ROOMY) as server:
        before = {o["name"]: o for o in all_orders(Client(server))}
    summary = advance(world, 24)
    assert summary["shopify_refunds_created"] > 0
    with SandboxServer(world, throttle=ROOMY) as server:
        client = Client(server)
        changed = [
            o
            for o in all_orders(client, "financial_status:partially_refunded")
            if before[o["name"]]["displayFinancialStatus"] == "PAID"
        ]
        assert changed
        since = {o["name"] for o in all_orders(client, f"updated_at:>'{summary['previous_now']}'")}
    for order in changed:
        old = before[order["name"]]
        assert not old["refunds"] and order["refunds"]
        assert order["updatedAt"] == order["refunds"][-1]["createdAt"] > old["updatedAt"]
        assert summary["previous_now"] < order["updatedAt"] <= summary["now"]
        assert order["name"] in since  # an `updated_at:>` sync picks the refund up


def test_fulfillment_orders_follow_fulfillment_status(month_client: Client, month_world: Path) -> None:
    orders = all_orders(month_client)
    warehouse_of = {r["tracking_number"]: r["warehouse"] for r in rows(month_world, "SELECT * FROM parcels")}
    counts: dict[str, int] = {}
    for order in orders:
        (fo,) = order["fulfillmentOrders"]["nodes"]
        counts[fo["status"]] = counts.get(fo["status"], 0) + 1
        items = [e["node"] for e in fo["lineItems"]["edges"]]
        if order["cancelledAt"] is not None:
            assert fo["status"] == "CANCELLED" and fo["updatedAt"] == order["cancelledAt"]
        elif order["displayFulfillmentStatus"] == "FULFILLED":
            assert fo["status"] == "CLOSED" and fo["updatedAt"] == order["fulfillments"][0]["createdAt"]
            tracking = order["fulfillments"][0]["trackingInfo"][0]["number"]
            site = warehouse_of[tracking]
            assert fo["assignedLocation"]["name"] == f"{site.title()} Warehouse"  # the site that picked it
        else:
            assert order["displayFulfillmentStatus"] == "UNFULFILLED"
            assert fo["status"] == "OPEN" and fo["updatedAt"] == order["createdAt"]
        open_ = fo["status"] == "OPEN"
        assert all(i["remainingQuantity"] == (i["totalQuantity"] if open_ else 0) for i in items)
    assert set(counts) == {"OPEN", "CLOSED", "CANCELLED"}
    shopify = world_stats(month_world)["shopify"]
    assert shopify["fulfillment_orders_by_status"] == dict(sorted(counts.items()))
    assert shopify["fulfillment_orders_total"] == len(orders) == shopify["orders_total"]


def test_nested_connections_page(month_client: Client) -> None:
    (order,) = month_client.data(
        '{ orders(first: 1, query: "financial_status:partially_refunded") { nodes { id } } }'
    )["orders"]["nodes"]
    query = """query($id: ID!, $after: String) { order(id: $id) {
      fulfillmentOrders(first: 1, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }
      refunds(first: 1) { refundLineItems(last: 1) { nodes { id } } transactions(first: 0) { nodes { id } } }
    } }"""
    first = month_client.data(query, {"id": order["id"]})["order"]
    assert len(first["fulfillmentOrders"]["nodes"]) == 1 and len(first["refunds"]) == 1
    assert len(first["refunds"][0]["refundLineItems"]["nodes"]) == 1
    assert first["refunds"][0]["transactions"]["nodes"] == []
    cursor = first["fulfillmentOrders"]["pageInfo"]["endCursor"]
    after = month_client.data(query, {"id": order["id"], "after": cursor})["order"]["fulfillmentOrders"]
    assert after["nodes"] == [] and after["pageInfo"]["hasNextPage"] is False
    body = month_client.gql("{ orders(first: 1) { nodes { fulfillmentOrders { nodes { id } } } } }").json()
    assert body["errors"][0]["message"] == "you must provide one of first or last"


COSTED = """
{
  orders(first: 15) {
    nodes {
      id
      refunds(first: 5) { id createdAt note totalRefundedSet { shopMoney { amount } } }
      fulfillmentOrders(first: 3) {
        nodes {
          id status requestStatus
          assignedLocation { name }
          lineItems(first: 10) { nodes { id sku totalQuantity remainingQuantity } }
        }
      }
    }
  }
}
"""


def test_query_cost_of_the_new_fields(shared_client: Client) -> None:
    body = shared_client.gql(COSTED).json()
    assert "errors" not in body, body
    cost = body["extensions"]["cost"]
    # orders 2 + 15 x (order 1 + refunds 5 x (1 + totalRefundedSet 1 + shopMoney 1)
    #   + fulfillmentOrders 2 + 3 x (1 + assignedLocation 1 + lineItems 2 + 10 x 1)) = 902
    assert cost["requestedQueryCost"] == 902 < 1000
    assert cost["actualQueryCost"] < cost["requestedQueryCost"]  # few refunds, one fulfillment order each
    bigger = COSTED.replace("orders(first: 15)", "orders(first: 20)")
    refused = shared_client.gql(bigger).json()
    assert refused["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert shared_client.gql("{ orders(first: 1) { nodes { refunds { id } } } }").json()["extensions"][
        "cost"
    ]["requestedQueryCost"] == 2 + 1 * (1 + 1)  # a list without `first` counts one object


def test_a_world_from_before_refunds_catches_up(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w", days=25)
    conn = sqlite3.connect(world / "world.sqlite")
    for table in ("shopify_refund_line_items", "shopify_refunds", "shopify_refund_transactions"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DROP TABLE shopify_order_overrides")
    conn.commit()
    conn.close()
    empty = world_stats(world)["shopify"]
    assert empty["refunds_total"] == empty["orders_partially_refunded"] == 0
    with SandboxServer(world, throttle=ROOMY) as server:  # serves the old world, refunds empty
        assert all(not o["refunds"] for o in all_orders(Client(server)))
    advance(world, 1)
    cancelled = rows(world, "SELECT 1 FROM transactions WHERE kind = 'REFUND'")
    caught_up = world_stats(world)["shopify"]
    assert caught_up["refunds_total"] > len(cancelled) and caught_up["orders_partially_refunded"] > 0
