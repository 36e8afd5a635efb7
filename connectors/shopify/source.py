"""dlt source for Shopify orders through the GraphQL Admin API.

Incremental on ``updatedAt``: each run asks only for orders updated since the last
cursor (``updated_at:>=`` in Shopify's search syntax; dlt drops the boundary duplicates
by primary key) and merges them on the order id, so re-running loads nothing twice.
Every nested record loads: what the listing leaves out is fetched per order (see
``nested.py``). With ``bulk_first_load``, a first load (no cursor yet) reads the shop's history
through one bulk query operation instead of listing pages (``bulk.py``), then lists what changed
while it ran. An order breaking the API's contract (no valid ``createdAt``, a total
that is not an amount) goes to ``quarantine`` with the reason instead of ``orders``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt

from connectors.quarantine import Check, all_of, amount, present, quarantine_invalid, timestamp
from connectors.schema_hints import nullable_columns
from connectors.shopify.bulk import DEFAULT_TIMEOUT_SECONDS, bulk_pages, run_bulk_query
from connectors.shopify.client import ShopifyGraphQLClient
from connectors.shopify.nested import complete_order
from connectors.shopify.queries import ORDERS_PAGE_SIZE, ORDERS_QUERY, bulk_orders_query

BULK_PAGE_SIZE = 500  # orders handed to dlt at a time from a bulk file


@dlt.source(name="shopify", max_table_nesting=2)
def shopify_source(
    shop_url: str = dlt.config.value,
    access_token: str = dlt.secrets.value,
    api_version: str = "2025-01",
    page_size: int = ORDERS_PAGE_SIZE,
    request_timeout: float | None = None,
    bulk_first_load: bool = True,
    bulk_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> Any:
    """Orders with line items, payments, fulfilments (tracking), refunds and fulfilment orders.

    ``request_timeout`` (seconds, ``sources.shopify.request_timeout``) bounds each request;
    a request that times out is retried. Default: dlt's ``runtime.request_timeout``.
    ``bulk_first_load`` (``sources.shopify.bulk_first_load``): the first load through a bulk
    operation, waiting at most ``bulk_timeout_seconds`` for it; false lists pages.
    """
    client = ShopifyGraphQLClient(
        shop_url, access_token, api_version, request_timeout=request_timeout, read_only=True
    )
    bulk_timeout = bulk_timeout_seconds if bulk_first_load else None
    return orders(client, page_size, bulk_timeout).add_yield_map(quarantine_invalid("orders", ORDER_CHECK))


def _total_amount(order: dict[str, Any]) -> str | None:
    money = ((order.get("totalPriceSet") or {}).get("shopMoney")) or {}
    field = "totalPriceSet.shopMoney.amount"
    return amount(field)({field: money.get("amount")})


ORDER_CHECK: Check = all_of(present("id"), timestamp("createdAt"), timestamp("updatedAt"), _total_amount)


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
    shipping_address__phone="text",
    shipping_address__zip="text",
    shipping_address__country_code_v2="text",
    total_price_set__shop_money__amount="decimal",
    subtotal_price_set__shop_money__amount="decimal",
    total_shipping_price_set__shop_money__amount="decimal",
) | {
    # An order updated while its pages are read comes back twice in one load; the merge keeps
    # its newest version (without a sort dlt keeps either, and its window ordered by a
    # constant could not spill: a first load of 10M orders ran out of a 4 GB budget).
    "updated_at": {"name": "updated_at", "dedup_sort": "desc"},
}
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
    bulk_timeout: float | None = None,
    updated_at: dlt.sources.incremental[str] = dlt.sources.incremental(
        # A quarantine entry carries no cursor; it must pass the cursor step, not fail it.
        "updatedAt", initial_value="1970-01-01T00:00:00Z", on_cursor_value_missing="include"
    ),
) -> Iterator[list[dict]]:
    search = f"updated_at:>='{updated_at.last_value}'"
    # A first load (no cursor yet) through a bulk query, unless ``bulk_timeout`` is None.
    if bulk_timeout is not None and updated_at.last_value == updated_at.initial_value:
        result = run_bulk_query(client, bulk_orders_query(search), bulk_timeout)
        yield from bulk_pages(client, result, BULK_PAGE_SIZE)
        # What changed while the shop ran it, from when it started on the shop's own clock: the
        # file may hold an order's older version beside another order's newer one.
        search = f"updated_at:>='{result.created_at}'"
    for page in client.paginate(ORDERS_QUERY, "orders", {"first": page_size, "query": search}):
        # Connections come back unwrapped (``edges.node`` -> list) so dlt makes plain child tables.
        yield [complete_order(client, node) for node in page]
