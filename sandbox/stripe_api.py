"""Stripe API (subset): list and retrieve Events, the record of the WooCommerce channel's payments
(refunds through the API are `stripe_refunds`').

Copied from the public contract: secret-key auth (Bearer, or Basic with the key as user name),
events newest first, cursor paging with `starting_after`/`ending_before` and `has_more`, `created`
range filters in unix seconds, `type` (with `*` wildcards) or `types[]`, events older than 30 days
no longer listed, and Stripe's `{"error": {...}}` bodies. Known differences: no `expand`, no
`delivery_success`, and an unknown cursor id is a 400 `resource_missing`; events that break the
documented shape only come from `malformed_every` (see `malformed`).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.malformed import Malformer
from sandbox.stable_ids import opaque
from sandbox.stripe_events import API_VERSION, unix
from sandbox.world import WorldMissingError, opened, world_now

RETENTION_SECONDS = 30 * 86400
MAX_TYPES = 20
DOCS = "https://stripe.com/docs"
Endpoint = Callable[[Request], Awaitable[Response]]
_request_numbers = itertools.count(1)


class StripeError(Exception):
    """An error Stripe would answer with."""

    def __init__(
        self, status: int, message: str, error_type: str = "invalid_request_error", **fields: str | None
    ):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": error_type, **fields}}


def stripe_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """JSON with the headers every Stripe response carries."""
    request_id = f"req_{opaque(0, 'http', next(_request_numbers), length=14)}"
    return JSONResponse(
        body,
        status_code=status,
        headers={"Request-Id": request_id, "Stripe-Version": API_VERSION, **(headers or {})},
    )


def mask_key(key: str) -> str:
    """How Stripe echoes a wrong key: never in full."""
    if len(key) < 12:
        return "*" * len(key)
    prefix = key[:8] if key.startswith(("sk_", "rk_", "pk_")) else ""
    return prefix + "*" * (len(key) - len(prefix) - 4) + key[-4:]


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "").strip()
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    if header.lower().startswith("basic "):
        try:
            return base64.b64decode(header[6:].strip()).decode().partition(":")[0] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def _integer(
    params: QueryParams, name: str, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    if not re.fullmatch(r"-?\d+", text.strip()):
        raise StripeError(400, f"Invalid integer: {text}", code="parameter_invalid_integer", param=name)
    value = int(text)
    if minimum is not None and value < minimum:
        raise StripeError(
            400,
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=name,
        )
    if maximum is not None and value > maximum:
        raise StripeError(
            400,
            f"This value must be less than or equal to {maximum}.",
            code="parameter_invalid_integer",
            param=name,
        )
    return value


@dataclass(frozen=True)
class EventQuery:
    """A validated GET /v1/events request."""

    limit: int = 10
    starting_after: str | None = None
    ending_before: str | None = None
    created: tuple[tuple[str, int], ...] = ()
    types: tuple[str, ...] = ()


def parse_event_query(params: QueryParams) -> EventQuery:
    """Validate list parameters; raises StripeError."""
    limit = _integer(params, "limit", 1, 100)
    created: list[tuple[str, int]] = []
    exact = _integer(params, "created")
    if exact is not None:
        created.append(("=", exact))
    for suffix, op in (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<=")):
        value = _integer(params, f"created[{suffix}]")
        if value is not None:
            created.append((op, value))
    single = params.get("type")
    many = [v for k, v in params.multi_items() if k == "types[]" or re.fullmatch(r"types\[\d+\]", k)]
    if single and many:
        raise StripeError(400, "You may only specify one of these parameters: type, types.", param="types")
    if len(many) > MAX_TYPES:
        raise StripeError(400, f"You may pass at most {MAX_TYPES} types.", param="types")
    after, before = params.get("starting_after") or None, params.get("ending_before") or None
    if after and before:
        raise StripeError(
            400,
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    return EventQuery(
        limit=limit or 10,
        starting_after=after,
        ending_before=before,
        created=tuple(created),
        types=tuple(many or ([single] if single else [])),
    )


def _events(
    conn: sqlite3.Connection, rows: list[sqlite3.Row], malformed: Malformer | None
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Event bodies of `rows` (seq, body_json), the chosen ones broken if `malformed`."""
    bodies = [json.loads(r["body_json"]) for r in rows]
    if malformed is None:
        return bodies, []
    broken = malformed.apply(conn, [(r["seq"], b["id"], b) for r, b in zip(rows, bodies, strict=True)])
    return bodies, broken


def list_events(data_dir: Path, query: EventQuery, malformed: Malformer | None = None) -> dict[str, Any]:
    """One page of the list object, newest first."""
    with opened(data_dir) as conn:
        clauses = ["created >= ?"]
        values: list[Any] = [unix(world_now(conn)) - RETENTION_SECONDS]
        for op, value in query.created:
            clauses.append(f"created {op} ?")
            values.append(value)
        if query.types:
            clauses.append("(" + " OR ".join("type LIKE ? ESCAPE '\\'" for _ in query.types) + ")")
            values += [
                t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
                for t in query.types
            ]
        cursor_id = query.starting_after or query.ending_before
        newer = query.ending_before is not None
        if cursor_id:
            row = conn.execute("SELECT created, seq FROM stripe_events WHERE id = ?", (cursor_id,)).fetchone()
            if row is None:
                raise StripeError(
                    400,
                    f"No such event: '{cursor_id}'",
                    code="resource_missing",
                    param="ending_before" if newer else "starting_after",
                    doc_url=f"{DOCS}/error-codes/resource-missing",
                )
            op = ">" if newer else "<"
            clauses.append(f"(created {op} ? OR (created = ? AND seq {op} ?))")
            values += [row["created"], row["created"], row["seq"]]
        direction = "ASC" if newer else "DESC"
        rows = conn.execute(
            f"SELECT seq, body_json FROM stripe_events WHERE {' AND '.join(clauses)}"
            f" ORDER BY created {direction}, seq {direction} LIMIT ?",
            [*values, query.limit + 1],
        ).fetchall()
        page = rows[: query.limit]
        if newer:
            page.reverse()
        data, broken = _events(conn, page, malformed)
    if malformed is not None:
        malformed.log(broken)
    return {
        "object": "list",
        "data": data,
        "has_more": len(rows) > query.limit,
        "url": "/v1/events",
    }


def get_event(data_dir: Path, event_id: str, malformed: Malformer | None = None) -> dict[str, Any] | None:
    """One event still within the retention window, or None."""
    with opened(data_dir) as conn:
        row = conn.execute(
            "SELECT seq, body_json FROM stripe_events WHERE id = ? AND created >= ?",
            (event_id, unix(world_now(conn)) - RETENTION_SECONDS),
        ).fetchone()
        if row is None:
            return None
        data, broken = _events(conn, [row], malformed)
    if malformed is not None:
        malformed.log(broken)
    return data[0]


def stripe_denied(request: Request, api_key: str) -> Response | None:
    """None for the account's secret key; else Stripe's 401 (without the key in full)."""
    presented = _presented_key(request)
    if presented is None:
        message = (
            "You did not provide an API key. You need to provide your API key in the Authorization"
            " header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See"
            f" {DOCS}/api#authentication for details, or we can help at https://support.stripe.com/."
        )
    elif presented != api_key:
        message = f"Invalid API Key provided: {mask_key(presented)}"
    else:
        return None
    return stripe_response({"error": {"message": message, "type": "invalid_request_error"}}, 401)


def world_missing() -> Response:
    """What the sandbox answers before `generate` has run."""
    body = {"error": {"message": "Sandbox world has not been generated.", "type": "api_error"}}
    return stripe_response(body, 500)


def stripe_routes(
    data_dir: Path, api_key: str, wrap: Callable[[Endpoint], Endpoint], malformed: Malformer | None = None
) -> list[Route]:
    """Routes under /v1; `wrap` puts the fault injector in front of every endpoint, `malformed` breaks
    the chosen events."""

    def denied(request: Request) -> Response | None:
        return stripe_denied(request, api_key)

    async def events(request: Request) -> Response:
        refused = denied(request)
        if refused is not None:
            return refused
        try:
            query = parse_event_query(request.query_params)
            return stripe_response(await run_in_threadpool(list_events, data_dir, query, malformed))
        except StripeError as exc:
            return stripe_response(exc.body, exc.status)
        except WorldMissingError:
            return world_missing()

    async def event(request: Request) -> Response:
        refused = denied(request)
        if refused is not None:
            return refused
        event_id = request.path_params["event_id"]
        try:
            found = await run_in_threadpool(get_event, data_dir, event_id, malformed)
        except WorldMissingError:
            return world_missing()
        if found is None:
            body = StripeError(
                404,
                f"No such event: '{event_id}'",
                code="resource_missing",
                param="id",
                doc_url=f"{DOCS}/error-codes/resource-missing",
            ).body
            return stripe_response(body, 404)
        return stripe_response(found)

    async def unknown(request: Request) -> Response:
        message = (
            f"Unrecognized request URL ({request.method}: {request.url.path}). Please see {DOCS} or we can"
            " help at https://support.stripe.com/."
        )
        return stripe_response({"error": {"message": message, "type": "invalid_request_error"}}, 404)

    from sandbox.stripe_refunds import refund_routes  # it builds on this module's helpers

    return [
        *refund_routes(data_dir, api_key, wrap),
        Route("/v1/events", wrap(events), methods=["GET"]),
        Route("/v1/events/{event_id}", wrap(event), methods=["GET"]),
        Route("/v1/{rest:path}", wrap(unknown), methods=["GET", "POST", "DELETE"]),
    ]
