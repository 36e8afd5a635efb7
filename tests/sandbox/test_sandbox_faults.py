"""Injected faults (rate limits, transient 5xx, stalls, dropped connections) and the request log,
over real HTTP."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
from sandbox_testkit import Client, all_woo_orders, stripe_get, woo_get

from sandbox.cli import build_parser, fault_config
from sandbox.clock import advance
from sandbox.faults import FaultConfig
from sandbox.query_cost import ThrottleConfig
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


def test_a_system_can_have_rates_of_its_own(world: Path) -> None:
    """The soak's quiet systems: Stripe fails every 2nd request while WooCommerce keeps every 3rd, and
    Zendesk, named only among the overrides, is faulted too."""
    own = FaultConfig(fail_every=2)
    faults = FaultConfig(fail_every=3, per_system={"stripe": own, "zendesk": own})
    with SandboxServer(world, faults=faults) as server:
        woo = [woo_get(server, "/orders", {"per_page": 1}).status_code for _ in range(3)]
        stripe = [stripe_get(server, "/events", {"limit": 1}).status_code for _ in range(2)]
        counts = server.fault_counts()
    assert woo == [200, 200, 503] and stripe == [200, 503]
    assert faults.for_system("zendesk").systems == ("zendesk",)
    assert faults.for_system("woocommerce") is faults
    with pytest.raises(ValueError, match="easypost"):
        FaultConfig(per_system={"easypost": own})
    assert counts["stripe"]["injected"] == counts["woocommerce"]["injected"] == 1


def test_faults_are_off_by_default_and_validated(world: Path) -> None:
    with SandboxServer(world) as server:
        assert {woo_get(server, "/orders", {"per_page": 1}).status_code for _ in range(12)} == {200}
    with pytest.raises(ValueError):
        FaultConfig(systems=("easypost",))
    with pytest.raises(ValueError):
        FaultConfig(fail_every=0)
    for bad in ({"stall_every": 0}, {"reset_every": 0}, {"stall_seconds": 0}):
        with pytest.raises(ValueError):
            FaultConfig(**bad)  # type: ignore[arg-type]
    assert FaultConfig().systems == ("woocommerce", "stripe", "zendesk")  # Shopify/C&D only when named
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


SHOPIFY_AND_CND = ("shopify", "click_and_drop")


def test_shopify_and_click_and_drop_fail_when_named(world: Path) -> None:
    with SandboxServer(world, faults=FaultConfig(fail_every=3, systems=SHOPIFY_AND_CND)) as server:
        client = Client(server)
        shopify = [client.gql("{ shop { name } }") for _ in range(4)]
        assert [r.status_code for r in shopify] == [200, 200, 503, 200]
        assert shopify[2].headers["content-type"].startswith("application/json")
        assert shopify[2].json() == {"errors": "Service Unavailable"}  # Shopify's string `errors`
        cnd = [client.cnd_get("/orders", {"pageSize": 1}) for _ in range(3)]
        assert [r.status_code for r in cnd] == [200, 200, 503]
        assert cnd[2].json()["code"] == "ServiceUnavailable" and cnd[2].json()["message"]
        assert {woo_get(server, "/orders", {"per_page": 1}).status_code for _ in range(4)} == {200}
        seen = requests_seen(world, "shopify")
    assert [r["status"] for r in seen] == [200, 200, 503, 200]


def test_shopify_rate_limit_is_429_next_to_cost_throttling(world: Path) -> None:
    faults = FaultConfig(rate_limit_per_second=2, systems=SHOPIFY_AND_CND)
    throttle = ThrottleConfig(maximum_available=30, restore_rate=0.5)
    with SandboxServer(world, throttle=throttle, faults=faults, click_and_drop_rate_limit=5) as server:
        client = Client(server)
        query = "{ orders(first: 10) { nodes { id } } }"  # requested cost 12
        first, second, limited = (client.gql(query) for _ in range(3))
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) == 1
        assert "calls per second" in limited.json()["errors"]
        time.sleep(1.05)
        throttled = client.gql(query)  # the bucket (30 points) is dry after two queries of 12
        assert [first.status_code, second.status_code, throttled.status_code] == [200, 200, 200]
        assert throttled.json()["errors"][0]["extensions"]["code"] == "THROTTLED"

        cnd = [client.cnd_get("/orders").status_code for _ in range(3)]
        assert cnd == [200, 200, 429]
        time.sleep(1.05)
    # Without faults, Click & Drop's own published limit (5/s, no Retry-After) still answers 429.
    with SandboxServer(world, click_and_drop_rate_limit=2) as server:
        answers = [Client(server).cnd_get("/orders") for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 429]
        assert answers[2].json()["code"] == "TooManyRequests"


def test_stall_times_out_a_short_read_timeout_but_not_the_server(world: Path) -> None:
    faults = FaultConfig(stall_every=2, stall_seconds=1.5, systems=("shopify", "woocommerce"))
    with SandboxServer(world, faults=faults) as server:
        client = Client(server)
        assert client.gql("{ shop { name } }").status_code == 200
        outcome: dict[str, object] = {}

        def stalled_call() -> None:
            started = time.monotonic()
            try:
                requests.post(
                    f"{server.url}/admin/api/2025-01/graphql.json",
                    json={"query": "{ shop { name } }"},
                    headers={"X-Shopify-Access-Token": "shpat_sandbox_token"},
                    timeout=(2, 0.5),
                )
            except requests.exceptions.ReadTimeout as exc:
                outcome["error"] = exc
            outcome["took"] = time.monotonic() - started

        caller = threading.Thread(target=stalled_call)
        caller.start()
        time.sleep(0.1)
        started = time.monotonic()
        assert woo_get(server, "/orders", {"per_page": 1}).status_code == 200  # served meanwhile
        assert time.monotonic() - started < 0.5
        caller.join(5)
        assert isinstance(outcome.get("error"), requests.exceptions.ReadTimeout)
        assert 0.5 <= float(outcome["took"]) < 1.5  # type: ignore[arg-type]
        patient = time.monotonic()
        assert client.gql("{ shop { name } }").status_code == 200  # 3rd: normal
        assert client.gql("{ shop { name } }").status_code == 200  # 4th: stalled, then answered
        assert time.monotonic() - patient >= 1.4
        time.sleep(1.2)  # the first stalled request answers (to nobody) and is logged
        seen = requests_seen(world, "shopify")
    assert [r["status"] for r in seen] == [200, 200, 200, 200]


def test_stop_does_not_wait_for_a_stall(world: Path) -> None:
    server = SandboxServer(world, faults=FaultConfig(stall_every=1, stall_seconds=60, systems=("shopify",)))
    with server:
        with pytest.raises(requests.exceptions.ReadTimeout):
            Client(server).session.post(
                f"{server.url}/admin/api/2025-01/graphql.json",
                json={"query": "{ shop { name } }"},
                timeout=0.3,
            )
        started = time.monotonic()
    assert time.monotonic() - started < 5


def test_reset_drops_the_connection_without_a_response(world: Path) -> None:
    faults = FaultConfig(reset_every=2, systems=("click_and_drop", "woocommerce", "shopify"))
    with SandboxServer(world, faults=faults) as server:
        client = Client(server)  # one keep-alive session throughout
        outcomes = []
        for _ in range(4):
            try:
                outcomes.append(client.cnd_get("/orders", {"pageSize": 1}).status_code)
            except requests.exceptions.ConnectionError as exc:
                assert "Connection aborted" in str(exc) or "RemoteDisconnected" in str(exc)
                outcomes.append("reset")
        assert outcomes == [200, "reset", 200, "reset"]
        assert woo_get(server, "/orders").status_code == 200
        with pytest.raises(requests.exceptions.ConnectionError):
            woo_get(server, "/orders")
        assert client.gql("{ shop { name } }").status_code == 200
        with pytest.raises(requests.exceptions.ConnectionError):
            client.gql("{ shop { name } }")
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200  # server unharmed
        seen = requests_seen(world)
    assert [(r["system"], r["status"]) for r in seen] == [
        ("click_and_drop", 200),
        ("click_and_drop", 0),  # no HTTP status: logged as 0
        ("click_and_drop", 200),
        ("click_and_drop", 0),
        ("woocommerce", 200),
        ("woocommerce", 0),
        ("shopify", 200),
        ("shopify", 0),
    ]


def test_reset_wins_over_fail_and_fail_over_stall(world: Path) -> None:
    faults = FaultConfig(
        reset_every=6, fail_every=3, stall_every=2, stall_seconds=0.3, systems=("woocommerce",)
    )
    with SandboxServer(world, faults=faults) as server:
        outcomes: list[object] = []
        for _ in range(6):
            started = time.monotonic()
            try:
                status = woo_get(server, "/orders", {"per_page": 1}).status_code
            except requests.exceptions.ConnectionError:
                outcomes.append("reset")
                continue
            outcomes.append((status, time.monotonic() - started >= 0.3))
    assert outcomes == [(200, False), (200, True), (503, False), (200, True), (200, False), "reset"]


def test_cli_exposes_the_new_fault_flags() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--fault-stall-every",
            "7",
            "--fault-stall-seconds",
            "2.5",
            "--fault-reset-every",
            "9",
            "--fault-systems",
            "shopify,click_and_drop",
        ]
    )
    assert fault_config(args) == FaultConfig(
        stall_every=7, stall_seconds=2.5, reset_every=9, systems=("shopify", "click_and_drop")
    )
    assert fault_config(build_parser().parse_args(["serve"])) is None
    defaults = fault_config(build_parser().parse_args(["serve", "--fault-reset-every", "3"]))
    assert defaults is not None and defaults.systems == ("woocommerce", "stripe", "zendesk")
    assert defaults.stall_seconds == 30.0


def test_cut_sends_half_the_body_then_drops_the_connection(world: Path) -> None:
    with SandboxServer(world, faults=FaultConfig(cut_every=2)) as server:
        whole = woo_get(server, "/orders", {"per_page": 5})
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            woo_get(server, "/orders", {"per_page": 5})
        assert whole.status_code == 200 and len(whole.json()) == 5
        assert woo_get(server, "/orders", {"per_page": 5}).json() == whole.json()
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200  # server unharmed


def test_garble_answers_half_the_body_as_a_complete_200(world: Path) -> None:
    with SandboxServer(world, faults=FaultConfig(garble_every=2)) as server:
        whole = woo_get(server, "/orders", {"per_page": 5})
        garbled = woo_get(server, "/orders", {"per_page": 5})
    assert garbled.status_code == 200 and garbled.headers["content-type"].startswith("application/json")
    assert garbled.content == whole.content[: len(whole.content) // 2]
    with pytest.raises(ValueError):
        garbled.json()


def test_replay_answers_a_get_with_the_last_answer_to_its_path(world: Path) -> None:
    with SandboxServer(world, faults=FaultConfig(replay_every=3)) as server:
        first = woo_get(server, "/orders", {"per_page": 2, "page": 1})
        second = woo_get(server, "/orders", {"per_page": 2, "page": 2})
        third = woo_get(server, "/orders", {"per_page": 2, "page": 3})  # served page 2 again
        fourth = woo_get(server, "/orders", {"per_page": 2, "page": 3})
    assert first.json() != second.json() and third.json() == second.json()
    assert third.headers["Link"] == second.headers["Link"], "with the links it had then"
    assert fourth.json() not in (first.json(), second.json())


def test_cli_exposes_the_broken_answer_flags() -> None:
    flags = ["serve", "--fault-cut-every", "4", "--fault-garble-every", "5", "--fault-replay-every", "6"]
    assert fault_config(build_parser().parse_args(flags)) == FaultConfig(
        cut_every=4, garble_every=5, replay_every=6
    )


def test_the_server_counts_the_faults_it_injected_and_the_requests_asked_again(world: Path) -> None:
    """The soak's witness: faults per system and kind, and a faulted request arriving again as a retry
    (the same method, path and query); a different request after a fault is no retry."""
    with SandboxServer(world, faults=FaultConfig(fail_every=2, systems=("woocommerce",))) as server:
        first = woo_get(server, "/orders", {"per_page": 1})
        faulted = woo_get(server, "/orders", {"per_page": 2})
        other = woo_get(server, "/orders", {"per_page": 3})  # not the faulted request
        again = woo_get(server, "/orders", {"per_page": 2})  # the faulted one, asked again (and faulted)
        once_more = woo_get(server, "/orders", {"per_page": 2})
        assert [r.status_code for r in (first, faulted, other, again, once_more)] == [200, 503, 200, 503, 200]
        counts = server.fault_counts()
    assert counts["woocommerce"] == {"injected": 2, "by_kind": {"fail": 2}, "retried": 2}
    assert counts["stripe"] == {"injected": 0, "by_kind": {}, "retried": 0}
