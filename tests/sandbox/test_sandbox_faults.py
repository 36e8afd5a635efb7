"""Injected faults (rate limits, transient 5xx) and the request log, over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
from sandbox_testkit import Client, all_woo_orders, stripe_get, woo_get

from sandbox.cli import build_parser
from sandbox.clock import advance
from sandbox.faults import FaultConfig
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer


def test_rate_limit_answers_429_with_retry_after(world: Path) -> None:
    with SandboxServer(world, faults=FaultConfig(rate_limit_per_second=3)) as server:
        statuses = [woo_get(server, "/orders", {"per_page": 1}).status_code for _ in range(3)]
        limited = woo_get(server, "/orders", {"per_page": 1})
        assert statuses == [200, 200, 200] and limited.status_code == 429
        wait = int(limited.headers["Retry-After"])
        assert wait == 1 and limited.json()["data"]["status"] == 429
        assert stripe_get(server, "/events").status_code == 200  # each system has its own budget
        for _ in range(2):
            stripe_get(server, "/events")
        stripe_limited = stripe_get(server, "/events")
        assert stripe_limited.status_code == 429 and stripe_limited.json()["error"]["code"] == "rate_limit"
        assert int(stripe_limited.headers["Retry-After"]) >= 1
        assert Client(server).cnd_get("/orders").status_code == 200  # other systems are never faulted
        time.sleep(wait)
        assert woo_get(server, "/orders", {"per_page": 1}).status_code == 200


def test_every_kth_request_fails_deterministically(world: Path) -> None:
    with SandboxServer(world, faults=FaultConfig(fail_every=3)) as server:
        woo = [woo_get(server, "/orders", {"per_page": 1}) for _ in range(7)]
        assert [r.status_code for r in woo] == [200, 200, 503, 200, 200, 503, 200]
        assert woo[2].headers["content-type"].startswith("text/html")  # the host's page, not JSON
        stripe = [stripe_get(server, "/events", {"limit": 1}) for _ in range(3)]
        assert [r.status_code for r in stripe] == [200, 200, 503]
        assert stripe[2].json()["error"]["type"] == "api_error"
        client = Client(server)
        assert all(client.gql("{ shop { name } }").status_code == 200 for _ in range(4))


def test_faults_are_off_by_default_and_validated(world: Path) -> None:
    with SandboxServer(world) as server:
        assert {woo_get(server, "/orders", {"per_page": 1}).status_code for _ in range(12)} == {200}
    with pytest.raises(ValueError):
        FaultConfig(systems=("shopify",))
    with pytest.raises(ValueError):
        FaultConfig(fail_every=0)
    args = build_parser().parse_args(
        ["serve", "--fault-rate-limit", "4", "--fault-fail-every", "5", "--stripe-key", "sk_test_x"]
    )
    assert (args.fault_rate_limit, args.fault_fail_every, args.stripe_key) == (4, 5, "sk_test_x")
    assert (args.woo_consumer_key, args.woo_consumer_secret) == ("ck_sandbox", "cs_sandbox")


def test_request_log_records_every_api_request(world: Path) -> None:
    with SandboxServer(world) as server:
        client = Client(server)
        client.gql("{ shop { name } }")
        client.cnd_get("/orders", {"pageSize": 5})
        woo_get(server, "/orders", {"per_page": 2, "status": "completed"})
        woo_get(server, "/orders", {"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"}, auth=None)
        stripe_get(server, "/events", key=None)
        requests.get(f"{server.url}/healthz", timeout=10)
        seen = requests_seen(world)
    assert [(r["system"], r["method"], r["path"], r["status"]) for r in seen] == [
        ("shopify", "POST", "/admin/api/2025-01/graphql.json", 200),
        ("click_and_drop", "GET", "/api/v1/orders", 200),
        ("woocommerce", "GET", "/wp-json/wc/v3/orders", 200),
        ("woocommerce", "GET", "/wp-json/wc/v3/orders", 200),
        ("stripe", "GET", "/v1/events", 401),
    ]
    assert parse_qs(seen[2]["query"]) == {"per_page": ["2"], "status": ["completed"]}
    assert "cs_sandbox" not in seen[3]["query"] and "consumer_secret=%5Bredacted%5D" in seen[3]["query"]
    assert all(r["at"].endswith("Z") and r["world_now"] == "2026-11-04T12:00:00Z" for r in seen)
    assert [r["path"] for r in requests_seen(world, "stripe")] == ["/v1/events"]
    assert requests_seen(world, after_id=seen[-1]["id"]) == []


def test_second_incremental_run_only_asks_for_new_records(world: Path) -> None:
    with SandboxServer(world) as server:
        first = all_woo_orders(server)
        high_water = max(o["date_modified_gmt"] for o in first)
        mark = requests_seen(world)[-1]["id"]
        advance(world, 6)
        second = all_woo_orders(server, modified_after=high_water, dates_are_gmt="true")
        asked = requests_seen(world, "woocommerce", after_id=mark)
    assert second and all(o["date_modified_gmt"] > high_water for o in second)
    assert asked and all(parse_qs(r["query"])["modified_after"] == [high_water] for r in asked)
