"""Shopify fulfillment orders: the per-location work list Shopify creates with every order.

The merchant ships from the 3PL's two sites, set up in Shopify as merchant-managed locations (the
merchant books the labels itself), so every fulfillment order's request status is UNSUBMITTED, the
only one Shopify allows at a location without a fulfillment service. An order gets one fulfillment
order at the site that picks it: the parcel's warehouse once the logistics side has one (after its
stock-based re-routing), else the site nearer the shipping postcode. The warehouses never split an
order across sites, so neither do fulfillment orders. Status follows the order: CANCELLED when it is
cancelled, CLOSED once fulfilled (at the fulfillment's time), OPEN otherwise.

Derived at read time from the orders, their fulfillments and the parcels: no randomness and nothing
stored, so it can never disagree with `displayFulfillmentStatus`. Ids are fixed offsets of the order
and line item ids, so they are stable.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.order_lookup import SHOPIFY, order_key
from sandbox.warehouses import WAREHOUSES, primary_warehouse
from sandbox.world import ID_BASES

FULFILLMENT_ORDER_BASE = 6_480_000_000_000
FULFILLMENT_ORDER_LINE_ITEM_BASE = 15_900_000_000_000
REQUEST_STATUS = "UNSUBMITTED"


@dataclass(frozen=True)
class ShopLocation:
    """A warehouse as a Shopify location (fictional street addresses)."""

    number: int
    name: str
    address1: str
    zip: str


LOCATIONS = {
    "leeds": ShopLocation(78_300_000_001, "Leeds Warehouse", "Unit 7, Stourton Link", "LS11 0XS"),
    "bristol": ShopLocation(78_300_000_002, "Bristol Warehouse", "Unit 3, Bedminster Trade Park", "BS3 4PA"),
}


def fulfillment_order_status(order: Mapping[str, Any]) -> str:
    """CANCELLED, CLOSED or OPEN, from the order as served."""
    if order["cancelled_at"] is not None:
        return "CANCELLED"
    if order["fulfillment_status"] == "FULFILLED":
        return "CLOSED"
    return "OPEN"


def load_parcels(conn: sqlite3.Connection, order_ids: Sequence[int]) -> dict[int, list[sqlite3.Row]]:
    """Parcels per Shopify order id, oldest label first."""
    keys = {order_key(SHOPIFY, order_id): order_id for order_id in order_ids}
    found: dict[int, list[sqlite3.Row]] = defaultdict(list)
    if not keys:
        return found
    rows = conn.execute(
        f"SELECT order_key, warehouse, tracking_number, labelled_at FROM parcels"
        f" WHERE order_key IN ({','.join('?' * len(keys))}) ORDER BY labelled_at, tracking_number",
        list(keys),
    )
    for row in rows:
        found[keys[row["order_key"]]].append(row)
    return found


def assigned_warehouse(
    order: Mapping[str, Any], fulfillments: Sequence[Mapping[str, Any]], parcels: Sequence[sqlite3.Row]
) -> str:
    """The site picking the order: the fulfilled parcel's, else the first parcel's, else the nearer one."""
    shipped = {f["tracking_number"] for f in fulfillments if f["tracking_number"]}
    for parcel in parcels:
        if parcel["tracking_number"] in shipped:
            return str(parcel["warehouse"])
    if parcels:
        return str(parcels[0]["warehouse"])
    return primary_warehouse(order["ship_zip"])


def _location(code: str) -> dict[str, Any]:
    place = LOCATIONS[code]
    location = {
        "id": f"gid://shopify/Location/{place.number}",
        "legacyResourceId": str(place.number),
        "name": place.name,
    }
    return {
        "name": place.name,
        "address1": place.address1,
        "city": WAREHOUSES[code].city,
        "zip": place.zip,
        "countryCode": "GB",
        "location": location,
    }


def fulfillment_order_nodes(
    order: Mapping[str, Any],
    line_items: Sequence[Mapping[str, Any]],
    fulfillments: Sequence[Mapping[str, Any]],
    parcels: Sequence[sqlite3.Row],
) -> list[dict[str, Any]]:
    """The order's fulfillment orders as GraphQL objects; `line_items` are the served LineItem objects
    (with their numeric `_id`), nested lists under `_line_items`."""
    status = fulfillment_order_status(order)
    if status == "CANCELLED":
        updated = order["cancelled_at"]
    elif status == "CLOSED" and fulfillments:
        updated = max(order["created_at"], fulfillments[0]["created_at"])  # the one that fulfilled it
    else:
        updated = order["created_at"]
    number = FULFILLMENT_ORDER_BASE + (order["id"] - ID_BASES["orders"])
    remaining = status == "OPEN"
    return [
        {
            "id": f"gid://shopify/FulfillmentOrder/{number}",
            "_id": number,
            "status": status,
            "requestStatus": REQUEST_STATUS,
            "createdAt": order["created_at"],
            "updatedAt": updated,
            "fulfillAt": order["created_at"],
            "orderId": f"gid://shopify/Order/{order['id']}",
            "orderName": order["name"],
            "assignedLocation": _location(assigned_warehouse(order, fulfillments, parcels)),
            "_line_items": [
                {
                    "id": "gid://shopify/FulfillmentOrderLineItem/"
                    f"{FULFILLMENT_ORDER_LINE_ITEM_BASE + (item['_id'] - ID_BASES['line_items'])}",
                    "_id": item["_id"],
                    "sku": item["sku"],
                    "productTitle": item["title"],
                    "totalQuantity": item["quantity"],
                    "remainingQuantity": item["quantity"] if remaining else 0,
                    "lineItem": item,
                }
                for item in line_items
            ],
        }
    ]


def count_by_status(orders: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Fulfillment orders per status over `orders` (one each)."""
    counts: dict[str, int] = defaultdict(int)
    for order in orders:
        counts[fulfillment_order_status(order)] += 1
    return dict(sorted(counts.items()))
