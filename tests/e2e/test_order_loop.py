"""The whole loop as a user runs it: `orderloop run` against a sandbox world, twice.

Real HTTP to the sandbox, a real Dagster run (dlt load, dbt build, label booking,
publication) recorded in a real instance, and the results checked against the
sandbox's own account of what it holds.
"""

from __future__ import annotations

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from orderloop.cli import main
from sandbox.stats import orders_missing_booking, world_stats


def _scalar(path, sql: str):
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def looped_world(tmp_path_factory):
    """A world after one `orderloop run`, shared by the checks below (a pass takes ~30 s)."""
    from sandbox.generator import generate_world
    from tests.conftest import WORLD_DAYS, WORLD_NOW, WORLD_SEED, use_data_dir

    paths = use_data_dir(tmp_path_factory.mktemp("loop") / "data")
    generate_world(paths.sandbox, days=WORLD_DAYS, seed=WORLD_SEED, now=WORLD_NOW)
    before = world_stats(paths.sandbox)
    assert main(["run"]) == 0
    return paths, before


def test_fct_orders_holds_exactly_the_sandbox_orders(looped_world):
    paths, _ = looped_world
    stats = world_stats(paths.sandbox)
    total = stats["shopify"]["orders_total"]
    assert _scalar(paths.warehouse, "select count(*) from marts.fct_orders") == total
    assert _scalar(paths.warehouse, "select count(distinct order_id) from marts.fct_orders") == total
    assert _scalar(paths.published, "select count(*) from marts.fct_orders") == total
    cancelled = _scalar(paths.warehouse, "select count(*) from marts.fct_orders where status = 'cancelled'")
    assert cancelled == stats["shopify"]["orders_cancelled"]


def test_every_paid_open_valid_order_has_exactly_one_booking(looped_world):
    paths, before = looped_world
    assert before["shopify"]["orders_paid_open_address_valid"] > 0, "the world must leave work to do"
    assert orders_missing_booking(paths.sandbox) == []
    booking = world_stats(paths.sandbox)["click_and_drop"]
    assert booking["duplicate_bookings"] == 0
    assert booking["bookings_accepted_api"] == before["shopify"]["orders_paid_open_address_valid"]


def test_booking_results_flow_back_into_fct_orders(looped_world):
    paths, before = looped_world
    booked = _scalar(
        paths.warehouse,
        "select count(*) from marts.fct_orders where label_booking_status = 'booked'"
        " and tracking_number is not null and status = 'label_booked'",
    )
    assert booked == before["shopify"]["orders_paid_open_address_valid"]
    rejected = world_stats(paths.sandbox)["click_and_drop"]["bookings_rejected"]
    assert rejected > 0, "the world should contain invalid postcodes"
    failed = _scalar(
        paths.warehouse,
        "select count(*) from marts.fct_orders where status = 'label_booking_failed'"
        " and label_failure_reason ilike '%postcode%'",
    )
    assert failed == rejected


def test_sla_columns_are_filled(looped_world):
    paths, _ = looped_world
    missing_due = _scalar(
        paths.warehouse, "select count(*) from marts.fct_orders where despatch_due_at is null"
    )
    assert missing_due == 0
    despatched = _scalar(
        paths.warehouse,
        "select count(*) from marts.fct_orders where despatched_at is not null"
        " and cycle_time_to_despatch_hours > 0 and despatched_on_time is not null",
    )
    assert despatched > 0


def test_a_second_run_changes_nothing(looped_world):
    paths, _ = looped_world
    tables = ["marts.fct_orders", "marts.fct_order_events", "actions.label_bookings", "raw_shopify.orders"]
    counts = {t: _scalar(paths.warehouse, f"select count(*) from {t}") for t in tables}
    bookings = world_stats(paths.sandbox)["click_and_drop"]

    assert main(["run"]) == 0

    assert {t: _scalar(paths.warehouse, f"select count(*) from {t}") for t in tables} == counts
    after = world_stats(paths.sandbox)["click_and_drop"]
    assert after["bookings_accepted"] == bookings["bookings_accepted"]
    assert after["bookings_rejected"] == bookings["bookings_rejected"]
    assert after["duplicate_bookings"] == 0


def test_runs_are_recorded_in_the_dagster_instance(looped_world):
    with DagsterInstance.get() as instance:
        runs = instance.get_runs(RunsFilter(job_name="full_pass_job"))
    assert runs and all(run.status == DagsterRunStatus.SUCCESS for run in runs)
