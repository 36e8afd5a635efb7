"""Shopify inventory over real HTTP: locations, inventory items found by SKU, levels and the
compare-and-set `inventorySetQuantities` mutation, its cost, faults and stats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox_testkit import Client, make_world, rows

from sandbox.faults import FaultConfig
from sandbox.query_cost import ThrottleConfig
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer
from sandbox.stats import world_stats

LEEDS = "gid://shopify/Location/78300000001"
BRISTOL = "gid://shopify/Location/78300000002"
SET = """
mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id createdAt reason referenceDocumentUri
      changes { name delta quantityAfterChange item { sku } location { id } } }
    userErrors { code field message }
  }
}
"""
LEVEL = """
query Level($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    inventoryLevel(locationId: $location) {
      quantities(names: ["available", "on_hand", "committed"]) { name quantity }
    }
  }
}
"""


def item_id(client: Client, sku: str) -> str:
    nodes = client.data(
        "query($q: String) { inventoryItems(first: 5, query: $q) { nodes { id sku } } }", {"q": f"sku:{sku}"}
    )["inventoryItems"]["nodes"]
    assert [n["sku"] for n in nodes] == [sku]
    return str(nodes[0]["id"])


def available(client: Client, item: str, location: str) -> dict[str, int]:
    level = client.data(LEVEL, {"item": item, "location": location})["inventoryItem"]["inventoryLevel"]
    return {q["name"]: q["quantity"] for q in level["quantities"]}


def set_quantities(client: Client, quantities: list[dict[str, Any]], **input_fields: Any) -> dict[str, Any]:
    payload = {"name": "available", "reason": "correction", "quantities": quantities, **input_fields}
    return client.data(SET, {"input": payload})["inventorySetQuantities"]


def opening(world: Path, sku: str, warehouse: str) -> int:
    (row,) = rows(
        world,
        "SELECT COALESCE(SUM(delta), 0) AS n FROM stock_moves"
        " WHERE kind = 'opening' AND sku = ? AND warehouse = ?",
        (sku, warehouse),
    )
    return int(row["n"])


def test_locations_items_and_variants_have_stable_ids(shared_client: Client, tmp_path: Path) -> None:
    locations = shared_client.data("{ locations(first: 10) { nodes { id legacyResourceId name isActive } } }")
    assert locations["locations"]["nodes"] == [
        {"id": BRISTOL, "legacyResourceId": "78300000002", "name": "Bristol Warehouse", "isActive": True},
        {"id": LEEDS, "legacyResourceId": "78300000001", "name": "Leeds Warehouse", "isActive": True},
    ]  # sortKey NAME by default
    by_id = shared_client.data("{ locations(first: 10, sortKey: ID) { nodes { name address { city } } } }")
    assert [n["address"]["city"] for n in by_id["locations"]["nodes"]] == ["Leeds", "Bristol"]
    items = shared_client.data("{ inventoryItems(first: 250) { nodes { id sku tracked } } }")
    skus = [n["sku"] for n in items["inventoryItems"]["nodes"]]
    assert len(skus) == 40 and skus == sorted(skus)
    variants = shared_client.data(
        '{ productVariants(first: 5, query: "sku:OL-MUG-SGE") { nodes { id sku displayName price'
        " inventoryItem { id } product { title variants(first: 5) { nodes { sku } } } } } }"
    )["productVariants"]["nodes"]
    assert len(variants) == 1
    mug = variants[0]
    assert mug["inventoryItem"]["id"] == item_id(shared_client, "OL-MUG-SGE")
    assert mug["displayName"] == "Stoneware Mug - Sage" and mug["price"] == "14.00"
    assert [v["sku"] for v in mug["product"]["variants"]["nodes"]] == ["OL-MUG-CHR", "OL-MUG-SGE"]
    # The same ids in another world of another seed: they depend on the catalogue only.
    with SandboxServer(make_world(tmp_path / "other", seed=8)) as other:
        assert item_id(Client(other), "OL-MUG-SGE") == mug["inventoryItem"]["id"]
    nothing = shared_client.data('{ inventoryItems(first: 5, query: "sku:NOPE") { nodes { id } } }')
    assert nothing["inventoryItems"]["nodes"] == []
    prefix = shared_client.data('{ productVariants(first: 5, query: "sku:OL-MUG*") { nodes { sku } } }')
    assert [n["sku"] for n in prefix["productVariants"]["nodes"]] == ["OL-MUG-CHR", "OL-MUG-SGE"]
    either = shared_client.data(
        '{ inventoryItems(first: 5, query: "sku:OL-MUG-SGE OR sku:OL-PEN-CHR") { nodes { sku } } }'
    )
    assert [n["sku"] for n in either["inventoryItems"]["nodes"]] == ["OL-MUG-SGE", "OL-PEN-CHR"]


def test_levels_start_at_the_opening_count(shared_client: Client, shared_world: Path) -> None:
    item = item_id(shared_client, "OL-TEA-SGE")
    levels = shared_client.data(
        "query($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 5) { nodes { id"
        ' location { id name } quantities(names: ["available", "on_hand"]) { name quantity } } } } }',
        {"id": item},
    )["inventoryItem"]["inventoryLevels"]["nodes"]
    assert [n["location"]["id"] for n in levels] == [LEEDS, BRISTOL]
    for node, warehouse in zip(levels, ("leeds", "bristol"), strict=True):
        assert node["id"].startswith("gid://shopify/InventoryLevel/") and node["id"].endswith(
            f"?inventory_item_id={item.rsplit('/', 1)[1]}"
        )
        count = opening(shared_world, "OL-TEA-SGE", warehouse)
        quantities = {q["name"]: q["quantity"] for q in node["quantities"]}
        assert quantities == {"available": count, "on_hand": count}
    by_id = shared_client.data(
        "query($id: ID!) { inventoryLevel(id: $id) { location { name } item { sku } } }",
        {"id": levels[1]["id"]},
    )
    assert by_id["inventoryLevel"] == {
        "location": {"name": "Bristol Warehouse"},
        "item": {"sku": "OL-TEA-SGE"},
    }
    at_location = shared_client.data(
        'query($loc: ID) { location(id: $loc) { inventoryLevels(first: 250) { nodes { item { sku } } } } }',
        {"loc": LEEDS},
    )
    assert len(at_location["location"]["inventoryLevels"]["nodes"]) == 40


def test_set_quantities_compare_and_set(world: Path) -> None:
    with SandboxServer(world) as server:
        client = Client(server)
        item = item_id(client, "OL-MUG-SGE")
        before = opening(world, "OL-MUG-SGE", "leeds")
        row = {"inventoryItemId": item, "locationId": LEEDS, "quantity": before + 4}
        row["compareQuantity"] = before
        result = set_quantities(client, [row], referenceDocumentUri="orderloop://stock-sync/run-1")
        assert result["userErrors"] == []
        group = result["inventoryAdjustmentGroup"]
        assert group["id"].startswith("gid://shopify/InventoryAdjustmentGroup/")
        assert group["reason"] == "correction" and group["referenceDocumentUri"] == "orderloop://stock-sync/run-1"
        assert group["createdAt"] == "2026-11-04T12:00:00Z"  # the world clock
        assert group["changes"] == [
            {"name": name, "delta": 4, "quantityAfterChange": before + 4, "item": {"sku": "OL-MUG-SGE"},
             "location": {"id": LEEDS}}
            for name in ("available", "on_hand")
        ]  # fmt: skip
        after = {"available": before + 4, "on_hand": before + 4, "committed": 0}
        assert available(client, item, LEEDS) == after

        stale = set_quantities(
            client, [{"inventoryItemId": item, "locationId": LEEDS, "quantity": 1, "compareQuantity": before}]
        )
        assert stale == {
            "inventoryAdjustmentGroup": None,
            "userErrors": [
                {
                    "code": "COMPARE_QUANTITY_STALE",
                    "field": ["input", "quantities", "0", "compareQuantity"],
                    "message": "The compareQuantity value does not match persisted value.",
                }
            ],
        }
        assert available(client, item, LEEDS)["available"] == before + 4  # nothing changed

        required = set_quantities(client, [{"inventoryItemId": item, "locationId": LEEDS, "quantity": 1}])
        assert [e["code"] for e in required["userErrors"]] == ["COMPARE_QUANTITY_REQUIRED"]
        forced = set_quantities(
            client,
            [{"inventoryItemId": item, "locationId": LEEDS, "quantity": 2}],
            ignoreCompareQuantity=True,
        )
        assert forced["userErrors"] == [] and forced["inventoryAdjustmentGroup"]["changes"][0]["delta"] == -(
            before + 2
        )
        same = set_quantities(
            client, [{"inventoryItemId": item, "locationId": LEEDS, "quantity": 2, "compareQuantity": 2}]
        )
        assert same["userErrors"] == [] and same["inventoryAdjustmentGroup"]["changes"] == []
        assert available(client, item, BRISTOL)["available"] == opening(world, "OL-MUG-SGE", "bristol")
    stats = world_stats(world)["channel_stock"]["shopify"]
    assert stats == {
        "pushes": 3,
        "stale_rejections": 1,
        "adjustment_groups": 3,
        "available": {"OL-MUG-SGE": {"leeds": 2}},
    }


def test_user_errors_change_nothing(world: Path) -> None:
    with SandboxServer(world) as server:
        client = Client(server)
        mug, pen = item_id(client, "OL-MUG-SGE"), item_id(client, "OL-PEN-CHR")
        mug_now = available(client, mug, LEEDS)["available"]
        result = set_quantities(
            client,
            [
                {"inventoryItemId": mug, "locationId": LEEDS, "quantity": 9, "compareQuantity": mug_now},
                {"inventoryItemId": pen, "locationId": "gid://shopify/Location/1", "quantity": 1},
                {"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": LEEDS, "quantity": 1},
                {"inventoryItemId": mug, "locationId": LEEDS, "quantity": 2 * 10**9, "compareQuantity": 9},
            ],
            ignoreCompareQuantity=False,
        )
        assert result["inventoryAdjustmentGroup"] is None
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
            ("INVALID_LOCATION", ["input", "quantities", "1", "locationId"]),
            ("INVALID_INVENTORY_ITEM", ["input", "quantities", "2", "inventoryItemId"]),
            ("INVALID_QUANTITY_TOO_HIGH", ["input", "quantities", "3", "quantity"]),
            ("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", ["input", "quantities", "3"]),
        ]
        assert available(client, mug, LEEDS)["available"] == mug_now  # the valid first row was not applied
        bad = set_quantities(
            client,
            [{"inventoryItemId": mug, "locationId": LEEDS, "quantity": 1, "compareQuantity": mug_now}],
            name="incoming",
            reason="because",
            referenceDocumentUri="not a uri",
        )
        assert [e["code"] for e in bad["userErrors"]] == [
            "INVALID_NAME", "INVALID_REASON", "INVALID_REFERENCE_DOCUMENT"
        ]  # fmt: skip
        on_hand = set_quantities(
            client, [{"inventoryItemId": mug, "locationId": LEEDS, "quantity": -1}], name="on_hand",
            ignoreCompareQuantity=True,
        )  # fmt: skip
        assert [e["code"] for e in on_hand["userErrors"]] == ["INVALID_QUANTITY_NEGATIVE"]
    assert world_stats(world)["channel_stock"]["shopify"]["pushes"] == 0


def test_mutations_cost_points_and_can_be_throttled(world: Path) -> None:
    throttle = ThrottleConfig(maximum_available=20, restore_rate=0.01)
    with SandboxServer(world, throttle=throttle) as server:
        client = Client(server)
        item = "gid://shopify/InventoryItem/47310000000018"  # OL-MUG-SGE
        payload = {
            "name": "available",
            "reason": "correction",
            "ignoreCompareQuantity": True,
            "quantities": [{"inventoryItemId": item, "locationId": LEEDS, "quantity": 5}],
        }
        first = client.gql(SET, {"input": payload}).json()
        cost = first["extensions"]["cost"]
        assert cost["requestedQueryCost"] >= 10 and cost["actualQueryCost"] >= 10
        assert cost["throttleStatus"]["currentlyAvailable"] <= 20 - 10
        again = {**payload, "quantities": [{"inventoryItemId": item, "locationId": LEEDS, "quantity": 6}]}
        second = client.gql(SET, {"input": again})
        body = second.json()
        assert second.status_code == 200 and body["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert "data" not in body
    (row,) = rows(world, "SELECT available FROM shopify_inventory_levels")
    assert row["available"] == 5  # the throttled mutation did not run


def test_inventory_mutation_is_faulted_and_logged_like_queries(world: Path) -> None:
    with SandboxServer(world, faults=FaultConfig(fail_every=2, systems=("shopify",))) as server:
        client = Client(server)
        item = item_id(client, "OL-SOK-SGE")
        failed = client.gql(
            SET,
            {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "ignoreCompareQuantity": True,
                    "quantities": [{"inventoryItemId": item, "locationId": BRISTOL, "quantity": 3}],
                }
            },
        )
        assert failed.status_code == 503 and failed.json() == {"errors": "Service Unavailable"}
    assert rows(world, "SELECT * FROM shopify_inventory_levels") == []
    assert [r["status"] for r in requests_seen(world, "shopify")] == [200, 503]


def test_fulfillment_order_locations_serve_the_new_location_fields(shared_client: Client) -> None:
    data = shared_client.data(
        "{ orders(first: 1) { nodes { fulfillmentOrders(first: 1) { nodes { assignedLocation {"
        " location { id name isActive address { countryCode } } } } } } } }"
    )
    location = data["orders"]["nodes"][0]["fulfillmentOrders"]["nodes"][0]["assignedLocation"]["location"]
    assert location["id"] in (LEEDS, BRISTOL) and location["isActive"] is True
    assert location["address"] == {"countryCode": "GB"}
