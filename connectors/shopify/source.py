"""dlt source for Shopify orders through the GraphQL Admin API.

Incremental on ``updatedAt``: each run asks only for orders updated since the last
cursor (``updated_at:>=`` in Shopify's search syntax; dlt drops the boundary duplicates
by primary key) and merges them on the order id, so re-running loads nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt

from connectors.schema_hints import nullable_columns
from connectors.shopify.client import ShopifyGraphQLClient
from connectors.shopify.queries import ORDERS_PAGE_SIZE, ORDERS_QUERY


@dlt.source(name="shopify", max_table_nesting=2)
def shopify_source(
    shop_url: str = dlt.config.value,
    access_token: str = dlt.secrets.value,
    api_version: str = "2025-01",
    page_size: int = ORDERS_PAGE_SIZE,
) -> Any:
    """Orders with line items, payments, fulfilments (tracking), refunds and fulfilment orders."""
    client = ShopifyGraphQLClient(shop_url, access_token, api_version)
    return orders(client, page_size)


# Declared so the columns staging relies on exist before the shop has a cancelled or
# fulfilled order.
ORDER_COLUMNS = nullable_columns(
    cancelled_at="timestamp",
    cancel_reason="text",
    processed_at="timestamp",
    email="text",
    phone="text",
    shipping_address__name="text",
    shipping_address__address1="text",
    shipping_address__address2="text",
    shipping_address__city="text",
    shipping_address__zip="text",
    shipping_address__country_code_v2="text",
    total_price_set__shop_money__amount="decimal",
    subtotal_price_set__shop_money__amount="decimal",
    total_shipping_price_set__shop_money__amount="decimal",
)
NESTED_HINTS: dict[Any, Any] = {
    "transactions": {
        "columns": nullable_columns(id="text", kind="text", status="text", processed_at="timestamp")
    },
    "fulfillments": {"columns": nullable_columns(id="text", status="text", created_at="timestamp")},
    ("fulfillments", "tracking_info"): {
        "columns": nullable_columns(number="text", company="text", url="text")
    },
    "line_items": {"columns": nullable_columns(id="text", sku="text", quantity="bigint")},
    "refunds": {
        "columns": nullable_columns(
            id="text", created_at="timestamp", note="text", total_refunded_set__shop_money__amount="decimal"
        )
    },
    "fulfillment_orders": {
        "columns": nullable_columns(
            id="text", status="text", request_status="text", created_at="timestamp", updated_at="timestamp",
            assigned_location__name="text",
        )
    },
}


@dlt.resource(
    name="orders",
    primary_key="id",
    write_disposition="merge",
    columns=ORDER_COLUMNS,
    nested_hints=NESTED_HINTS,
)
def orders(
    client: ShopifyGraphQLClient,
    page_size: int,
    updated_at: dlt.sources.incremental[str] = dlt.sources.incremental(
        "updatedAt", initial_value="1970-01-01T00:00:00Z"
    ),
) -> Iterator[list[dict]]:
    search = f"updated_at:>='{updated_at.last_value}'"
    for page in client.paginate(ORDERS_QUERY, "orders", {"first": page_size, "query": search}):
        yield [_flatten_order(node) for node in page]


def _flatten_order(node: dict[str, Any]) -> dict[str, Any]:
    """Unwrap GraphQL connections (``edges.node``) so dlt makes plain child tables."""
    order = dict(node)
    for connection in ("lineItems", "fulfillmentOrders"):
        order[connection] = [edge["node"] for edge in (node.get(connection) or {}).get("edges", [])]
    return order
