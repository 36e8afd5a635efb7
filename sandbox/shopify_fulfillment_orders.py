"""Shopify fulfillment orders: the per-location work list Shopify creates with every order.

The merchant ships from the 3PL's two sites, set up in Shopify as merchant-managed locations (the
merchant books the labels itself), so every fulfillment order's request status is UNSUBMITTED, the
only one Shopify allows at a location without a fulfillment service. An order gets one fulfillment
order at the site that picks it: the parcel's warehouse once the logistics side has one (after its
stock-based re-routing), else the site nearer the shipping postcode. The warehouses never split an
order across sites, so neither do fulfillment orders. Status follows the order: CANCELLED when it is
cancelled, CLOSED once fulfilled (at the fulfillment's time), OPEN otherwise.

Large orders (more than `SPLIT_ABOVE_LINES` line items; only worlds generated with
`large_order_every` have them) are split by the merchant, as Shopify's `fulfillmentOrderSplit` does,
into fulfillment orders of at most `FULFILLMENT_ORDER_LINES` lines in line item order, all at the
same site with the same status: a 13-line order has three (5 + 5 + 3 lines).

Derived at read time from the orders, their fulfillments and the parcels: no randomness and nothing
stored, so it can never disagree with `displayFulfillmentStatus`. Ids are fixed offsets of the order
and line item ids, so they are stable (a split-off fulfillment order's id is an offset of its first
line item's, above every unsplit one).
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.order_lookup import SHOPIFY, order_key
from sandbox.warehouses import WAREHOUSES, primary_warehouse
from sandbox.world import ID_BASES

FULFILLMENT_ORDER_BASE = 6_480_000_000_000
FULFILLMENT_ORDER_SPLIT_BASE = 6_490_000_000_000
FULFILLMENT_ORDER_LINE_ITEM_BASE = 15_900_000_000_000
SPLIT_ABOVE_LINES = 10
FULFILLMENT_ORDER_LINES = 5
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


def fulfillment_order_count(line_count: int) -> int:
    """How many fulfillment orders an order with `line_count` line items has."""
    if line_count <= SPLIT_ABOVE_LINES:
        return 1
    return math.ceil(line_count / FULFILLMENT_ORDER_LINES)


def line_groups(line_items: Sequence[Any]) -> list[list[Any]]:
    """An order's line items per fulfillment order (one group unless the order is split)."""
    size = FULFILLMENT_ORDER_LINES if len(line_items) > SPLIT_ABOVE_LINES else max(1, len(line_items))
    return [list(line_items[start : start + size]) for start in range(0, max(1, len(line_items)), size)]


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
    remaining = status == "OPEN"
    location = assigned_warehouse(order, fulfillments, parcels)
    nodes = []
    for index, group in enumerate(line_groups(line_items)):
        if index == 0:
            number = FULFILLMENT_ORDER_BASE + (order["id"] - ID_BASES["orders"])
        else:
            number = FULFILLMENT_ORDER_SPLIT_BASE + (group[0]["_id"] - ID_BASES["line_items"])
        nodes.append(_fulfillment_order(order, number, status, updated, location, group, remaining))
    return nodes


def _fulfillment_order(
    order: Mapping[str, Any],
    number: int,
    status: str,
    updated: str,
    location: str,
    line_items: Sequence[Mapping[str, Any]],
    remaining: bool,
) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/FulfillmentOrder/{number}",
        "_id": number,
        "status": status,
        "requestStatus": REQUEST_STATUS,
        "createdAt": order["created_at"],
        "updatedAt": updated,
        "fulfillAt": order["created_at"],
        "orderId": f"gid://shopify/Order/{order['id']}",
        "orderName": order["name"],
        "assignedLocation": _location(location),
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


def count_by_status(
    orders: Sequence[Mapping[str, Any]], line_counts: Mapping[int, int] | None = None
) -> dict[str, int]:
    """Fulfillment orders per status over `orders` (one each, or as many as `line_counts`, line items
    per order id, splits them into)."""
    counts: dict[str, int] = defaultdict(int)
    for order in orders:
        lines = line_counts.get(order["id"], 1) if line_counts is not None else 1
        counts[fulfillment_order_status(order)] += fulfillment_order_count(lines)
    return dict(sorted(counts.items()))
