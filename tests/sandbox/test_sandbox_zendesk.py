"""Zendesk Support's cursor-based Incremental Ticket Export, over real HTTP."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sandbox_testkit import NOW, make_world, rows

from sandbox.clock import advance
from sandbox.faults import FaultConfig
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from sandbox.stripe_events import unix

EXPORT = "/api/v2/incremental/tickets/cursor.json"
AUTH = ("support@sandbox.example/token", "zd_sandbox_token")
ORDER_FIELD, REASON_FIELD = 360000000001, 360000000002
REASONS = {"where_is_my_order": "wismo", "damaged": "damaged", "return": "return", "other": "other"}
STATUS_RANK = {"new": 0, "open": 1, "pending": 1, "solved": 2, "closed": 3}


@pytest.fixture(scope="module")
def helpdesk_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten days of history: enough for customers to have written in about every kind of thing."""
    return make_world(tmp_path_factory.mktemp("helpdesk") / "w", days=10)


def export(server: SandboxServer, auth: Any = AUTH, **params: Any) -> requests.Response:
    return requests.get(f"{server.url}{EXPORT}", params=params, auth=auth, timeout=10)


def walk(server: SandboxServer, per_page: int, **first: Any) -> tuple[list[dict[str, Any]], list[dict]]:
    """Every page from `first` until end_of_stream, following after_cursor: (tickets, pages)."""
    pages = [export(server, per_page=per_page, **first).json()]
    while not pages[-1]["end_of_stream"]:
        pages.append(export(server, per_page=per_page, cursor=pages[-1]["after_cursor"]).json())
    return [t for page in pages for t in page["tickets"]], pages


def field(ticket: dict[str, Any], field_id: int) -> Any:
    (value,) = [f["value"] for f in ticket["custom_fields"] if f["id"] == field_id]
    return value


def test_authentication(helpdesk_world: Path) -> None:
    with SandboxServer(helpdesk_world) as server:
        for auth in (
            None,
            ("support@sandbox.example/token", "wrong"),
            ("support@sandbox.example", "zd_sandbox_token"),
        ):
            refused = export(server, auth=auth, start_time=0)
            assert refused.status_code == 401 and refused.json() == {"error": "Couldn't authenticate you"}
        assert export(server, start_time=0).status_code == 200
    with SandboxServer(helpdesk_world, zendesk_email="ops@shop.example", zendesk_token="t0k") as server:
        assert export(server, auth=("ops@shop.example/token", "t0k"), start_time=0).status_code == 200
        assert export(server, start_time=0).status_code == 401


def test_cursor_walk_returns_every_ticket_then_only_what_changed(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w", days=10)
    with SandboxServer(world) as server:
        tickets, pages = walk(server, 3, start_time=0)
        assert len(pages) > 2 and [p["end_of_stream"] for p in pages] == [False] * (len(pages) - 1) + [True]
        assert pages[0]["before_cursor"] is None and all(p["after_cursor"] for p in pages)
        assert all(len(p["tickets"]) == 3 for p in pages[:-1])
        after = urlparse(pages[0]["after_url"])
        assert after.path == EXPORT and parse_qs(after.query)["cursor"] == [pages[0]["after_cursor"]]
        ids = [t["id"] for t in tickets]
        assert sorted(ids) == [r["id"] for r in rows(world, "SELECT id FROM zendesk_tickets ORDER BY id")]
        positions = [(t["generated_timestamp"], t["id"]) for t in tickets]
        assert positions == sorted(positions) and len(set(ids)) == len(ids)
        assert all(t["updated_at"] <= "2026-11-04T11:59:00Z" for t in tickets)
        first = {t["id"]: t for t in tickets}
        assert walk(server, 1000, start_time=unix(NOW) - 86400)[0] == [
            t for t in tickets if t["generated_timestamp"] >= unix(NOW) - 86400
        ]

        summary = advance(world, 72)
        assert summary["zendesk_tickets_created"] > 0
        mark = requests_seen(world)[-1]["id"]
        changed, _ = walk(server, 3, cursor=pages[-1]["after_cursor"])
        everything, _ = walk(server, 1000, start_time=0)
        asked = requests_seen(world, "zendesk", after_id=mark)
    expected = [
        t for t in everything if t["id"] not in first or t["updated_at"] != first[t["id"]]["updated_at"]
    ]
    assert changed and changed == expected
    assert all((t["generated_timestamp"], t["id"]) > positions[-1] for t in changed)
    assert any(t["id"] in first for t in changed) and any(t["id"] not in first for t in changed)
    for ticket in changed:
        if ticket["id"] in first:
            assert STATUS_RANK[ticket["status"]] >= STATUS_RANK[first[ticket["id"]]["status"]]
    assert "start_time" not in parse_qs(asked[0]["query"]) and all(r["status"] == 200 for r in asked)


def test_tickets_link_to_orders_that_exist(helpdesk_world: Path) -> None:
    names = {r["name"] for r in rows(helpdesk_world, "SELECT name FROM orders")}
    woo_ids = {str(r["id"]) for r in rows(helpdesk_world, "SELECT id FROM woo_orders")}
    with SandboxServer(helpdesk_world) as server:
        tickets, _ = walk(server, 1000, start_time=0)
        stats = world_stats(helpdesk_world)["zendesk"]
    assert len(tickets) == stats["tickets_total"] > 5
    for ticket in tickets:
        reference, reason = field(ticket, ORDER_FIELD), field(ticket, REASON_FIELD)
        assert reference in names | woo_ids
        assert reason in REASONS and REASONS[reason] in ticket["tags"]
        assert ("shopify" if reference.startswith("#") else "woocommerce") in ticket["tags"]
        assert reference in ticket["subject"] and reference in ticket["description"]
        assert ticket["status"] in STATUS_RANK and ticket["priority"] in {"low", "normal", "high", "urgent"}
        assert ticket["via"]["channel"] in {"email", "web"} and isinstance(ticket["requester_id"], int)
        assert ticket["created_at"] <= ticket["updated_at"] and ticket["url"].endswith(
            f"/tickets/{ticket['id']}.json"
        )
        assert ticket["fields"] == ticket["custom_fields"]
    assert {t["via"]["channel"] for t in tickets} == {"email", "web"}
    assert (
        sum(stats["tickets_by_reason"].values()) == sum(stats["tickets_by_status"].values()) == len(tickets)
    )
    assert set(stats["tickets_by_reason"]) <= set(REASONS)


def test_bad_requests(helpdesk_world: Path) -> None:
    with SandboxServer(helpdesk_world) as server:
        for params in (
            {},
            {"start_time": "yesterday"},
            {"start_time": unix(NOW) - 30},
            {"cursor": "bm9wZQ=="},
            {"cursor": "%%%"},
            {"start_time": 0, "per_page": 0},
        ):
            response = export(server, **params)
            assert response.status_code == 400 and response.json()["error"] == "InvalidValue", params
        assert export(server, start_time=unix(NOW) - 61).json()["tickets"] == []
        empty = export(server, start_time=unix(NOW) - 61).json()
        assert empty["end_of_stream"] and export(server, cursor=empty["after_cursor"]).json()["tickets"] == []
        cursor = base64.b64encode(b"0.0||0|").decode()
        assert (
            len(export(server, cursor=cursor).json()["tickets"])
            == world_stats(helpdesk_world)["zendesk"]["tickets_total"]
        )
        missing = requests.get(f"{server.url}/api/v2/tickets.json", auth=AUTH, timeout=10)
        assert missing.status_code == 404 and missing.json()["error"] == "InvalidEndpoint"


def test_rate_limit_and_outages_under_faults(helpdesk_world: Path) -> None:
    with SandboxServer(
        helpdesk_world, faults=FaultConfig(rate_limit_per_second=2, systems=("zendesk",))
    ) as server:
        statuses = [export(server, start_time=0).status_code for _ in range(2)]
        limited = export(server, start_time=0)
        assert statuses == [200, 200] and limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1 and limited.json()["error"] == "APIRateLimitExceeded"
        woo = requests.get(
            f"{server.url}/wp-json/wc/v3/orders", auth=("ck_sandbox", "cs_sandbox"), timeout=10
        )
        assert woo.status_code == 200  # only Zendesk was asked to misbehave
    with SandboxServer(helpdesk_world, faults=FaultConfig(fail_every=2, systems=("zendesk",))) as server:
        assert [export(server, start_time=0).status_code for _ in range(4)] == [200, 503, 200, 503]
    seen = requests_seen(helpdesk_world, "zendesk")
    assert {r["status"] for r in seen} >= {200, 429, 503} and all(
        r["path"].startswith("/api/v2/") for r in seen
    )
