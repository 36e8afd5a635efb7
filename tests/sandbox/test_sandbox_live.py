"""Live mode: the world clock ticks on while the server answers, and pushes webhooks and files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sandbox_testkit import NOW, Client, WebhookReceiver, dump, make_world

from sandbox.cli import build_parser, live_config, main
from sandbox.clock import advance
from sandbox.generator import generate_world
from sandbox.live import LiveConfig, LiveWorld
from sandbox.query_cost import ThrottleConfig
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from sandbox.timeutil import parse_iso, to_iso

SECRET = "live-secret"
FAST = {"hours_per_minute": 120.0, "tick_seconds": 0.2}  # 0.4 world hours (24 min) per tick
LATEST_ORDER = "{ orders(first: 1, reverse: true) { nodes { name } } }"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(SECRET)
    yield server
    server.close()


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def clock(world: Path) -> str:
    return world_stats(world)["clock"]["now"]


def test_ticks_are_advances_of_the_same_world_time(tmp_path: Path) -> None:
    ticked, advanced = make_world(tmp_path / "ticked"), make_world(tmp_path / "advanced")
    lines: list[str] = []
    live = LiveWorld(ticked, LiveConfig(**FAST), log=lines.append)
    for _ in range(3):
        result = live.tick()
        advance(advanced, 0.4)
        assert result["world_seconds"] == 24 * 60 and "error" not in result
    assert dump(ticked) == dump(advanced)
    assert clock(ticked) == "2026-11-04T13:12:00Z"
    assert len(lines) == 3 and lines[-1].startswith("live 2026-11-04T13:12:00Z (+0.4h): ")
    assert "orders created" in lines[-1] and "despatched" in lines[-1]


def test_fractions_of_a_second_are_carried(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    live = LiveWorld(world, LiveConfig(hours_per_minute=0.25, tick_seconds=0.0625), log=lambda _: None)
    seconds = [live.tick()["world_seconds"] for _ in range(16)]  # 0.9375 world seconds a tick
    assert seconds[0] == 0 and sum(seconds) == 15
    assert parse_iso(clock(world)) == NOW + timedelta(seconds=15)


def test_config_is_validated() -> None:
    for bad in (
        {"hours_per_minute": 0},
        {"hours_per_minute": -1},
        {"hours_per_minute": 1, "tick_seconds": 0},
        {"hours_per_minute": 1, "webhook_url": "http://127.0.0.1:1/"},
        {"hours_per_minute": 1, "webhook_secret": "s"},
    ):
        with pytest.raises(ValueError):
            LiveConfig(**bad)


def test_requests_during_ticks_succeed_and_see_whole_ticks(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    lines: list[str] = []
    server = SandboxServer(
        world,
        throttle=ThrottleConfig(maximum_available=1_000_000),
        live=LiveConfig(**FAST),
        live_log=lines.append,
    )
    failures: list[str] = []
    order_numbers: dict[int, list[int]] = {0: [], 1: []}  # the newest order each client saw, in turn
    clocks: list[str] = []
    by_clock: dict[str, tuple[int, ...]] = {}
    stop = threading.Event()

    def hammer_graphql(client: Client, seen: list[int]) -> None:
        while not stop.is_set():
            response = client.gql(LATEST_ORDER)
            body = response.json()
            if response.status_code != 200 or "errors" in body:
                failures.append(response.text)
                continue
            seen.append(int(body["data"]["orders"]["nodes"][0]["name"].lstrip("#")))

    def hammer_stats() -> None:
        while not stop.is_set():
            try:
                stats = world_stats(world)
            except Exception as exc:  # any error here is the failure under test
                failures.append(repr(exc))
                continue
            now = stats["clock"]["now"]
            counts = (
                stats["shopify"]["orders_total"],
                stats["woocommerce"]["orders_total"],
                stats["stripe"]["events_total"],
                stats["easypost"]["events_total"],
            )
            clocks.append(now)
            if by_clock.setdefault(now, counts) != counts:  # a half-applied tick would differ
                failures.append(f"{now}: {counts} != {by_clock[now]}")

    with server:
        threads = [
            threading.Thread(target=hammer_graphql, args=(Client(server), order_numbers[i])) for i in (0, 1)
        ]
        threads.append(threading.Thread(target=hammer_stats))
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        stop.set()
        for thread in threads:
            thread.join(10)
        health = requests.get(f"{server.url}/healthz", timeout=5).json()
        assert health["status"] == "ok"
        assert server.live is not None and server.live.running
    live = server.live
    assert not live.running
    assert failures == []
    assert live.errors == 0 and live.ticks >= 5 and len(lines) == live.ticks
    assert clocks == sorted(clocks) and len(set(clocks)) >= 3
    for seen in order_numbers.values():
        assert seen == sorted(seen) and len(seen) > 10
    assert max(order_numbers[0] + order_numbers[1]) > min(order_numbers[0] + order_numbers[1])
    # every request was logged: the request log's writes waited for the ticks instead of failing
    assert len(requests_seen(world, "shopify")) == len(order_numbers[0]) + len(order_numbers[1])
    final = clock(world)
    assert final == to_iso(NOW + timedelta(minutes=24 * live.ticks))
    time.sleep(0.5)  # stopped with the server: no more ticks
    assert clock(world) == final and len(lines) == live.ticks


def test_webhooks_and_files_are_pushed_while_serving(tmp_path: Path, receiver: WebhookReceiver) -> None:
    world = tmp_path / "w"
    generate_world(world, days=4, seed=7, now=NOW, orders_per_day=8)
    landing = tmp_path / "landing"
    config = LiveConfig(**FAST, webhook_url=receiver.url, webhook_secret=SECRET, feeds_landing=landing)
    lines: list[str] = []
    due_at_start = world_stats(world)["easypost"]["events_pending"]
    with SandboxServer(world, live=config, live_log=lines.append) as server:
        # scans from before the server started, then ones the live clock reached
        assert wait_for(lambda: any(e["created_at"] > to_iso(NOW) for e in receiver.received))
        assert wait_for(lambda: any(landing.glob("*/fulfilment/*.csv")))
        assert server.live is not None and server.live.errors == 0
    assert due_at_start > 0 and len(receiver.received) > due_at_start and receiver.bad_signatures == 0
    assert len({e["id"] for e in receiver.received}) == len(receiver.received)
    assert world_stats(world)["easypost"]["events_delivered"] == len(receiver.received)
    assert {p.parent.name for p in landing.glob("*/*/*.csv")} >= {"stock", "fulfilment"}
    assert any("webhooks sent" in line and "warehouse files" in line for line in lines)


def test_cli_parses_the_live_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(
        [
            "serve",
            "--live-hours-per-minute",
            "2.5",
            "--tick-seconds",
            "3",
            "--webhook-url",
            "http://127.0.0.1:9000/webhooks/easypost",
            "--webhook-secret",
            "s3cret",
            "--feeds-landing",
            str(tmp_path / "landing"),
        ]
    )
    assert live_config(args) == LiveConfig(
        hours_per_minute=2.5,
        tick_seconds=3.0,
        webhook_url="http://127.0.0.1:9000/webhooks/easypost",
        webhook_secret="s3cret",
        feeds_landing=tmp_path / "landing",
    )
    assert live_config(parser.parse_args(["serve"])) is None
    assert live_config(parser.parse_args(["serve", "--live-hours-per-minute", "0"])) is None
    assert live_config(parser.parse_args(["serve", "--live-hours-per-minute", "1"])) == LiveConfig(1.0, 10.0)

    world = str(make_world(tmp_path / "w"))
    for bad in (
        ["--webhook-url", "http://127.0.0.1:1/"],  # pushes without a live clock
        ["--live-hours-per-minute", "-1"],
        ["--live-hours-per-minute", "1", "--tick-seconds", "0"],
        ["--live-hours-per-minute", "1", "--webhook-url", "http://127.0.0.1:1/"],  # no secret
    ):
        assert main(["--data-dir", world, "serve", "--port", "0", *bad]) == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_serve_ticks_and_stops_on_sigterm(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    command = [sys.executable, "-m", "sandbox", "--data-dir", str(world), "serve", "--port", "0"]
    command += ["--live-hours-per-minute", "120", "--tick-seconds", "0.2"]
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root
    )
    try:
        assert process.stdout is not None
        seen: list[str] = []
        for line in process.stdout:
            seen.append(line)
            if sum(x.startswith("live ") for x in seen) >= 2:
                break
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert any("Live clock:" in x for x in seen)
    ticks = sum(x.startswith("live ") for x in seen + out.splitlines())
    assert clock(world) == to_iso(NOW + timedelta(minutes=24 * ticks))
