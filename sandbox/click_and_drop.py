"""Royal Mail Click & Drop API v1 (subset): create orders idempotently, list and fetch them.

Base path /api/v1. `orderReference` is the idempotency key: re-posting an accepted reference returns
the original booking (same orderIdentifier and trackingNumber) instead of booking a second parcel.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.booking_validation import validate_create_order
from sandbox.bookings import booking_resource, create_booking, find_booking_by_reference
from sandbox.timeutil import parse_iso, to_iso
from sandbox.world import WorldMissingError, opened, world_now

API_RELEASE = {
    "commit": "sandbox",
    "build": "sandbox",
    "release": "1.0.0",
    "releaseDate": "2024-01-01T00:00:00Z",
}
MAX_IDENTIFIERS = 100


def error_response(status: int, code: str, message: str, details: str | None = None) -> JSONResponse:
    """ErrorResponse body {code, message[, details]}."""
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


class RateLimiter:
    """Calls per rolling second; the published limit is 5/s with HTTP 429 beyond it."""

    def __init__(self, per_second: float | None):
        self.per_second = per_second
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Record a call; False when it exceeds the limit."""
        if not self.per_second:
            return True
        with self._lock:
            now = time.monotonic()
            while self._calls and now - self._calls[0] >= 1.0:
                self._calls.popleft()
            if len(self._calls) >= self.per_second:
                return False
            self._calls.append(now)
            return True


def create_orders(data_dir: Path, items: list[Any]) -> dict[str, Any]:
    """Validate and book each item in one write transaction; returns CreateOrdersResponse."""
    created: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    with opened(data_dir, write=True) as conn:
        now = to_iso(world_now(conn))
        for item in items:
            errors = validate_create_order(item)
            reference = item.get("orderReference") if isinstance(item, dict) else None
            reference = reference if isinstance(reference, str) else None
            if errors:
                failed.append({"order": item, "errors": errors})
                conn.execute(
                    "INSERT INTO rejected_bookings(order_reference, reason, at, request_json)"
                    " VALUES (?, ?, ?, ?)",
                    (
                        reference,
                        "; ".join(e["errorMessage"] for e in errors),
                        now,
                        json.dumps(item, sort_keys=True),
                    ),
                )
                continue
            existing = find_booking_by_reference(conn, reference) if reference else None
            if existing is not None:
                conn.execute(
                    "INSERT INTO idempotent_replays(order_reference, order_identifier, at) VALUES (?, ?, ?)",
                    (reference, existing["order_identifier"], now),
                )
                created.append(booking_resource(existing))
                continue
            booking = create_booking(
                conn,
                reference=reference,
                order_date=to_iso(parse_iso(item["orderDate"])),
                created_on=now,
                source="api",
                request=item,
            )
            created.append(booking_resource(booking))
    return {
        "successCount": len(created),
        "errorsCount": len(failed),
        "createdOrders": created,
        "failedOrders": failed,
    }


def _encode_token(last_identifier: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_identifier}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValueError("Invalid continuationToken") from exc
    if not isinstance(value, int):
        raise ValueError("Invalid continuationToken")
    return value


def list_orders(
    data_dir: Path, page_size: int, start: str | None, end: str | None, after: int | None
) -> dict[str, Any]:
    """GetOrdersResponse: bookings by orderIdentifier, filtered on createdOn."""
    clauses, params = ["order_identifier > ?"], [after or 0]
    if start:
        clauses.append("created_on >= ?")
        params.append(start)
    if end:
        clauses.append("created_on <= ?")
        params.append(end)
    with opened(data_dir) as conn:
        rows = conn.execute(
            f"SELECT * FROM bookings WHERE {' AND '.join(clauses)} ORDER BY order_identifier LIMIT ?",
            [*params, page_size + 1],
        ).fetchall()
    body: dict[str, Any] = {"orders": [booking_resource(r) for r in rows[:page_size]]}
    if len(rows) > page_size:
        body["continuationToken"] = _encode_token(rows[page_size - 1]["order_identifier"])
    return body


def parse_identifiers(raw: str) -> list[int | str]:
    """`1001;"ref%3Bwith%3Bsemicolons";2345` -> [1001, 'ref;with;semicolons', 2345]."""
    result: list[int | str] = []
    for token in raw.split(";"):
        token = token.strip()
        if not token:
            continue
        if token.startswith("%22"):
            token = '"' + token[3:]
        if token.endswith("%22"):
            token = token[:-3] + '"'
        if len(token) >= 2 and token.startswith('"') and token.endswith('"'):
            result.append(unquote(token[1:-1]))
        elif token.isdigit():
            result.append(int(token))
        else:
            raise ValueError(f"Invalid order identifier: {unquote(token)}")
    if not result or len(result) > MAX_IDENTIFIERS:
        raise ValueError(f"Between 1 and {MAX_IDENTIFIERS} order identifiers are required")
    return result


def get_specific(data_dir: Path, identifiers: list[int | str]) -> list[dict[str, Any]]:
    """GetOrderInfoResource for each identifier or reference that exists, in request order."""
    found: list[dict[str, Any]] = []
    with opened(data_dir) as conn:
        for ident in identifiers:
            if isinstance(ident, int):
                rows = conn.execute("SELECT * FROM bookings WHERE order_identifier = ?", (ident,)).fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM bookings WHERE order_reference = ? ORDER BY order_identifier", (ident,)
                ).fetchall()
            found.extend(booking_resource(r) for r in rows)
    return found


def _authorised(request: Request, api_key: str) -> bool:
    header = request.headers.get("authorization", "").strip()
    if header.lower().startswith("bearer "):
        header = header[7:].strip()
    return bool(header) and header == api_key


def click_and_drop_routes(
    data_dir: Path, api_key: str, rate_limit_per_second: float | None = None
) -> dict[str, Callable[[Request], Any]]:
    """Endpoints keyed by name; server.py mounts them under /api/v1."""
    limiter = RateLimiter(rate_limit_per_second)

    def guard(request: Request) -> Response | None:
        if not _authorised(request, api_key):
            return error_response(401, "Unauthorized", "Authorization has been denied for this request.")
        if not limiter.allow():
            return error_response(429, "TooManyRequests", "Rate limit of 5 calls per second exceeded.")
        return None

    async def version(request: Request) -> Response:
        return JSONResponse(API_RELEASE)

    async def orders(request: Request) -> Response:
        denied = guard(request)
        if denied is not None:
            return denied
        try:
            if request.method == "POST":
                return await _post_orders(request)
            return await _get_orders(request)
        except WorldMissingError:
            return error_response(500, "WorldMissing", "Sandbox world has not been generated")

    async def _post_orders(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return error_response(400, "BadRequest", "The request body is not valid JSON.")
        if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
            return error_response(
                400, "BadRequest", "The items field is required.", "CreateOrdersRequest.items"
            )
        if not payload["items"]:
            return error_response(400, "BadRequest", "The items field must contain at least one order.")
        return JSONResponse(await run_in_threadpool(create_orders, data_dir, payload["items"]))

    async def _get_orders(request: Request) -> Response:
        params = request.query_params
        try:
            page_size = int(params.get("pageSize", "25"))
            if not 1 <= page_size <= 100:
                raise ValueError("pageSize must be between 1 and 100")
            start = to_iso(parse_iso(params["startDateTime"])) if params.get("startDateTime") else None
            end = to_iso(parse_iso(params["endDateTime"])) if params.get("endDateTime") else None
            token = params.get("continuationToken")
            after = _decode_token(token) if token else None
        except ValueError as exc:
            return error_response(400, "BadRequest", str(exc))
        return JSONResponse(await run_in_threadpool(list_orders, data_dir, page_size, start, end, after))

    async def specific(request: Request) -> Response:
        denied = guard(request)
        if denied is not None:
            return denied
        raw_path = request.scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else request.url.path
        raw = path.split("?", 1)[0].split("/api/v1/orders/", 1)[-1].strip("/")
        try:
            identifiers = parse_identifiers(raw)
        except ValueError as exc:
            return JSONResponse([{"code": "BadRequest", "message": str(exc)}], status_code=400)
        try:
            found = await run_in_threadpool(get_specific, data_dir, identifiers)
        except WorldMissingError:
            return error_response(500, "WorldMissing", "Sandbox world has not been generated")
        if not found:
            return error_response(404, "NotFound", "No orders found for the given identifiers.")
        return JSONResponse(found)

    return {"version": version, "orders": orders, "specific": specific}
