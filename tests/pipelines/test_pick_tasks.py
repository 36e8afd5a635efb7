"""Pick tasks against the sandbox's 3PL API, with a real ledger in DuckDB: batches per warehouse in
pick-path order, real PDFs read back with pypdf, each order released once, even when the worker is
killed between the 3PL's answer and the ledger write."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pypdf import PdfReader

from connectors.three_pl import PickBatchClient
from orderloop.sandbox_mode import SANDBOX_THREE_PL_KEY
from pipelines.actions.pick_task_ledger import PickTaskLedger
from pipelines.actions.pick_tasks import release_pick_tasks
from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer
from sandbox.stats import world_stats

# Bins deliberately out of line order, so pick-path order has to be made, not inherited.
LEEDS_BINS = ["D07", "A02", "C05", "B01", "E08", "A06"]


def _waiting_orders(world: Path, count: int) -> list[sqlite3.Row]:
    """Paid, open, valid-address Shopify orders with no label yet: what routing would queue."""
    conn = sqlite3.connect(world / "world.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        orders = conn.execute(
            "SELECT * FROM orders WHERE financial_status = 'PAID' AND cancelled_at IS NULL"
            " AND address_valid = 1 AND fulfillment_status = 'UNFULFILLED' ORDER BY number LIMIT ?",
            (count,),
        ).fetchall()
        lines = {
            order["id"]: conn.execute(
                "SELECT id, sku, quantity FROM line_items WHERE order_id = ? ORDER BY id", (order["id"],)
            ).fetchall()
            for order in orders
        }
    finally:
        conn.close()
    assert len(orders) == count, "the test world must leave orders waiting"
    return [(order, lines[order["id"]]) for order in orders]


def _queue_rows(order: sqlite3.Row, lines: list[sqlite3.Row], warehouse: str, bins: list[str]) -> list[dict]:
    return [
        {
            "order_id": f"gid://shopify/Order/{order['id']}",
            "line_id": str(line["id"]),
            "order_reference": order["name"],
            "channel": "shopify",
            "placed_at": datetime.fromisoformat(order["created_at"].replace("Z", "")),
            "service_code": "TPN24",
            "warehouse_id": warehouse,
            "sku": line["sku"],
            "quantity": line["quantity"],
            "bin_location": bins[index % len(bins)],
            "ship_to_name": f"{order['ship_first_name']} {order['ship_last_name']}",
            "ship_to_address1": order["ship_address1"],
            "ship_to_address2": order["ship_address2"],
            "ship_to_city": order["ship_city"],
            "ship_to_postcode": order["ship_zip"],
            "ship_to_country_code": order["ship_country_code"],
            "routing_rule_version": "routing-v1",
            "routed_as_of": None,
        }
        for index, line in enumerate(lines)
    ]


@pytest.fixture
def queue(world) -> list[dict[str, Any]]:
    """Two orders for Leeds, one for Bristol."""
    (a, a_lines), (b, b_lines), (c, c_lines) = _waiting_orders(world.sandbox, 3)
    return [
        *_queue_rows(a, a_lines, "leeds", LEEDS_BINS),
        *_queue_rows(b, b_lines, "leeds", list(reversed(LEEDS_BINS))),
        *_queue_rows(c, c_lines, "bristol", ["BR-030", "BR-004"]),
    ]


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as connection:
        yield connection


@pytest.fixture
def ledger(conn) -> PickTaskLedger:
    return PickTaskLedger(conn)


@pytest.fixture
def client(sandbox_url) -> PickBatchClient:
    return PickBatchClient.from_config()


def _stats(world) -> dict[str, Any]:
    return world_stats(world.sandbox)["pick_tasks"]


def _pdf_text(encoded: str) -> str:
    document = base64.b64decode(encoded)
    assert document.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def _sent_batches(conn) -> list[tuple[str, str]]:
    return conn.execute(
        "select warehouse_id, batch_reference from actions.pick_task_batches order by warehouse_id"
    ).fetchall()


def test_orders_are_batched_per_warehouse_with_a_pick_list_in_pick_path_order(
    world, queue, conn, ledger, client
):
    summary = release_pick_tasks(queue, ledger, client)
    assert (summary.batches_sent, summary.released) == (2, 3)
    assert not summary.failures and not summary.set_aside
    assert _stats(world)["orders_released_by_warehouse"] == {"bristol": 1, "leeds": 2}

    batches = _sent_batches(conn)
    assert [site for site, _ in batches] == ["bristol", "leeds"]
    leeds = client.find("leeds", dict(batches)["leeds"])
    assert leeds is not None
    text = _pdf_text(leeds["documents"]["pick_list_pdf"])
    leeds_rows = [row for row in queue if row["warehouse_id"] == "leeds"]
    expected = sorted(leeds_rows, key=lambda r: (r["bin_location"], r["sku"], r["order_reference"]))
    positions = [text.index(f"{row['bin_location']} {row['sku']}") for row in expected]
    assert positions == sorted(positions), text
    assert f"Units: {sum(r['quantity'] for r in leeds_rows)}" in text

    slips = leeds["documents"]["packing_slips"]
    references = sorted({row["order_reference"] for row in leeds_rows})
    assert sorted(slips) == references
    for reference in references:
        slip = _pdf_text(slips[reference])
        rows = [row for row in leeds_rows if row["order_reference"] == reference]
        assert reference in slip and rows[0]["ship_to_postcode"] in slip
        assert all(row["sku"] in slip for row in rows)


def test_a_second_pass_sends_nothing(world, queue, ledger, client):
    release_pick_tasks(queue, ledger, client)
    before = _stats(world)
    again = release_pick_tasks(queue, ledger, client)
    assert (again.batches_sent, again.released, again.already_done) == (0, 0, 3)
    assert _stats(world) == before
    assert ledger.counts() == {"released": 3}


def test_rows_that_cannot_make_a_task_are_set_aside_with_the_reason(world, queue, ledger, client):
    unbinned = [{**row, "bin_location": None} if row["warehouse_id"] == "bristol" else row for row in queue]
    summary = release_pick_tasks(unbinned, ledger, client)
    reference = next(row["order_reference"] for row in queue if row["warehouse_id"] == "bristol")
    assert len(summary.set_aside) == 1
    assert summary.set_aside[0].startswith(reference) and "no bin location at bristol" in summary.set_aside[0]
    assert _stats(world)["orders_released_by_warehouse"] == {"leeds": 2}


def test_an_order_the_3pl_refuses_is_kept_aside_and_the_rest_released(world, queue, ledger, client):
    first = queue[0]
    unknown = {**first, "order_id": "gid://shopify/Order/1", "line_id": "x", "order_reference": "#999999"}
    summary = release_pick_tasks([*queue, unknown], ledger, client)
    assert summary.released == 3
    assert len(summary.failures) == 1 and summary.failures[0].startswith("#999999")
    assert "unknown_order" in summary.failures[0] and SANDBOX_THREE_PL_KEY not in summary.failures[0]
    assert ledger.counts() == {"released": 3, "failed": 1}
    again = release_pick_tasks([*queue, unknown], ledger, client)
    assert again.batches_sent == 0 and again.already_done == 4


# The worker: the action in its own process, so the test can kill it mid-call.
WORKER = """
import json, sys
import duckdb
from connectors.three_pl import PickBatchClient
from pipelines.actions.pick_task_ledger import PickTaskLedger
from pipelines.actions.pick_tasks import release_pick_tasks

queue = json.load(open(sys.argv[1]))
ledger = PickTaskLedger(duckdb.connect(sys.argv[2]))
print("ready", flush=True)
release_pick_tasks(queue, ledger, PickBatchClient(sys.argv[3], sys.argv[4]))
print("finished", flush=True)
"""


def test_a_worker_killed_between_the_call_and_the_ledger_write_releases_nothing_twice(world, queue, tmp_path):
    rows = [{**row, "placed_at": None} for row in queue if row["warehouse_id"] == "leeds"]
    (tmp_path / "queue.json").write_text(json.dumps(rows))
    ledger_path = tmp_path / "ledger.duckdb"
    # The 3PL holds the request for a while before carrying it out: the worker dies meanwhile.
    stalling = FaultConfig(stall_every=1, stall_seconds=4, systems=("three_pl",))
    with SandboxServer(world.sandbox, faults=stalling) as server:
        injector = next(i for i in server.app.state.fault_injectors if i.system == "three_pl")
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path / "queue.json"), str(ledger_path),
             f"{server.url}/3pl/v1", SANDBOX_THREE_PL_KEY],
            stdout=subprocess.PIPE, text=True, env={**os.environ},
        )
        assert worker.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 30
        while injector.served == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        assert worker.returncode == -signal.SIGKILL
        while _stats(world)["batches_received"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    # The 3PL carried out the call the worker never heard back from.
    assert _stats(world)["orders_released"] == 2

    with duckdb.connect(str(ledger_path)) as conn, SandboxServer(world.sandbox) as server:
        ledger = PickTaskLedger(conn)
        assert ledger.counts() == {"pending": 2}
        client = PickBatchClient(f"{server.url}/3pl/v1", SANDBOX_THREE_PL_KEY)
        summary = release_pick_tasks(rows, ledger, client)
        assert (summary.recovered_batches, summary.replayed_batches, summary.batches_sent) == (1, 1, 0)
        assert ledger.counts() == {"released": 2}
    stats = _stats(world)
    assert (stats["batches_received"], stats["orders_released"], stats["idempotent_replays"]) == (1, 2, 1)
    assert stats["duplicate_orders_ignored"] == 0
