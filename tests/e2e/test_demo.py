"""`orderloop demo` as a new user runs it: the manual era, the automated era's passes, a summary,
then both UIs on 127.0.0.1. (One day of automated era keeps it short; the dashboards' built world
replays three, tests/dashboards/test_demo_history.py.)"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import requests
import yaml

from sandbox.stats import orders_missing_booking, world_stats
from sandbox.world import world_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _risky_by_the_holds_in_force(data: Path) -> set[str]:
    """WooCommerce orders (the Stripe-paid channel) whose Radar score in the sandbox is above the
    max_fraud_score of rules/holds.yaml's version in force now (the demo re-dates the versions)."""
    versions = yaml.safe_load((data / "rules" / "holds.yaml").read_text())["versions"]
    starts = {datetime.fromisoformat(str(v["effective_from"])): v for v in versions}
    limit = starts[max(start for start in starts if start <= datetime.now(UTC))].get("max_fraud_score")
    if limit is None:
        return set()
    with sqlite3.connect(world_path(data / "sandbox")) as conn:
        risky = conn.execute("select id from woo_orders where risk_score > ?", [limit]).fetchall()
    return {str(order_id) for (order_id,) in risky}


def _wait_for(url: str, deadline: float) -> requests.Response:
    while True:
        try:
            response = requests.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"{url} did not come up"
        time.sleep(1)


def test_demo_runs_the_loop_then_serves_both_uis_until_interrupted(tmp_path):
    data = tmp_path / "data"
    dagster_port, dashboard_port = _free_port(), _free_port()
    env = {**os.environ, "ORDERLOOP_DATA_DIR": str(data)}
    demo = subprocess.Popen(
        [sys.executable, "-m", "orderloop.cli", "demo", "--days", "10", "--automated-days", "1",
         "--dagster-port", str(dagster_port), "--dashboard-port", str(dashboard_port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output: list[str] = []
    try:
        for line in demo.stdout:
            output.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        assert any("orderloop KPI summary" in line for line in output), "".join(output)
        assert any("despatching by hand until" in line for line in output), "".join(output)
        assert "Written by `orderloop demo`" in (data / "rules" / "labels.yaml").read_text()

        # Acceptance: fct_orders holds exactly the sandbox's orders; every paid, open,
        # valid-address order has exactly one accepted booking, unless an open exception holds
        # it back (labels-v2 waits for stock: a stock_shortage) or the holds rules in force do
        # (holds-v3: a Radar risk score above max_fraud_score, per the sandbox's own charges;
        # the pipeline raises no exception for it).
        stats = world_stats(data / "sandbox")
        with duckdb.connect(str(data / "published" / "warehouse.duckdb"), read_only=True) as conn:
            assert conn.execute("select count(*) from marts.fct_orders").fetchone()[0] == \
                stats["shopify"]["orders_total"] + stats["woocommerce"]["orders_total"]
            held = {name for (name,) in conn.execute(
                "select distinct o.order_name from marts.fct_orders as o"
                " join marts.fct_exceptions as e on e.order_id = o.order_id"
                " where e.is_open and e.holds_fulfilment"
            ).fetchall()}
        held |= _risky_by_the_holds_in_force(data)
        missing = orders_missing_booking(data / "sandbox")
        assert set(missing) <= held, sorted(set(missing) - held)
        assert stats["click_and_drop"]["duplicate_bookings"] == 0

        deadline = time.monotonic() + 120
        assert "Dagster" in _wait_for(f"http://127.0.0.1:{dagster_port}/", deadline).text
        _wait_for(f"http://127.0.0.1:{dagster_port}/server_info", deadline)
        assert _wait_for(f"http://127.0.0.1:{dashboard_port}/_stcore/health", deadline).text == "ok"
        _wait_for(f"http://127.0.0.1:{dashboard_port}/", deadline)
    finally:
        demo.send_signal(signal.SIGINT)  # what Ctrl-C sends
        demo.wait(timeout=60)
    assert demo.returncode == 0
    for port in (dagster_port, dashboard_port):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served after Ctrl-C"
