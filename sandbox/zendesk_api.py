"""Zendesk Support API (subset): the cursor-based Incremental Ticket Export.

Copied from the public contract: `GET /api/v2/incremental/tickets/cursor.json` with `start_time`
(unix seconds, first request; at least a minute in the past) or `cursor` (later requests, taking
precedence), `per_page` up to 1000; the answer is `{"tickets", "after_url", "after_cursor",
"before_url", "before_cursor", "end_of_stream"}`, tickets in `updated_at` order (then id), a ticket
listed again each time it changes, nothing changed within the last minute. `after_cursor` is always
given, also on the last page (`end_of_stream: true`), so the next run continues from there and sees
only tickets updated since. Auth is HTTP Basic `{email}/token:{api_token}`, else 401
`{"error": "Couldn't authenticate you"}`. Known differences: the cursor is the sandbox's own encoding
(base64 of `<unix>.0||<id>|`, which is what Zendesk's look like); `before_cursor` names the position
the page started from and reads forward, not backwards; `include`/`exclude_deleted` are accepted and
ignored (no sideloads, no deleted tickets); 400 bodies are `{"error": "InvalidValue", "description"}`
in the sandbox's words; 429s and 5xx only come from injected faults, tickets that break the documented
shape only from `malformed_every` (see `malformed`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.malformed import Malformer
from sandbox.stripe_events import unix
from sandbox.timeutil import parse_iso
from sandbox.world import WorldMissingError, opened, world_now
from sandbox.zendesk_tickets import render_ticket, state_at

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
MAX_PER_PAGE = 1000
QUIET_SECONDS = 60  # Zendesk leaves out what changed within the last minute
Endpoint = Callable[[Request], Awaitable[Response]]
_CURSOR = re.compile(r"^(\d+)\.0\|\|(\d+)\|$")


class ZendeskError(Exception):
    """An error Zendesk would answer with."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(str(body))
        self.status = status
        self.body = body


def zendesk_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """JSON with the header every Zendesk API response carries."""
    return JSONResponse(body, status_code=status, headers={"X-Zendesk-API-Version": "v2", **(headers or {})})


def _invalid(description: str) -> ZendeskError:
    return ZendeskError(400, {"error": "InvalidValue", "description": description})


def encode_cursor(position: tuple[int, int]) -> str:
    """The cursor for 'after this (updated unix, ticket id)'."""
    return base64.b64encode(f"{position[0]}.0||{position[1]}|".encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The position a cursor names; raises ZendeskError when it is not one of ours."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _invalid("The cursor is invalid.") from exc
    match = _CURSOR.match(text)
    if match is None:
        raise _invalid("The cursor is invalid.")
    return int(match.group(1)), int(match.group(2))


def export_tickets(
    data_dir: Path,
    start_time: str | None,
    cursor: str | None,
    per_page: str | None,
    base_url: str,
    malformed: Malformer | None = None,
) -> dict[str, Any]:
    """One page of the export (the chosen tickets broken if `malformed`); raises ZendeskError for bad
    parameters."""
    size = MAX_PER_PAGE
    if per_page not in (None, ""):
        if not re.fullmatch(r"\d+", per_page.strip()) or int(per_page) < 1:
            raise _invalid("per_page must be a positive integer.")
        size = min(int(per_page), MAX_PER_PAGE)
    with opened(data_dir) as conn:
        cutoff = world_now(conn) - timedelta(seconds=QUIET_SECONDS)
        if cursor:
            position = decode_cursor(cursor)
        elif start_time not in (None, ""):
            if not re.fullmatch(r"-?\d+", start_time.strip()):
                raise _invalid("start_time must be a unix timestamp in seconds.")
            if int(start_time) > unix(cutoff):
                raise _invalid("Too recent start_time. Use a start_time older than one minute.")
            position = (max(int(start_time), 1) - 1, 2**62)  # everything updated at or after start_time
        else:
            raise _invalid("Either start_time or cursor is required.")
        rows = conn.execute("SELECT * FROM zendesk_tickets ORDER BY id").fetchall()
        listed = []
        for row in rows:
            state = state_at(row, cutoff)
            if state is None:
                continue
            key = (unix(parse_iso(state[1])), row["id"])
            if key > position:
                listed.append((key, row))
        listed.sort(key=lambda item: item[0])
        page = listed[:size]
        tickets = [render_ticket(row, cutoff, base_url) for _, row in page]
        broken = (
            malformed.apply(
                conn, [(row["id"], str(row["id"]), t) for (_, row), t in zip(page, tickets, strict=True)]
            )
            if malformed is not None
            else []
        )
    if malformed is not None:
        malformed.log(broken)
    after = page[-1][0] if page else position
    after_cursor = encode_cursor(after)
    extra = {"per_page": str(size)} if per_page not in (None, "") else {}
    before_cursor = encode_cursor(position) if cursor else None
    return {
        "tickets": tickets,
        "after_url": f"{base_url}{EXPORT_PATH}?{urlencode({'cursor': after_cursor, **extra})}",
        "after_cursor": after_cursor,
        "before_url": (
            f"{base_url}{EXPORT_PATH}?{urlencode({'cursor': before_cursor, **extra})}"
            if before_cursor
            else None
        ),
        "before_cursor": before_cursor,
        "end_of_stream": len(listed) <= size,
    }


def _presented(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "").strip()
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def zendesk_routes(
    data_dir: Path,
    email: str,
    api_token: str,
    wrap: Callable[[Endpoint], Endpoint],
    malformed: Malformer | None = None,
) -> list[Route]:
    """Routes under /api/v2; `wrap` puts the fault injector in front of every endpoint, `malformed`
    breaks the chosen tickets."""

    def denied(request: Request) -> Response | None:
        if _presented(request) == (f"{email}/token", api_token):
            return None
        return zendesk_response({"error": "Couldn't authenticate you"}, 401)

    async def export(request: Request) -> Response:
        refused = denied(request)
        if refused is not None:
            return refused
        params = request.query_params
        try:
            body = await run_in_threadpool(
                export_tickets,
                data_dir,
                params.get("start_time"),
                params.get("cursor"),
                params.get("per_page"),
                str(request.base_url).rstrip("/"),
                malformed,
            )
        except ZendeskError as exc:
            return zendesk_response(exc.body, exc.status)
        except WorldMissingError:
            return zendesk_response({"error": "InternalError", "description": "No sandbox world."}, 500)
        return zendesk_response(body)

    async def unknown(request: Request) -> Response:
        refused = denied(request)
        if refused is not None:
            return refused
        return zendesk_response({"error": "InvalidEndpoint", "description": "Not found"}, 404)

    return [
        Route(EXPORT_PATH, wrap(export), methods=["GET"]),
        Route(EXPORT_PATH.removesuffix(".json"), wrap(export), methods=["GET"]),
        Route("/api/v2/{rest:path}", wrap(unknown), methods=["GET", "POST", "PUT", "DELETE"]),
    ]
