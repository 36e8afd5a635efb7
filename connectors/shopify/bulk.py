"""A shop's first load through a Shopify bulk operation: one query, one JSONL file.

Listing pages cost query points: a page of 12 orders with their nested records costs about
960 of a bucket that refills 100 (Plus: 1,000) a second, so a shop with a long history takes
hours to list. Shopify's documented route for that is a bulk query operation
(``bulkOperationRunQuery``): the shop runs the query in the background, without page sizes or
cost limits, and writes every node to a JSONL file. Here:

1. start the operation. If a bulk query is already running, it is adopted when it runs the same
   query (a start asked again after a lost answer, or a first load that died while waiting);
   any other is waited out, and ours started after it;
2. poll ``currentBulkOperation`` until it is COMPLETED (FAILED, CANCELED or EXPIRED is an error
   naming its code), backing off up to ``MAX_POLL_SECONDS``;
3. stream the file from its signed URL, never sending the shop's token to the storage host;
4. put each line item and fulfilment order (lines of their own, with ``__parentId``) back into
   its order, so an order has the shape the listing gives it (``nested.complete_order``).

A file is read as it streams, which needs children right below their parent: the only layout
before API version 2025-07, and asked for with ``groupObjects: true`` from 2025-07 on (its
default became false in 2026-01). A file that breaks that fails the load, naming the line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from dlt.common import logger

from connectors.shopify.client import ShopifyAPIError, ShopifyGraphQLClient

GROUP_OBJECTS_SINCE = "2025-07"  # API versions that take groupObjects (and from 2026-01 need it)
FIRST_POLL_SECONDS = 0.2
MAX_POLL_SECONDS = 10.0
DEFAULT_TIMEOUT_SECONDS = 6 * 3600.0
# A child line's kind, from its global id (gid://shopify/<Kind>/<n>), and where the listing puts it.
CHILD_FIELDS = {"LineItem": "lineItems", "FulfillmentOrder": "fulfillmentOrders"}
FAILED_STATUSES = ("FAILED", "CANCELED", "EXPIRED")
START_ATTEMPTS = 3

CURRENT_OPERATION = """
query CurrentBulkOperation {
  currentBulkOperation { id status errorCode createdAt completedAt objectCount url query }
}
"""


def _run_mutation(group_objects: bool) -> str:
    argument = ", groupObjects: true" if group_objects else ""
    return (
        "mutation RunBulkOrders($query: String!) {\n"
        f"  bulkOperationRunQuery(query: $query{argument}) {{\n"
        "    bulkOperation { id status createdAt }\n"
        "    userErrors { field message }\n"
        "  }\n"
        "}\n"
    )


@dataclass(frozen=True)
class BulkResult:
    """A finished bulk query: its id, when the shop started it (its clock), and its file."""

    id: str
    created_at: str
    url: str | None
    object_count: int


def run_bulk_query(
    client: ShopifyGraphQLClient,
    query: str,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> BulkResult:
    """Start ``query`` as a bulk operation and wait for it to complete."""
    group = client.api_version == "unstable" or client.api_version >= GROUP_OBJECTS_SINCE
    deadline = time.monotonic() + timeout_seconds
    for _attempt in range(START_ATTEMPTS):
        payload = client.execute(_run_mutation(group), {"query": query})["bulkOperationRunQuery"]
        errors = payload.get("userErrors") or []
        if not errors:
            return _result(_wait(client, payload["bulkOperation"]["id"], deadline, sleep))
        messages = "; ".join(str(error.get("message")) for error in errors)
        if "in progress" not in messages:
            raise ShopifyAPIError(f"Shopify refused the bulk query: {messages}")
        running = client.execute(CURRENT_OPERATION, {})["currentBulkOperation"]
        if running is not None and running.get("query") == query:
            logger.info(f"Shopify: bulk query {running['id']} already runs this query; waiting for it")
            return _result(_wait(client, running["id"], deadline, sleep))
        logger.info(f"Shopify: another bulk query is running ({messages}); waiting for it to end")
        _wait(client, None, deadline, sleep)
    raise ShopifyAPIError("Shopify kept another bulk query running; the next run starts this one again")


def _result(finished: dict[str, Any]) -> BulkResult:
    count = int(finished.get("objectCount") or 0)
    logger.info(f"Shopify bulk query {finished['id']} completed: {count} objects")
    return BulkResult(finished["id"], finished["createdAt"], finished.get("url"), count)


def _wait(
    client: ShopifyGraphQLClient, operation_id: str | None, deadline: float, sleep: Callable[[float], None]
) -> dict[str, Any]:
    """Poll the shop's current bulk query until it ends; with ``operation_id``, it must be that one."""
    pause = FIRST_POLL_SECONDS
    while True:
        current = client.execute(CURRENT_OPERATION, {})["currentBulkOperation"]
        if current is None:
            raise ShopifyAPIError(f"Shopify reports no bulk query (expected {operation_id})")
        if operation_id is not None and current["id"] != operation_id:
            raise ShopifyAPIError(f"another bulk query ({current['id']}) replaced {operation_id}")
        if current["status"] == "COMPLETED":
            return current
        if current["status"] in FAILED_STATUSES:
            if operation_id is None:
                return current  # someone else's leftover: it has ended, which is all we wait for
            raise ShopifyAPIError(
                f"Shopify bulk query {current['id']} ended {current['status']}"
                f" (error code {current.get('errorCode')}); the next run starts it again"
            )
        if time.monotonic() > deadline:
            raise ShopifyAPIError(
                f"Shopify bulk query {current['id']} still {current['status']} at the timeout"
            )
        sleep(pause)
        pause = min(pause * 2, MAX_POLL_SECONDS)


def orders_from_lines(lines: Iterable[bytes | str]) -> Iterator[dict[str, Any]]:
    """Orders with their line items and fulfilment orders, from a grouped bulk file's lines."""
    order: dict[str, Any] | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        record = json.loads(raw)
        parent = record.pop("__parentId", None)
        if parent is None:
            if order is not None:
                yield order
            order = {**record, **{field: [] for field in CHILD_FIELDS.values()}}
            continue
        kind = str(record.get("id", "")).split("/")[-2:-1]
        field = CHILD_FIELDS.get(kind[0] if kind else "")
        if field is None:
            raise ShopifyAPIError(
                f"bulk file line {number}: a child of {parent} of unknown kind ({record.get('id')})"
            )
        if order is None or order["id"] != parent:
            raise ShopifyAPIError(
                f"bulk file line {number}: {record.get('id')} is not below its order {parent}"
                " (the file is not grouped)"
            )
        order[field].append(record)
    if order is not None:
        yield order


def bulk_pages(
    client: ShopifyGraphQLClient, result: BulkResult, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """The finished query's orders, ``page_size`` at a time, as its file streams."""
    if result.url is None:  # Shopify gives no file when nothing matched
        return
    page: list[dict[str, Any]] = []
    for order in orders_from_lines(client.download_lines(result.url)):
        page.append(order)
        if len(page) >= page_size:
            yield page
            page = []
    if page:
        yield page
