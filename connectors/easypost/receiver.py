"""The webhook receiver (``orderloop webhooks``): verify, deduplicate, land, then answer.

- a bad or missing signature: 401, nothing stored;
- a body over the size limit: 413, nothing stored;
- a body still arriving after ``body_timeout`` (a sender trickling it, slowloris-style, to
  hold a worker): 408 and the connection closed, nothing stored;
- not JSON, or not an Event: 400, nothing stored;
- an event older than the staleness window: 422, nothing stored (a replay of an old
  capture cannot rewrite history);
- an event id already landed: 200 ``duplicate`` (EasyPost stops retrying), stored once;
- otherwise the event is written durably, then 200.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.easypost.landing import LandingError, land_event
from connectors.easypost.signature import SIGNATURE_HEADER, is_valid

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_AGE = timedelta(days=3)
# EasyPost's events are a few kilobytes: a sender that needs longer than this for one is
# stalling, not slow.
DEFAULT_BODY_TIMEOUT_SECONDS = 10.0
WEBHOOK_PATH = "/webhooks/easypost"


def create_receiver(
    landing: Path,
    secret: str,
    max_age: timedelta = DEFAULT_MAX_AGE,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    body_timeout: float = DEFAULT_BODY_TIMEOUT_SECONDS,
) -> Starlette:
    """An ASGI app that lands verified EasyPost events under ``landing``."""

    async def receive(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            return JSONResponse({"error": "body too large"}, status_code=413)
        try:
            async with asyncio.timeout(body_timeout):
                body = await _read_body(request)
        except TimeoutError:
            return JSONResponse({"error": f"body not received within {body_timeout:g} s"}, status_code=408,
                                headers={"Connection": "close"})
        if body is None:
            return JSONResponse({"error": "body too large"}, status_code=413)
        if not is_valid(body, request.headers.get(SIGNATURE_HEADER), secret):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            event = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        if not isinstance(event, dict) or event.get("object") != "Event":
            return JSONResponse({"error": "not an EasyPost Event"}, status_code=400)
        created = _parse_time(event.get("created_at"))
        if created is None:
            return JSONResponse({"error": "event has no valid created_at"}, status_code=400)
        if clock() - created > max_age:
            return JSONResponse({"error": f"stale event (older than {max_age})"}, status_code=422)
        try:
            stored = land_event(landing, event)
        except LandingError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse({"status": "stored" if stored else "duplicate", "id": event["id"]})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route(WEBHOOK_PATH, receive, methods=["POST"]), Route("/healthz", health)])


async def _read_body(request: Request) -> bytes | None:
    """The whole body, or None as soon as it passes ``MAX_BODY_BYTES``."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return body


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
