"""Every API request the sandbox answers, kept in the world file, so tests can check what a pipeline
asked for (e.g. that a second incremental run only requested records modified since the first).

The row is written when the response starts, before the client can see it, with one short
autocommit INSERT on a fresh connection (the world file may be regenerated under a running server).
Secrets in query strings (`consumer_secret`) are stored redacted. Injected faults show as their
status (429, the 5xx); a stalled request is logged with the status it got once the stall ended (even
if the client had given up by then); a connection dropped on purpose (`FaultConfig.reset_every`),
which has no status, is logged with status 0.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.faults import RESET_KEY
from sandbox.world import opened, world_path

SYSTEM_PREFIXES = (
    ("/admin/api/", "shopify"),
    ("/shopify-bulk-files/", "shopify_storage"),
    ("/api/v1", "click_and_drop"),
    ("/api/v2", "zendesk"),
    ("/wp-json", "woocommerce"),
    ("/v1/", "stripe"),
    ("/postmark/", "postmark"),
    ("/3pl/", "three_pl"),
)
SECRET_PARAMS = {"consumer_secret"}
RESET_STATUS = 0  # logged for a connection dropped without an HTTP response


def system_for_path(path: str) -> str | None:
    """Which outside system a path belongs to (None for /healthz and unknown paths)."""
    for prefix, system in SYSTEM_PREFIXES:
        if path.startswith(prefix):
            return system
    return None


def redact_query(raw: str) -> str:
    """The query string with secret values replaced."""
    pairs = parse_qsl(raw, keep_blank_values=True)
    if not any(key in SECRET_PARAMS for key, _ in pairs):
        return raw
    return urlencode([(k, "[redacted]" if k in SECRET_PARAMS else v) for k, v in pairs])


def record_request(data_dir: Path, system: str, method: str, path: str, query: str, status: int) -> None:
    """Append one request; silently skipped when there is no world (or an old one without the table)."""
    path_on_disk = world_path(data_dir)
    if not path_on_disk.is_file():
        return
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    try:
        conn = sqlite3.connect(path_on_disk, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(
                "INSERT INTO request_log(system, method, path, query, status, at, world_now)"
                " VALUES (?, ?, ?, ?, ?, ?, (SELECT value FROM meta WHERE key = 'now'))",
                (system, method, path, redact_query(query), status, at),
            )
        finally:
            conn.close()
    except sqlite3.Error:
        return


def requests_seen(data_dir: Path, system: str | None = None, after_id: int = 0) -> list[dict[str, Any]]:
    """Logged requests in arrival order: id, system, method, path, query, status, at (UTC), world_now."""
    sql = "SELECT * FROM request_log WHERE id > ?"
    params: list[Any] = [after_id]
    if system is not None:
        sql += " AND system = ?"
        params.append(system)
    with opened(Path(data_dir)) as conn:
        return [dict(row) for row in conn.execute(sql + " ORDER BY id", params)]


class RequestLogMiddleware:
    """ASGI middleware recording each API request with the status it was answered with."""

    def __init__(self, app: ASGIApp, data_dir: Path):
        self.app = app
        self.data_dir = Path(data_dir)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        system = system_for_path(scope.get("path", "")) if scope["type"] == "http" else None
        if system is None:
            await self.app(scope, receive, send)
            return
        recorded = False

        async def record(status: int) -> None:
            nonlocal recorded
            recorded = True
            await run_in_threadpool(
                record_request,
                self.data_dir,
                system,
                scope["method"],
                scope["path"],
                scope.get("query_string", b"").decode("latin-1"),
                status,
            )

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not recorded:
                await record(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, logging_send)
        except Exception:
            if not recorded:
                await record(500)
            raise
        if not recorded and scope.get(RESET_KEY):
            await record(RESET_STATUS)
