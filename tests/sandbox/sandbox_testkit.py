"""Helpers for the sandbox tests: clients for both APIs, booking payloads, world builders and dumps."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
import unicodedata
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from sandbox.generator import generate_world
from sandbox.server import SandboxServer

NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)  # a Wednesday, GMT
TOKEN = "shpat_sandbox_token"
KEY = "cnd_sandbox_key"


class Client:
    """Thin HTTP client for both sandbox APIs."""

    def __init__(self, server: SandboxServer):
        self.server = server
        self.session = requests.Session()

    def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str = TOKEN
    ) -> requests.Response:
        return self.session.post(
            f"{self.server.url}/admin/api/2025-01/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": token},
            timeout=10,
        )

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.gql(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def book(self, items: list[dict[str, Any]], key: str | None = KEY) -> requests.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.session.post(
            f"{self.server.url}/api/v1/orders", json={"items": items}, headers=headers, timeout=10
        )

    def cnd_get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        return self.session.get(
            f"{self.server.url}/api/v1{path}",
            params=params,
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
        )


def booking_item(reference: str | None, postcode: str = "SW1A 1AA", **overrides: Any) -> dict[str, Any]:
    """A valid CreateOrderRequest for `reference`."""
    item: dict[str, Any] = {
        "orderReference": reference,
        "recipient": {
            "address": {
                "fullName": "Ada Lovelace",
                "addressLine1": "1 High Street",
                "city": "London",
                "postcode": postcode,
                "countryCode": "GB",
            },
            "emailAddress": "ada@example.com",
        },
        "orderDate": "2026-11-04T09:30:00Z",
        "subtotal": 20.0,
        "shippingCostCharged": 3.95,
        "total": 23.95,
        "packages": [{"weightInGrams": 600, "packageFormatIdentifier": "smallParcel"}],
    }
    item.update(overrides)
    return item


def make_world(path: Path, seed: int = 7, days: int = 5) -> Path:
    generate_world(path, days=days, seed=seed, now=NOW)
    return path


TABLES = [
    "meta",
    "products",
    "customers",
    "orders",
    "line_items",
    "transactions",
    "fulfillments",
    "bookings",
    "scheduled_transactions",
]


def dump(world: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(world / "world.sqlite")
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
    finally:
        conn.close()


def rows(world: Path, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(world / "world.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


WOO_AUTH = ("ck_sandbox", "cs_sandbox")
STRIPE_KEY = "sk_test_sandbox"
CHANNEL_TABLES = [
    "woo_customers",
    "woo_orders",
    "woo_items",
    "woo_refunds",
    "woo_notes",
    "woo_scheduled",
    "stripe_events",
]


def woo_get(
    server: SandboxServer, path: str, params: Any = None, auth: tuple[str, str] | None = WOO_AUTH
) -> requests.Response:
    return requests.get(f"{server.url}/wp-json/wc/v3{path}", params=params, auth=auth, timeout=10)


def stripe_get(
    server: SandboxServer, path: str, params: Any = None, key: str | None = STRIPE_KEY
) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.get(f"{server.url}/v1{path}", params=params, headers=headers, timeout=10)


def all_woo_orders(server: SandboxServer, **params: Any) -> list[dict[str, Any]]:
    """Every order matching `params`, by walking `page` up to X-WP-TotalPages."""
    orders, page = [], 1
    while True:
        response = woo_get(server, "/orders", {"per_page": 100, **params, "page": page})
        assert response.status_code == 200, response.text
        orders += response.json()
        if page >= int(response.headers["X-WP-TotalPages"]):
            return orders
        page += 1


def all_stripe_events(server: SandboxServer, **params: Any) -> list[dict[str, Any]]:
    """Every event matching `params`, newest first, by walking `starting_after`."""
    events: list[dict[str, Any]] = []
    while True:
        cursor = {"starting_after": events[-1]["id"]} if events else {}
        body = stripe_get(server, "/events", {"limit": 100, **params, **cursor}).json()
        events += body["data"]
        if not body["has_more"]:
            return events


def dump_channel(world: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(world / "world.sqlite")
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in CHANNEL_TABLES}
    finally:
        conn.close()


class WebhookReceiver:
    """A merchant's webhook endpoint: verifies the signature, records each body, answers `status`."""

    def __init__(self, secret: str):
        self.secret = secret
        self.status = 200
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key = unicodedata.normalize("NFKD", receiver.secret).encode("utf-8")
                expected = "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(expected, self.headers.get("X-Hmac-Signature", ""))
                if valid:
                    receiver.received.append(json.loads(body))
                else:
                    receiver.bad_signatures += 1
                self.send_response(receiver.status if valid else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/easypost"

    def ids(self) -> list[str]:
        return [event["id"] for event in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
