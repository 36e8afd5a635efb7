"""One new order followed through every stage of the loop, then a tick with nothing new.

The world moves on between passes the way the live demo moves it (the sandbox clock), and
every pass is a real `orderloop run` (one Dagster run): the order appears in the sandbox,
is routed and reserved, gets its label and its pick task, the sandbox warehouse picks and
despatches it (3PL feed), the carrier scans and delivers it (tracking webhooks), the
customer is emailed at despatch and delivery, and stock is published to the channels. A
final pass with the world standing still changes nothing, inside or outside.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance

from orderloop.cli import main
from orderloop.paths import DBT_PROJECT_DIR
from sandbox.clock import advance
from sandbox.stats import world_stats
from tests.warehouse_comparison import differing_rows

MILESTONES = ["placed_at", "paid_at", "allocated_at", "label_booked_at", "despatched_at",
              "first_carrier_scan_at", "delivered_at"]


def _rows(path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def _ledger_counts(path) -> dict[str, int]:
    tables = ["label_bookings", "stock_pushes", "notifications", "refunds", "pick_task_ledger"]
    return {t: _rows(path, f"select count(*) from actions.{t}")[0][0] for t in tables}


def _outside(stats: dict[str, Any]) -> dict[str, Any]:
    """What the loop did to the outside world, from the sandbox's own account."""
    return {
        "bookings": stats["click_and_drop"]["bookings_accepted_api"],
        "shopify_pushes": stats["channel_stock"]["shopify"]["pushes"],
        "woo_pushes": stats["channel_stock"]["woocommerce"]["pushes"],
        "emails": stats["postmark"]["emails_sent"],
        "refunds": stats["stripe_refunds"]["refunds_created"],
        "pick_batches": stats["pick_tasks"]["batches_received"],
    }


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    from sandbox.generator import generate_world
    from tests.conftest import WORLD_DAYS, WORLD_NOW, WORLD_SEED, use_data_dir

    paths = use_data_dir(tmp_path_factory.mktemp("journey") / "data")
    generate_world(paths.sandbox, days=WORLD_DAYS, seed=WORLD_SEED, now=WORLD_NOW)
    assert main(["run"]) == 0
    known = {r[0] for r in _rows(paths.warehouse, "select order_id from marts.fct_orders")}
    advance(paths.sandbox, 2)  # two hours of shopping on a Friday
    assert main(["run"]) == 0
    booked = _rows(
        paths.warehouse,
        "select o.order_id, o.order_name from marts.fct_orders as o"
        " join actions.label_bookings as b on b.order_id = o.order_id and b.status = 'booked'"
        " where o.channel = 'shopify' and not o.is_split_shipment order by o.placed_at",
    )
    new = [(order_id, name) for order_id, name in booked if order_id not in known]
    assert new, "two hours of the world should bring a new order that the loop books"
    # The loop runs every few minutes in a shop; here a pass after each stage, close enough
    # for the customer emails (sent only within notify_within_hours of the event).
    advance(paths.sandbox, 30)  # picked, packed and despatched
    assert main(["run"]) == 0
    advance(paths.sandbox, 6 * 24)  # carried over the weekend and delivered
    assert main(["run"]) == 0
    return paths, new[0]


def test_a_new_order_goes_through_every_stage(journey):
    paths, (order_id, name) = journey
    [row] = _rows(
        paths.warehouse,
        f"select {', '.join(MILESTONES)}, status, warehouse_ids from marts.fct_orders where order_id = ?",
        [order_id],
    )
    milestones = dict(zip(MILESTONES, row[: len(MILESTONES)], strict=True))
    assert all(milestones.values()), f"{name} missed a stage: {milestones}"
    ordered = [milestones[m] for m in MILESTONES if m != "allocated_at"]
    assert ordered == sorted(ordered), f"{name}'s stages are out of order: {milestones}"
    assert row[len(MILESTONES)] in ("delivered", "returned")

    # Routed and released to the warehouse that picked it, once.
    released = _rows(
        paths.warehouse,
        "select warehouse_id, status from actions.pick_task_ledger where order_id = ?",
        [order_id],
    )
    assert len(released) == 1 and released[0][1] == "released", released
    assert released[0][0] in row[len(MILESTONES) + 1]

    # Confirmed, then emailed at despatch and at delivery, each once.
    kinds = [k for (k,) in _rows(
        paths.warehouse,
        "select kind from actions.notifications where order_id = ? and status = 'sent' order by kind",
        [order_id],
    )]
    assert {"confirmation", "despatched", "delivered"} <= set(kinds) and len(kinds) == len(set(kinds)), kinds


def test_stock_is_published_to_both_channels(journey):
    paths, _ = journey
    pushed = dict(_rows(
        paths.warehouse, "select channel, count(*) from actions.stock_pushes where status = 'done' group by 1"
    ))
    assert pushed.get("shopify", 0) > 0 and pushed.get("woocommerce", 0) > 0, pushed


def test_a_tick_with_nothing_new_does_nothing(journey):
    paths, _ = journey
    outside_before = _outside(world_stats(paths.sandbox))
    ledgers_before = _ledger_counts(paths.warehouse)
    assert main(["run"]) == 0
    assert _outside(world_stats(paths.sandbox)) == outside_before
    assert _ledger_counts(paths.warehouse) == ledgers_before
    # That tick still loaded what the last pass's actions caused (the labels it booked are Click
    # & Drop shipments now). A second tick finds no input of the dbt project changed, so it
    # rebuilds none of its models: each dbt asset is reported as it stands, and says why.
    assert main(["run"]) == 0
    with DagsterInstance.get() as instance:
        [run] = instance.get_runs(limit=1)
        built = {
            event.asset_materialization.asset_key.to_user_string():
                event.asset_materialization.metadata.get("rebuilt")
            for event in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
            if event.step_key.startswith("dbt_")
        }
        plans = [entry.user_message for entry in instance.all_logs(run.run_id)
                 if "assets to build" in (entry.user_message or "")]
    rebuilt = sorted(key for key, flag in built.items() if flag is None or flag.value is not False)
    assert len(built) > 50 and not rebuilt, (rebuilt, plans)


def test_what_the_passes_left_unbuilt_equals_a_full_rebuild(journey, tmp_path):
    """Each pass builds only the dbt nodes downstream of an input that changed
    (pipelines/dbt_build_inputs.py). After the journey's passes, a full rebuild of a copy of the
    warehouse must find nothing to change in any intermediate table or mart."""
    paths, _ = journey
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copyfile(paths.warehouse, rebuilt)
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [str(dbt), "build", "--full-refresh", "--exclude-resource-type", "unit_test", "--quiet",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "target")],
        check=True, env={**os.environ, "ORDERLOOP_WAREHOUSE": str(rebuilt)},
    )
    tables, differing = differing_rows(paths.warehouse, rebuilt)
    assert ("marts", "fct_orders") in tables
    assert differing == {}
