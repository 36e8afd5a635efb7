"""Shopify Admin GraphQL API (2025-01 subset): schema, resolvers and the HTTP endpoint.

Behaviour copied from the public contract: `X-Shopify-Access-Token` auth, page size <= 250,
opaque cursors, search syntax in `query`, `extensions.cost` on every answer and THROTTLED
errors (HTTP 200) when the leaky bucket runs dry. Orders carry their refunds (a list, as in
Shopify) and fulfillment orders (a connection); see `shopify_refunds` and
`shopify_fulfillment_orders` for where they come from. Inventory (locations, inventory items and
levels, product variants and the `inventorySetQuantities` mutation) is `shopify_inventory`'s; a
mutation runs in one write transaction and costs 10 points plus its payload. Bulk query operations
(`bulkOperationRunQuery`, `currentBulkOperation`, the JSONL file) are `shopify_bulk`'s. Known differences:
`fullyPaid` is true only for PAID and PARTIALLY_REFUNDED orders; `fulfillmentOrders(displayable:)`
changes nothing (no fulfillment order is ever merged or moved away, so none is hidden). With
`FaultConfig.malformed_every` on `shopify`, the chosen orders are broken as they are resolved (see
`malformed`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.language import FragmentDefinitionNode
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox import shopify_inventory
from sandbox.malformed import Malformer
from sandbox.query_cost import MAX_PAGE_SIZE, LeakyBucket, PageSizeError, actual_cost, requested_cost
from sandbox.relay import CursorError, paginate
from sandbox.search_query import SearchSyntaxError, parse_search
from sandbox.shopify_bulk import BulkOperations
from sandbox.shopify_fulfillment_orders import fulfillment_order_nodes, load_parcels
from sandbox.shopify_refunds import effective_order, effective_orders
from sandbox.shopify_schema import SDL
from sandbox.timeutil import to_iso
from sandbox.world import WorldMissingError, opened, world_now

API_VERSION = "2025-01"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLE_DOCS = "https://shopify.dev/api/usage/rate-limits"
SHOP = {
    "id": "gid://shopify/Shop/68820000001",
    "name": "Orderloop Sandbox Store",
    "email": "owner@example.com",
    "currencyCode": "GBP",
    "ianaTimezone": "Europe/London",
    "myshopifyDomain": "orderloop-sandbox.myshopify.com",
}
_VERSION_RE = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")
_ORDER_GID = re.compile(r"^gid://shopify/Order/(\d+)$")


@dataclass
class RequestContext:
    """Per-request state handed to resolvers."""

    conn: sqlite3.Connection
    search: list[dict[str, Any]] = field(default_factory=list)
    malformed: Malformer | None = None
    broken: list[tuple[str, str]] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)
    # A bulk operation's run: connections take no page size and return every node.
    bulk: bool = False
    version: str = API_VERSION
    base_url: str = ""
    bulk_operations: BulkOperations | None = None

    def served(self, nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`nodes` as served: the orders `malformed` picks broken (after filtering, sorting and
        paging, which use the real values), and noted for the log."""
        if self.malformed is not None and nodes:
            self.broken += self.malformed.apply(
                self.conn, [(int(n["legacyResourceId"]), n["id"], n) for n in nodes]
            )
        return nodes


def gid(kind: str, number: int) -> str:
    """Shopify global id."""
    return f"gid://shopify/{kind}/{number}"


def money_bag(amount: str, currency: str = "GBP") -> dict[str, Any]:
    """MoneyBag with identical shop and presentment money (single-currency shop)."""
    money = {"amount": amount, "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def _cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


SORT_KEYS: dict[str, tuple[Callable[[sqlite3.Row], Any], type]] = {
    "ID": (lambda r: r["id"], int),
    "CREATED_AT": (lambda r: r["created_at"], str),
    "UPDATED_AT": (lambda r: r["updated_at"], str),
    "PROCESSED_AT": (lambda r: r["processed_at"], str),
    "ORDER_NUMBER": (lambda r: r["number"], int),
    "TOTAL_PRICE": (lambda r: _cents(r["total"]), int),
}


def _page_args(first: int | None, last: int | None, bulk: bool = False) -> None:
    if bulk and first is None and last is None:
        return  # a bulk query reads whole connections
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    if first is not None and last is not None:
        raise GraphQLError("Passing both `first` and `last` to paginate a connection is not supported.")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise GraphQLError(f"The {name} argument must be between 0 and {MAX_PAGE_SIZE}, got {size}.")


def _placeholders(values: list[int]) -> str:
    return ",".join("?" * len(values))


def _grouped(conn: sqlite3.Connection, sql: str, ids: list[int], column: str) -> dict[int, list[sqlite3.Row]]:
    grouped: dict[int, list[sqlite3.Row]] = defaultdict(list)
    if ids:
        for child in conn.execute(sql.format(marks=_placeholders(ids)), ids):
            grouped[child[column]].append(child)
    return grouped


def load_order_nodes(conn: sqlite3.Connection, rows: list[Any]) -> list[dict[str, Any]]:
    """Order objects (from rows as served, see `effective_orders`) with their children, loaded in one
    query per child table."""
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    children: dict[str, dict[int, list[sqlite3.Row]]] = {}
    for table in ("line_items", "transactions", "fulfillments", "shopify_refund_transactions"):
        children[table] = _grouped(
            conn, f"SELECT * FROM {table} WHERE order_id IN ({{marks}}) ORDER BY id", ids, "order_id"
        )
    refunds = _grouped(
        conn,
        "SELECT * FROM shopify_refunds WHERE order_id IN ({marks}) ORDER BY created_at, id",
        ids,
        "order_id",
    )
    refund_ids = [r["id"] for group in refunds.values() for r in group]
    refund_lines = _grouped(
        conn,
        "SELECT * FROM shopify_refund_line_items WHERE refund_id IN ({marks}) ORDER BY id",
        refund_ids,
        "refund_id",
    )
    parcels = load_parcels(conn, ids)
    customer_ids = sorted({r["customer_id"] for r in rows if r["customer_id"] is not None})
    customers = {
        c["id"]: c
        for c in conn.execute(
            f"SELECT * FROM customers WHERE id IN ({_placeholders(customer_ids)})", customer_ids
        )
    }
    nodes = []
    for r in rows:
        node = _order_node(
            r,
            children["line_items"][r["id"]],
            children["transactions"][r["id"]] + children["shopify_refund_transactions"][r["id"]],
            children["fulfillments"][r["id"]],
            customers.get(r["customer_id"]),
        )
        node["_refunds"] = _refund_nodes(node, refunds[r["id"]], refund_lines)
        node["totalRefundedSet"] = money_bag(
            str(sum((Decimal(f["amount"]) for f in refunds[r["id"]]), Decimal("0.00")))
        )
        node["_fulfillment_orders"] = fulfillment_order_nodes(
            r, node["_line_items"], children["fulfillments"][r["id"]], parcels[r["id"]]
        )
        nodes.append(node)
    return nodes


def _transaction(t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": gid("OrderTransaction", t["id"]),
        "_id": t["id"],
        "kind": t["kind"],
        "status": t["status"],
        "gateway": t["gateway"],
        "test": False,
        "createdAt": t["created_at"],
        "processedAt": t["processed_at"],
        "amountSet": money_bag(t["amount"]),
    }


def _refund_nodes(
    order: dict[str, Any], refunds: list[sqlite3.Row], lines: dict[int, list[sqlite3.Row]]
) -> list[dict[str, Any]]:
    """Refund objects of one order; their transactions and line items are the order's own objects."""
    transactions = {t["_id"]: t for t in order["_transactions"]}
    items = {li["_id"]: li for li in order["_line_items"]}
    nodes = []
    for refund in refunds:
        refund_lines = []
        for line in lines[refund["id"]]:
            item = items[line["line_item_id"]]
            refund_lines.append(
                {
                    "id": gid("RefundLineItem", line["id"]),
                    "_id": line["id"],
                    "lineItem": item,
                    "quantity": line["quantity"],
                    "restockType": line["restock_type"],
                    "restocked": line["restock_type"] in ("CANCEL", "RETURN"),
                    "priceSet": item["originalUnitPriceSet"],
                    "subtotalSet": money_bag(line["subtotal"]),
                }
            )
        transaction = transactions.get(refund["transaction_id"])
        nodes.append(
            {
                "id": gid("Refund", refund["id"]),
                "legacyResourceId": str(refund["id"]),
                "createdAt": refund["created_at"],
                "updatedAt": refund["created_at"],
                "note": refund["note"],
                "totalRefundedSet": money_bag(refund["amount"]),
                "_line_items": refund_lines,
                "_transactions": [transaction] if transaction is not None else [],
            }
        )
    return nodes


def _address(row: Mapping[str, Any]) -> dict[str, Any]:
    first, last = row["ship_first_name"], row["ship_last_name"]
    return {
        "id": f"gid://shopify/MailingAddress/{row['id']}?model_name=Address",
        "name": " ".join(p for p in (first, last) if p),
        "firstName": first,
        "lastName": last,
        "company": None,
        "address1": row["ship_address1"],
        "address2": row["ship_address2"],
        "city": row["ship_city"],
        "province": row["ship_province"],
        "provinceCode": None,
        "zip": row["ship_zip"],
        "country": row["ship_country"],
        "countryCodeV2": row["ship_country_code"],
        "phone": row["ship_phone"],
    }


def _customer(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": gid("Customer", row["id"]),
        "legacyResourceId": str(row["id"]),
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "displayName": f"{row['first_name']} {row['last_name']}",
        "email": row["email"],
        "phone": row["phone"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


def _line_item(row: sqlite3.Row) -> dict[str, Any]:
    total = str((Decimal(row["unit_price"]) * row["quantity"]).quantize(Decimal("0.01")))
    return {
        "id": gid("LineItem", row["id"]),
        "_id": row["id"],
        "sku": row["sku"],
        "title": row["title"],
        "name": row["title"],
        "quantity": row["quantity"],
        "currentQuantity": row["quantity"],
        "requiresShipping": True,
        "originalUnitPriceSet": money_bag(row["unit_price"]),
        "originalTotalSet": money_bag(total),
    }


def _order_node(
    row: Mapping[str, Any],
    line_items: list[sqlite3.Row],
    transactions: list[sqlite3.Row],
    fulfillments: list[sqlite3.Row],
    customer: sqlite3.Row | None,
) -> dict[str, Any]:
    address = _address(row)
    return {
        "id": gid("Order", row["id"]),
        "legacyResourceId": str(row["id"]),
        "name": row["name"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "processedAt": row["processed_at"],
        "cancelledAt": row["cancelled_at"],
        "cancelReason": row["cancel_reason"],
        "closed": row["closed_at"] is not None,
        "closedAt": row["closed_at"],
        "test": False,
        "email": row["email"],
        "phone": row["phone"],
        "note": None,
        "tags": [],
        "currencyCode": row["currency"],
        "presentmentCurrencyCode": row["currency"],
        "displayFinancialStatus": row["financial_status"],
        "displayFulfillmentStatus": row["fulfillment_status"],
        "fullyPaid": row["financial_status"] in ("PAID", "PARTIALLY_REFUNDED"),
        "totalPriceSet": money_bag(row["total"]),
        "subtotalPriceSet": money_bag(row["subtotal"]),
        "totalShippingPriceSet": money_bag(row["shipping"]),
        "totalWeight": str(row["total_weight_grams"]),
        "subtotalLineItemsQuantity": sum(li["quantity"] for li in line_items),
        "customer": _customer(customer),
        "shippingAddress": address,
        "billingAddress": dict(address),
        "_line_items": [_line_item(li) for li in line_items],
        "_transactions": [_transaction(t) for t in transactions],
        "_fulfillments": [
            {
                "id": gid("Fulfillment", f["id"]),
                "legacyResourceId": str(f["id"]),
                "name": f"{row['name']}-F{index}",
                "status": f["status"],
                "createdAt": f["created_at"],
                "updatedAt": f["updated_at"],
                "_tracking": [
                    {
                        "number": f["tracking_number"],
                        "company": f["tracking_company"],
                        "url": f["tracking_url"],
                    }
                ]
                if f["tracking_number"]
                else [],
            }
            for index, f in enumerate(fulfillments, start=1)
        ],
    }


def resolve_orders(
    _root: object,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    query: str | None = None,
    sortKey: str = "ID",
    reverse: bool = False,
) -> dict[str, Any]:
    """QueryRoot.orders: filter with the search syntax, sort, then slice by cursor."""
    context: RequestContext = info.context
    _page_args(first, last, context.bulk)
    try:
        search = parse_search(query)
        rows = [r for r in effective_orders(context.conn) if search.matches(r)]
    except SearchSyntaxError as exc:
        raise GraphQLError(str(exc)) from exc
    if query:
        context.search.append({"path": [info.path.key], "query": query, "warnings": search.warnings})
    value_of, value_type = SORT_KEYS[sortKey]
    rows.sort(key=lambda r: (value_of(r), r["id"]))
    try:
        page = paginate(
            rows,
            lambda r: (value_of(r), r["id"]),
            value_type,
            first=first,
            after=after,
            last=last,
            before=before,
            reverse=reverse,
        )
    except CursorError as exc:
        raise GraphQLError(str(exc)) from exc
    nodes = iter(context.served(load_order_nodes(context.conn, page.items)))
    return page.connection(lambda _row: next(nodes))


def resolve_order(_root: object, info: Any, id: str) -> dict[str, Any] | None:
    """QueryRoot.order(id:)."""
    match = _ORDER_GID.match(id)
    if match is None:
        raise GraphQLError(f"Invalid global id '{id}'")
    context: RequestContext = info.context
    row = effective_order(context.conn, int(match.group(1)))
    return None if row is None else context.served(load_order_nodes(context.conn, [row]))[0]


def child_connection(key: str) -> Callable[..., dict[str, Any]]:
    """Resolver for a connection over the parent's `key` list (objects with a numeric `_id`, in id
    order), e.g. Order.lineItems or FulfillmentOrder.lineItems."""

    def resolve(
        parent: dict[str, Any],
        info: Any,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        reverse: bool = False,
        **_filters: Any,
    ) -> dict[str, Any]:
        _page_args(first, last, info.context.bulk)
        try:
            page = paginate(
                parent[key],
                lambda child: (child["_id"], child["_id"]),
                int,
                first=first,
                after=after,
                last=last,
                before=before,
                reverse=reverse,
            )
        except CursorError as exc:
            raise GraphQLError(str(exc)) from exc
        return page.connection(lambda child: child)

    return resolve


resolve_line_items = child_connection("_line_items")


def _limited(items: list[Any], first: int | None) -> list[Any]:
    if first is None:
        return items
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(f"The first argument must be between 0 and {MAX_PAGE_SIZE}, got {first}.")
    return items[:first]


def build_shopify_schema() -> GraphQLSchema:
    """The executable schema: SDL plus resolvers for fields that take arguments."""
    schema = build_schema(SDL)
    query_root = schema.query_type
    assert query_root is not None
    query_root.fields["orders"].resolve = resolve_orders
    query_root.fields["order"].resolve = resolve_order
    query_root.fields["shop"].resolve = lambda _root, _info: dict(SHOP)
    order = schema.get_type("Order")
    order.fields["lineItems"].resolve = resolve_line_items  # type: ignore[union-attr]
    order.fields["transactions"].resolve = (  # type: ignore[union-attr]
        lambda o, _info, first=None: _limited(o["_transactions"], first)
    )
    order.fields["fulfillments"].resolve = (  # type: ignore[union-attr]
        lambda o, _info, first=None: _limited(o["_fulfillments"], first)
    )
    schema.get_type("Fulfillment").fields["trackingInfo"].resolve = (  # type: ignore[union-attr]
        lambda f, _info, first=None: _limited(f["_tracking"], first)
    )
    order.fields["refunds"].resolve = (  # type: ignore[union-attr]
        lambda o, _info, first=None: _limited(o["_refunds"], first)
    )
    order.fields["fulfillmentOrders"].resolve = child_connection("_fulfillment_orders")  # type: ignore[union-attr]
    refund = schema.get_type("Refund")
    refund.fields["refundLineItems"].resolve = child_connection("_line_items")  # type: ignore[union-attr]
    refund.fields["transactions"].resolve = child_connection("_transactions")  # type: ignore[union-attr]
    fulfillment_order = schema.get_type("FulfillmentOrder")
    fulfillment_order.fields["lineItems"].resolve = child_connection("_line_items")  # type: ignore[union-attr]
    shopify_inventory.install(schema)
    query_root.fields["currentBulkOperation"].resolve = resolve_current_bulk_operation
    assert schema.mutation_type is not None
    schema.mutation_type.fields["bulkOperationRunQuery"].resolve = resolve_bulk_operation_run_query
    return schema


def resolve_current_bulk_operation(_root: object, info: Any, type: str = "QUERY") -> dict[str, Any] | None:
    """QueryRoot.currentBulkOperation: the shop's latest bulk query (no bulk mutations here)."""
    context: RequestContext = info.context
    operation = context.bulk_operations.current() if context.bulk_operations and type == "QUERY" else None
    return None if operation is None else operation.node(context.base_url)


def resolve_bulk_operation_run_query(
    _root: object, info: Any, query: str, groupObjects: bool | None = None
) -> dict[str, Any]:
    """Mutation.bulkOperationRunQuery: start the query in the background (`shopify_bulk`)."""
    context: RequestContext = info.context
    assert context.bulk_operations is not None
    operation, errors = context.bulk_operations.run_query(
        query, groupObjects, context.version, to_iso(world_now(context.conn))
    )
    node = None if operation is None else operation.node(context.base_url)
    return {"bulkOperation": node, "userErrors": errors}


def _error(message: str, code: str | None = None, **extensions: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code, **extensions}
    return error


class ShopifyGraphQL:
    """Runs one GraphQL request against the world, metering cost through the bucket; with
    `malformed`, its chosen orders are served broken (see `malformed`)."""

    def __init__(self, data_dir: Path, bucket: LeakyBucket, malformed: Malformer | None = None):
        self.data_dir = Path(data_dir)
        self.bucket = bucket
        self.malformed = malformed
        self.schema = build_shopify_schema()
        self.bulk = BulkOperations(
            self.data_dir, self.schema, lambda conn: RequestContext(conn, malformed=self.malformed, bulk=True)
        )

    def _cost_extension(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
        }

    def handle(
        self, body: bytes, content_type: str, version: str = API_VERSION, base_url: str = ""
    ) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON payload) for a request body to `version`'s endpoint; `base_url` is
        where the server is reached (a bulk operation's file URL starts with it)."""
        try:
            if "application/graphql" in content_type:
                query, variables, operation_name = body.decode(), {}, None
            else:
                payload = json.loads(body or b"null")
                query = payload.get("query")
                variables = payload.get("variables") or {}
                if isinstance(variables, str):  # some clients send the variables JSON-encoded
                    variables = json.loads(variables or "{}")
                operation_name = payload.get("operationName")
            if not isinstance(query, str) or not query.strip() or not isinstance(variables, dict):
                raise ValueError("missing query")
        except (ValueError, AttributeError, UnicodeDecodeError):
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}

        try:
            document = parse(query)
        except GraphQLError as exc:
            return 200, {"errors": [exc.formatted]}
        problems = validate(self.schema, document)
        if problems:
            return 200, {"errors": [p.formatted for p in problems]}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [
            o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)
        ]
        if len(chosen) != 1:
            return 200, {
                "errors": [_error("An operation name is required when sending multiple operations.")]
            }
        operation = chosen[0]
        if operation.operation is OperationType.SUBSCRIPTION:
            return 200, {"errors": [_error(f"Schema is not configured for {operation.operation.value}s.")]}
        mutation = operation.operation is OperationType.MUTATION
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return 200, {"errors": [e.formatted for e in coerced]}
        root = self.schema.mutation_type if mutation else self.schema.query_type
        assert root is not None
        try:
            requested = requested_cost(
                self.schema, root, operation.selection_set, fragments, coerced, mutation=mutation
            )
        except PageSizeError as exc:
            return 200, {"errors": [_error(str(exc), "BAD_REQUEST")]}
        limit = self.bucket.config.max_query_cost
        if requested > limit:
            message = (
                f"Query cost is {requested}, which exceeds the single query max cost limit ({limit}).\n\n"
                f"See {THROTTLE_DOCS} for more information on how the cost of a query is calculated.\n\n"
                "To query larger amounts of data with fewer limits, bulk operations should be used instead."
            )
            return 200, {"errors": [_error(message, "MAX_COST_EXCEEDED", cost=requested, maxCost=limit)]}
        if not self.bucket.try_take(requested):
            return 200, {
                "errors": [_error("Throttled", "THROTTLED", documentation=THROTTLE_DOCS)],
                "extensions": self._cost_extension(requested, None),
            }

        try:
            with opened(self.data_dir, write=mutation) as conn:
                context = RequestContext(
                    conn, malformed=self.malformed, version=version, base_url=base_url,
                    bulk_operations=self.bulk,
                )
                result = execute_sync(
                    self.schema,
                    document,
                    context_value=context,
                    variable_values=variables,
                    operation_name=operation_name,
                )
        except WorldMissingError:
            self.bucket.refund(requested)
            return 503, {"errors": "Sandbox world has not been generated"}
        if self.malformed is not None:
            self.malformed.log(context.broken)
        actual = actual_cost(
            self.schema, root, operation.selection_set, fragments, coerced, result.data, mutation=mutation
        )
        self.bucket.refund(requested - actual)
        response: dict[str, Any] = {}
        if result.errors:
            response["errors"] = [e.formatted for e in result.errors]
        response["data"] = result.data
        response["extensions"] = self._cost_extension(requested, actual)
        if context.search:
            response["extensions"]["search"] = context.search
        return 200, response


def graphql_endpoint(handler: ShopifyGraphQL, access_token: str) -> Callable[[Request], Any]:
    """Starlette endpoint for POST /admin/api/{version}/graphql.json."""

    async def endpoint(request: Request) -> Response:
        version = request.path_params["version"]
        if not _VERSION_RE.match(version):
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        if request.headers.get("x-shopify-access-token") != access_token:
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401)
        body = await request.body()
        base_url = str(request.base_url).rstrip("/")
        status, payload = await run_in_threadpool(
            handler.handle, body, request.headers.get("content-type", ""), version, base_url
        )
        return JSONResponse(payload, status_code=status, headers={"X-Shopify-API-Version": version})

    return endpoint
