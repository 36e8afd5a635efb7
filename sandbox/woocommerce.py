"""WooCommerce REST API v3 (subset): list and fetch orders, their notes and refunds (products and
their stock are `woo_products`').

Copied from the public contract: consumer key/secret auth (HTTP Basic or query parameters),
`page`/`per_page` paging with `X-WP-Total`, `X-WP-TotalPages` and a `Link` header, WordPress's
`rest_invalid_param` errors, and date filters that read naive values in the shop's timezone unless
`dates_are_gmt` is set. Known differences: plain-HTTP Basic auth is accepted (real WooCommerce
insists on OAuth 1.0a without TLS); filter values with an explicit offset are compared as instants
(WordPress re-reads them in the column's timezone); `orderby` include/title/slug sort by id; other
parameters (search, product, dp, _fields...) are ignored; 429s and 5xx only come from injected faults,
and orders that break the documented shape only from `malformed_every` (see `malformed`).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.malformed import Malformer
from sandbox.timeutil import LONDON, parse_iso, to_iso
from sandbox.woo_resources import API_BASE, load_items, load_refunds, render_note, render_order, render_refund
from sandbox.world import WorldMissingError, opened

ORDER_STATUSES = [
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
]
STATUS_ENUM = ["any", "trash", *ORDER_STATUSES]
ORDERBY_ENUM = ["date", "id", "include", "title", "slug", "modified"]
ORDER_ENUM = ["asc", "desc"]
MAX_PER_PAGE = 100
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$")
_OFFSET_RE = re.compile(r"([Zz]|[+-]\d{2}(?::?\d{2})?)$")
_SORT_COLUMNS = {"date": "created_gmt", "modified": "modified_gmt"}


def wp_error(status: int, code: str, message: str, **data: Any) -> JSONResponse:
    """WP_Error as the REST server serialises it."""
    return JSONResponse(
        {"code": code, "message": message, "data": {"status": status, **data}}, status_code=status
    )


def _wp_list(values: list[str]) -> str:
    """wp_sprintf's %l: 'a, b, and c' / 'a and b'."""
    if len(values) <= 2:
        return " and ".join(values)
    return ", ".join(values[:-1]) + ", and " + values[-1]


class InvalidParams(ValueError):
    """One or more query parameters failed WordPress's schema validation."""

    def __init__(self, errors: dict[str, tuple[str, str]]):
        super().__init__(", ".join(errors))
        self.errors = errors

    def response(self) -> JSONResponse:
        """rest_invalid_param with per-parameter messages and details."""
        return wp_error(
            400,
            "rest_invalid_param",
            f"Invalid parameter(s): {', '.join(self.errors)}",
            params={name: message for name, (_, message) in self.errors.items()},
            details={
                name: {"code": code, "message": message, "data": None}
                for name, (code, message) in self.errors.items()
            },
        )


@dataclass
class _Params:
    raw: Any
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)

    def integer(
        self, name: str, default: int | None, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        text = self.raw.get(name)
        if text is None or text == "":
            return default
        if not re.fullmatch(r"[+-]?\d+", text.strip()):
            self.errors[name] = ("rest_invalid_type", f"{name} is not of type integer.")
            return default
        value = int(text)
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            self.errors[name] = (
                "rest_out_of_bounds",
                f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)",
            )
        elif minimum is not None and value < minimum:
            self.errors[name] = ("rest_out_of_bounds", f"{name} must be greater than or equal to {minimum}")
        return value

    def enum(self, name: str, default: str, allowed: list[str]) -> str:
        value = self.raw.get(name)
        if value is None:
            return default
        if value not in allowed:
            self.errors[name] = ("rest_not_in_enum", f"{name} is not one of {_wp_list(allowed)}.")
            return default
        return value

    def boolean(self, name: str) -> bool:
        value = self.raw.get(name)
        if value is None or value == "":
            return False
        lowered = value.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            self.errors[name] = ("rest_invalid_type", f"{name} is not of type boolean.")
            return False
        return lowered in ("true", "1")

    def date(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if not _DATE_RE.match(value.strip()):
            self.errors[name] = ("rest_invalid_date", "Invalid date.")
            return None
        return value.strip()

    def statuses(self) -> list[str]:
        values = [v for v in re.split(r"[,\s]+", self.raw.get("status", "any")) if v] or ["any"]
        for index, value in enumerate(values):
            if value not in STATUS_ENUM:
                self.errors["status"] = (
                    "rest_not_in_enum",
                    f"status[{index}] is not one of {_wp_list(STATUS_ENUM)}.",
                )
        return values

    def id_list(self, name: str) -> list[int]:
        return [int(v) for v in re.split(r"[,\s]+", self.raw.get(name, "")) if v.isdigit()]


@dataclass(frozen=True)
class OrderQuery:
    """A validated GET /orders request."""

    page: int = 1
    per_page: int = 10
    offset: int | None = None
    statuses: tuple[str, ...] = ("any",)
    orderby: str = "date"
    order: str = "desc"
    after: str | None = None
    before: str | None = None
    modified_after: str | None = None
    modified_before: str | None = None
    include: tuple[int, ...] = ()
    customer: int | None = None


def filter_instant(value: str, gmt: bool) -> str:
    """A filter date as a stored UTC timestamp; naive values are shop-local unless dates_are_gmt."""
    naive_tz = None if gmt or _OFFSET_RE.search(value) else LONDON
    return to_iso(parse_iso(value.replace(" ", "T").replace(",", "."), naive_tz=naive_tz))


def parse_order_query(raw: Any) -> OrderQuery:
    """Validate list parameters the way WordPress's schema does; raises InvalidParams."""
    params = _Params(raw)
    page = params.integer("page", 1, minimum=1)
    per_page = params.integer("per_page", 10, minimum=1, maximum=MAX_PER_PAGE)
    offset = params.integer("offset", None)
    statuses = params.statuses()
    orderby = params.enum("orderby", "date", ORDERBY_ENUM)
    order = params.enum("order", "desc", ORDER_ENUM)
    gmt = params.boolean("dates_are_gmt")
    dates = {name: params.date(name) for name in ("after", "before", "modified_after", "modified_before")}
    customer = params.integer("customer", None)
    if params.errors:
        raise InvalidParams(params.errors)
    return OrderQuery(
        page=page or 1,
        per_page=per_page or 10,
        offset=offset,
        statuses=tuple(statuses),
        orderby=orderby,
        order=order,
        include=tuple(params.id_list("include")),
        customer=customer,
        **{name: filter_instant(value, gmt) if value else None for name, value in dates.items()},
    )


def _where(query: OrderQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    values: list[Any] = []
    statuses = [s for s in query.statuses if s != "any"]
    if statuses and "any" not in query.statuses:
        clauses.append(f"status IN ({','.join('?' * len(statuses))})")
        values += statuses
    for column, op, value in (
        ("created_gmt", ">", query.after),
        ("created_gmt", "<", query.before),
        ("modified_gmt", ">", query.modified_after),
        ("modified_gmt", "<", query.modified_before),
    ):
        if value is not None:
            clauses.append(f"{column} {op} ?")
            values.append(value)
    if query.include:
        clauses.append(f"id IN ({','.join('?' * len(query.include))})")
        values += list(query.include)
    if query.customer is not None:
        clauses.append("customer_id = ?")
        values.append(query.customer)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", values


def list_orders(
    data_dir: Path, query: OrderQuery, site: str, malformed: Malformer | None = None
) -> tuple[list[dict[str, Any]], int]:
    """One page of orders and the total matching (the chosen ones broken if `malformed`)."""
    where, values = _where(query)
    direction = "ASC" if query.order == "asc" else "DESC"
    column = _SORT_COLUMNS.get(query.orderby)
    order_by = f"{column} {direction}, id {direction}" if column else f"id {direction}"
    offset = query.offset if query.offset is not None else (query.page - 1) * query.per_page
    with opened(data_dir) as conn:
        total = int(conn.execute(f"SELECT COUNT(*) FROM woo_orders{where}", values).fetchone()[0])
        rows = conn.execute(
            f"SELECT * FROM woo_orders{where} ORDER BY {order_by} LIMIT ? OFFSET ?",
            [*values, query.per_page, offset],
        ).fetchall()
        ids = [r["id"] for r in rows]
        items, refunds = load_items(conn, ids), load_refunds(conn, ids)
        body = [render_order(r, items[r["id"]], refunds[r["id"]], site) for r in rows]
        broken = _malform(conn, malformed, body)
    if malformed is not None:
        malformed.log(broken)
    return body, total


def get_order(
    data_dir: Path, order_id: int, site: str, malformed: Malformer | None = None
) -> dict[str, Any] | None:
    """One order, or None."""
    with opened(data_dir) as conn:
        row = conn.execute("SELECT * FROM woo_orders WHERE id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        body = render_order(
            row, load_items(conn, [order_id])[order_id], load_refunds(conn, [order_id])[order_id], site
        )
        broken = _malform(conn, malformed, [body])
    if malformed is not None:
        malformed.log(broken)
    return body


def _malform(
    conn: sqlite3.Connection, malformed: Malformer | None, orders: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    if malformed is None:
        return []
    return malformed.apply(conn, [(o["id"], str(o["id"]), o) for o in orders])


def _order_exists(conn: sqlite3.Connection, order_id: int) -> bool:
    return conn.execute("SELECT 1 FROM woo_orders WHERE id = ?", (order_id,)).fetchone() is not None


def list_notes(data_dir: Path, order_id: int, note_type: str, site: str) -> list[dict[str, Any]] | None:
    """An order's notes, newest first; None when the order does not exist."""
    kinds = {"any": (0, 1), "customer": (1,), "internal": (0,)}[note_type]
    with opened(data_dir) as conn:
        if not _order_exists(conn, order_id):
            return None
        rows = conn.execute(
            f"SELECT * FROM woo_notes WHERE order_id = ? AND customer_note IN ({','.join('?' * len(kinds))})"
            " ORDER BY created_gmt DESC, id DESC",
            (order_id, *kinds),
        ).fetchall()
    return [render_note(r, site) for r in rows]


def list_refunds(
    data_dir: Path, order_id: int, page: int, per_page: int, site: str, refund_id: int | None = None
) -> tuple[list[dict[str, Any]], int] | None:
    """An order's refunds, newest first, one page; None when the order does not exist."""
    with opened(data_dir) as conn:
        if not _order_exists(conn, order_id):
            return None
        every = load_refunds(conn, [order_id])[order_id]
        if refund_id is not None:
            every = [r for r in every if r["id"] == refund_id]
        chosen = every[(page - 1) * per_page : page * per_page]
        items = load_items(conn, [r["id"] for r in chosen])
    return [render_refund(r, items[r["id"]], site) for r in chosen], len(every)


def _credentials(request: Request) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return user, password
    return request.query_params.get("consumer_key"), request.query_params.get("consumer_secret")


def refusal(
    request: Request, consumer_key: str, consumer_secret: str, code: str, message: str
) -> Response | None:
    """None when the request carries the shop's key and secret; else WooCommerce's 401: a wrong
    secret fails authentication, an unknown key gets the endpoint's permission error."""
    key, secret = _credentials(request)
    if key == consumer_key:
        if secret == consumer_secret:
            return None
        return wp_error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
    return wp_error(401, code, message)


def _page_links(request: Request, page: int, pages: int) -> str | None:
    """WordPress's Link header: the request's own query with `page` moved to prev/next."""
    base = f"{str(request.base_url).rstrip('/')}{request.url.path}"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    links = []
    if page > 1:
        links.append(f'<{base}?{urlencode([*params, ("page", min(page - 1, pages))])}>; rel="prev"')
    if pages > page:
        links.append(f'<{base}?{urlencode([*params, ("page", page + 1)])}>; rel="next"')
    return ", ".join(links) or None


def paged_response(
    request: Request, body: list[dict[str, Any]], total: int, page: int, per_page: int
) -> JSONResponse:
    pages = math.ceil(total / per_page)
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    link = _page_links(request, page, pages)
    if link:
        headers["Link"] = link
    return JSONResponse(body, headers=headers)


Endpoint = Callable[[Request], Awaitable[Response]]


def woocommerce_routes(
    data_dir: Path,
    consumer_key: str,
    consumer_secret: str,
    wrap: Callable[[Endpoint], Endpoint],
    malformed: Malformer | None = None,
) -> list[Route]:
    """Routes under /wp-json; `wrap` puts the fault injector in front of every endpoint, `malformed`
    breaks the chosen orders."""

    def denied(request: Request, listing: bool) -> Response | None:
        message = "Sorry, you cannot list resources." if listing else "Sorry, you cannot view this resource."
        return refusal(request, consumer_key, consumer_secret, "woocommerce_rest_cannot_view", message)

    def site(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def world_missing() -> Response:
        return wp_error(500, "sandbox_world_missing", "Sandbox world has not been generated.")

    async def orders(request: Request) -> Response:
        refused = denied(request, listing=True)
        if refused is not None:
            return refused
        try:
            query = parse_order_query(request.query_params)
        except InvalidParams as exc:
            return exc.response()
        try:
            body, total = await run_in_threadpool(list_orders, data_dir, query, site(request), malformed)
        except WorldMissingError:
            return world_missing()
        return paged_response(request, body, total, query.page, query.per_page)

    async def order(request: Request) -> Response:
        refused = denied(request, listing=False)
        if refused is not None:
            return refused
        try:
            body = await run_in_threadpool(
                get_order, data_dir, request.path_params["order_id"], site(request), malformed
            )
        except WorldMissingError:
            return world_missing()
        if body is None:
            return wp_error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return JSONResponse(body)

    async def notes(request: Request) -> Response:
        refused = denied(request, listing=True)
        if refused is not None:
            return refused
        params = _Params(request.query_params)
        note_type = params.enum("type", "any", ["any", "customer", "internal"])
        if params.errors:
            return InvalidParams(params.errors).response()
        try:
            body = await run_in_threadpool(
                list_notes, data_dir, request.path_params["order_id"], note_type, site(request)
            )
        except WorldMissingError:
            return world_missing()
        if body is None:
            return wp_error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        return JSONResponse(body)

    async def refunds(request: Request) -> Response:
        refund_id = request.path_params.get("refund_id")
        refused = denied(request, listing=refund_id is None)
        if refused is not None:
            return refused
        params = _Params(request.query_params)
        page = params.integer("page", 1, minimum=1) or 1
        per_page = params.integer("per_page", 10, minimum=1, maximum=MAX_PER_PAGE) or 10
        if params.errors:
            return InvalidParams(params.errors).response()
        try:
            found = await run_in_threadpool(
                list_refunds,
                data_dir,
                request.path_params["order_id"],
                page,
                per_page,
                site(request),
                refund_id,
            )
        except WorldMissingError:
            return world_missing()
        if found is None:
            return wp_error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        body, total = found
        if refund_id is not None:
            if not body:
                return wp_error(404, "woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.")
            return JSONResponse(body[0])
        return paged_response(request, body, total, page, per_page)

    async def no_route(request: Request) -> Response:
        return wp_error(404, "rest_no_route", "No route was found matching the URL and request method.")

    from sandbox.woo_products import product_routes  # it builds on this module's helpers

    order_path = f"{API_BASE}/orders/{{order_id:int}}"
    return [
        *product_routes(data_dir, consumer_key, consumer_secret, wrap),
        Route(f"{API_BASE}/orders", wrap(orders), methods=["GET"]),
        Route(order_path, wrap(order), methods=["GET"]),
        Route(f"{order_path}/notes", wrap(notes), methods=["GET"]),
        Route(f"{order_path}/refunds", wrap(refunds), methods=["GET"]),
        Route(f"{order_path}/refunds/{{refund_id:int}}", wrap(refunds), methods=["GET"]),
        Route("/wp-json/{rest:path}", wrap(no_route), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
