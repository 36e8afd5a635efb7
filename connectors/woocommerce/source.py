"""dlt source for WooCommerce orders, their notes and refunds through the REST API v3.

Declarative (dlt's ``rest_api``). Orders are incremental on ``date_modified_gmt``: each
run asks only for orders modified since the last cursor (``modified_after`` with
``dates_are_gmt``, oldest change first) and merges them on id, so re-running loads nothing
twice. The notes of exactly those orders are then fetched per order, and their refunds per
order that lists any (an order names its refunds in ``refunds``, so the others cost no
request); both carry ``order_id``. Line items and the other order lines become child tables.

Page numbers shift when an order is edited or deleted while a run pages (an edited order
moves to the end, the next page's first order slips onto a page already read): the paginator
notices (an order met twice, ``X-WP-Total`` changed) and reads from page 1 again, and an
order met twice keeps its latest version (``dedup_sort`` on ``date_modified_gmt``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.rest_api import rest_api_resources
from dlt.sources.rest_api.typing import RESTAPIConfig

from connectors.woocommerce.columns import NOTE_COLUMNS, ORDER_COLUMNS, ORDER_NESTED_HINTS, REFUND_COLUMNS
from connectors.woocommerce.errors import raise_when_refused, retrying_session
from connectors.woocommerce.paging import WordPressPaginator

API_PATH = "wp-json/wc/v3"

MAX_PER_PAGE = 100  # WooCommerce rejects a larger per_page with 400


@dlt.source(name="woocommerce", max_table_nesting=2)
def woocommerce_source(
    store_url: str = dlt.config.value,
    consumer_key: str = dlt.secrets.value,
    consumer_secret: str = dlt.secrets.value,
    per_page: int = MAX_PER_PAGE,
    request_timeout: float | None = None,
) -> Any:
    """Tables ``orders`` (+ ``orders__line_items`` ...), ``order_notes`` and ``order_refunds``.

    ``request_timeout`` (seconds, ``sources.woocommerce.request_timeout``) bounds each request;
    a request that times out is retried. Default: dlt's ``runtime.request_timeout``.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    config: RESTAPIConfig = {
        "client": _client_settings(store_url, consumer_key, consumer_secret, request_timeout),
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {"response_actions": [raise_when_refused(consumer_key, consumer_secret)]},
        },
        "resources": [
            {
                "name": "orders",
                "columns": ORDER_COLUMNS,
                "nested_hints": ORDER_NESTED_HINTS,
                "endpoint": {
                    "path": "orders",
                    "params": {
                        "per_page": per_page,
                        "orderby": "modified",
                        "order": "asc",
                        "dates_are_gmt": "true",
                        "modified_after": {
                            "type": "incremental",
                            "cursor_path": "date_modified_gmt",
                            "initial_value": None,
                            "convert": modified_after,
                        },
                    },
                },
                # Last, so a quarantined order still carries its id (and refunds) for its children.
                "processing_steps": [{"map": _without_links}, {"map": _line_prices_to_column_scale}],
            },
            {
                "name": "order_notes",
                "columns": NOTE_COLUMNS,
                # The notes endpoint is not paged: it returns every note of the order.
                "endpoint": {"path": "orders/{resources.orders.id}/notes", "paginator": "single_page"},
                "include_from_parent": ["id"],
                "processing_steps": [{"map": _with_order_id}],
            },
        ],
    }
    orders, notes = rest_api_resources(config)
    # The refunds transformer asks through a client of its own, built from the same settings
    # (a paginator keeps its place, so the two cannot share one).
    client = RESTClient(**_client_settings(store_url, consumer_key, consumer_secret, request_timeout))
    refused = raise_when_refused(consumer_key, consumer_secret)
    return orders, notes, orders | order_refunds(client, per_page, refused)


def _client_settings(
    store_url: str, consumer_key: str, consumer_secret: str, request_timeout: float | None
) -> dict[str, Any]:
    """The store's API client, as both rest_api's ``client`` and ``RESTClient`` take it."""
    return {
        "base_url": f"{store_url.rstrip('/')}/{API_PATH}/",
        "auth": HttpBasicAuth(consumer_key, consumer_secret),
        "paginator": WordPressPaginator(),
        "session": retrying_session(request_timeout),
    }


@dlt.transformer(name="order_refunds", primary_key="id", write_disposition="merge", columns=REFUND_COLUMNS)
def order_refunds(
    orders: list[dict[str, Any]], client: RESTClient, per_page: int, refused: Callable[..., None]
) -> Iterator[list[dict[str, Any]]]:
    """The refunds of each order that lists any (``GET orders/{id}/refunds``).

    Most orders have none, and their own ``refunds`` summary says so: asking every order cost
    one request each, half of a first load's requests. An order without the summary is asked.
    """
    for order in orders if isinstance(orders, list) else [orders]:
        if order.get("refunds") == []:
            continue
        path = f"orders/{order['id']}/refunds"
        for page in client.paginate(path, params={"per_page": per_page}, hooks={"response": [refused]}):
            yield [_with_order_id({**refund, "_orders_id": order["id"]}) for refund in page]


def modified_after(cursor: str | None) -> str | None:
    """The ``modified_after`` parameter for a cursor: none on the first run (whole history).

    WooCommerce compares ``modified_after`` exclusively and in whole seconds, so an order
    modified later within the cursor's second would never be asked for. We ask from one
    second earlier; the orders already loaded at the cursor are dropped by dlt by primary key.
    """
    if cursor is None:
        return None
    moment = datetime.fromisoformat(str(cursor))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment.replace(microsecond=0) - timedelta(seconds=1)).isoformat()


def _without_links(order: dict[str, Any]) -> dict[str, Any]:
    """HAL ``_links`` would only add link tables nobody reads."""
    order.pop("_links", None)
    return order


# dlt's decimal columns are DECIMAL(38, 9) unless a hint says otherwise.
DECIMAL_SCALE = Decimal("1e-9")


def _line_prices_to_column_scale(order: dict[str, Any]) -> dict[str, Any]:
    """A line item's ``price`` is a JSON number, its total over its quantity unrounded
    (10.00 / 3 comes as 3.3333333333333335), and its column is decimal. Parquet loads refuse a
    value the column's nine places would cut, where INSERT statements round it silently; so it
    is rounded here, to what either load keeps. A ``line_items`` that is not a list of objects
    breaks the API's contract: it is left as received, for staging to keep the order aside."""
    lines = order.get("line_items")
    for line in lines if isinstance(lines, list) else []:
        price = line.get("price") if isinstance(line, dict) else None
        if isinstance(price, float):
            line["price"] = Decimal(repr(price)).quantize(DECIMAL_SCALE, rounding=ROUND_HALF_UP)
    return order


def _with_order_id(record: dict[str, Any]) -> dict[str, Any]:
    """Notes and refunds do not name their order; rest_api adds it as ``_orders_id``."""
    record["order_id"] = record.pop("_orders_id")
    record.pop("_links", None)
    return record
