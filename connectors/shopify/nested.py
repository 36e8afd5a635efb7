"""Completing an order's nested records that the orders listing left out.

The listing asks for a few nested records per order to keep its pages under Shopify's
query-cost cap (see ``queries.py``). This module fetches the rest with ``order(id:)``
follow-ups: further pages of a connection, or a list asked again with a larger ``first``.
Orders that fit (almost all) cost no extra request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlt.common import logger

from connectors.shopify.client import ShopifyGraphQLClient
from connectors.shopify.queries import CONNECTION_QUERIES, FIRST, LIST_QUERIES, NESTED_PAGE_SIZE, REASK_FIRST


def complete_order(
    client: ShopifyGraphQLClient, node: dict[str, Any], first: Mapping[str, int] = FIRST
) -> dict[str, Any]:
    """``node`` with every nested record, connections unwrapped into plain lists.

    ``first`` is what the listing asked for per order: a list as long as that may have
    been cut, so it is asked again.
    """
    order = dict(node)
    for field in CONNECTION_QUERIES:
        order[field] = _all_of_connection(client, order["id"], field, node.get(field))
    for field in LIST_QUERIES:
        if _maybe_cut(field, order.get(field) or [], first):
            order[field] = _reasked_list(client, order, field)
    return order


def _all_of_connection(
    client: ShopifyGraphQLClient, order_id: str, field: str, connection: dict[str, Any] | None
) -> list[dict[str, Any]]:
    nodes = [edge["node"] for edge in (connection or {}).get("edges", [])]
    page_info = (connection or {}).get("pageInfo") or {}
    while page_info.get("hasNextPage"):
        variables = {"id": order_id, "first": NESTED_PAGE_SIZE, "after": page_info.get("endCursor")}
        order = client.execute(CONNECTION_QUERIES[field], variables)["order"]
        if order is None:  # gone since the listing: keep what we have, the next run sees it again
            logger.warning(f"Shopify order {order_id} vanished while paging its {field}")
            break
        nodes += [edge["node"] for edge in order[field]["edges"]]
        page_info = order[field]["pageInfo"]
    return nodes


def _maybe_cut(field: str, items: list[dict[str, Any]], first: Mapping[str, int]) -> bool:
    """A list as long as asked may have had more; so may a fulfilment's tracking info."""
    if len(items) >= first[field]:
        return True
    return field == "fulfillments" and any(
        len(item.get("trackingInfo") or []) >= first["trackingInfo"] for item in items
    )


def _reasked_list(client: ShopifyGraphQLClient, order: dict[str, Any], field: str) -> list[dict[str, Any]]:
    variables = {"id": order["id"], "first": REASK_FIRST[field]}
    if field == "fulfillments":
        variables["trackingInfo"] = REASK_FIRST["trackingInfo"]
    answer = client.execute(LIST_QUERIES[field], variables)["order"]
    if answer is None:
        logger.warning(f"Shopify order {order['id']} vanished while asking for its {field}")
        return order.get(field) or []
    items = answer[field] or []
    if _maybe_cut(field, items, REASK_FIRST):
        # Beyond what one Shopify query returns for a list; not seen in practice.
        limits = f"{REASK_FIRST[field]}, tracking info {REASK_FIRST['trackingInfo']} each"
        logger.warning(
            f"Shopify order {order.get('name') or order['id']} has more {field} than one query"
            f" returns ({limits}): the rest is not loaded"
        )
    return items
