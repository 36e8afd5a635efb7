"""Other processes at the warehouse while the pipeline writes: an analyst with the live warehouse open,
two loaders at once. DuckDB locks the file across processes; the writer that cannot get the lock must
fail saying so (never write half, never corrupt), and the next run must catch up with nothing lost and
nothing doubled. (A dashboard reading the published copy during a publication is in
test_publish_kills.py.)

The calendar source loads from the `holidays` package, so these tests need no HTTP at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from connectors.calendar import calendar_source
from connectors.destination import load_pending_packages, warehouse_pipeline

# An analyst's notebook: the live warehouse open read-only until told to close it.
ANALYST = """
import sys
import duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
print(conn.execute("select count(*) from raw_calendar.public_holidays").fetchone()[0], flush=True)
sys.stdin.readline()
conn.close()
"""


def _holidays(warehouse: Path) -> tuple[int, int]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select count(*), count(distinct (region, holiday_date)) from raw_calendar.public_holidays"
        ).fetchone()


def _load(paths, first_year: int, last_year: int):
    pipeline = warehouse_pipeline("calendar", paths.warehouse, paths.dlt_pipelines)
    load_pending_packages(pipeline)
    return pipeline.run(calendar_source(first_year=first_year, last_year=last_year))


def test_an_analyst_holding_the_warehouse_open_fails_the_load_clearly_and_the_next_run_catches_up(
    data_paths,
):
    _load(data_paths, 2025, 2025)
    one_year = _holidays(data_paths.warehouse)
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(data_paths.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    try:
        assert int(analyst.stdout.readline()) == one_year[0], "the analyst has the warehouse open"
        with pytest.raises(PipelineStepFailed) as failure:
            _load(data_paths, 2025, 2027)
        message = str(failure.value)
        assert "lock" in message.lower() and str(data_paths.warehouse) in message, message
        assert f"PID {analyst.pid}" in message, "the error names the process holding the warehouse"
    finally:
        analyst.stdin.close()
        analyst.wait(timeout=30)
    assert _holidays(data_paths.warehouse) == one_year, "the failed load wrote nothing"

    _load(data_paths, 2025, 2027)
    rows, distinct = _holidays(data_paths.warehouse)
    assert rows == distinct > one_year[0] * 2.5, "the next run loaded the three years, each holiday once"


@pytest.mark.soak  # three whole passes, two of them at once: minutes, left to make soak
def test_two_passes_at_once_then_one_more_leave_every_order_once_and_every_label_booked_once(world):
    """Two schedules firing at once, as two `orderloop run` processes on one data folder: each
    either completes or fails saying why (DuckDB's lock, Dagster's pool), never half-writes; a
    pass after them catches up and the totals reconcile with the sandbox's own."""
    from orderloop.cli import main
    from sandbox.stats import orders_missing_booking, world_stats

    command = [sys.executable, "-m", "orderloop.cli", "run"]
    runs = [subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=900)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        print(f"concurrent pass {run.pid}: exit {run.returncode}: {output.strip().splitlines()[:2]}")
        assert run.returncode in (0, 1), output
        if run.returncode == 1:
            assert "failed. Step output:" in output, output
    assert main(["run"]) == 0
    stats = world_stats(world.sandbox)
    total = stats["shopify"]["orders_total"] + stats["woocommerce"]["orders_total"]
    for copy in (world.warehouse, world.published):
        with duckdb.connect(str(copy), read_only=True) as conn:
            counts = conn.execute("select count(*), count(distinct order_id) from marts.fct_orders")
            counts = counts.fetchone()
        assert counts == (total, total), copy
    assert orders_missing_booking(world.sandbox) == []
    booking = stats["click_and_drop"]
    assert booking["duplicate_bookings"] == booking["unmatched_bookings"] == 0
