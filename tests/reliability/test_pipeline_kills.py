"""A pass killed (SIGKILL) where issue 8 asks: during `dbt build` and during the publication of the
dashboard copy. The next run recovers: nothing lost, nothing done twice, the published copy always
the old one or the new one, whole. (Kills during a dlt load are in tests/connectors/, during an
action between its call and its ledger write in test_action_crashes.py.)

The publication: a real DuckDB warehouse with a marts schema big enough that copying it takes a
while, a real `publish_marts` in a child process killed while it writes its staging file, with a
dashboard process reading the copy all along. The dbt build: a real `orderloop run` on the test
world, killed with its whole process group while the dbt build after the actions runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.publishing import publish_marts
from tests.connectors.support import kill_when

ROWS = 1_000_000  # per table: enough for the copy to take a moment
PUBLISH = """
import sys
from pathlib import Path
from pipelines.publishing import publish_marts
publish_marts(Path(sys.argv[1]), Path(sys.argv[2]), run_id=sys.argv[3])
"""
# A dashboard in its own process (as Streamlit is): opens the copy, answers each line on stdin with
# the rows and newest version of fct_orders it reads through that same open connection.
DASHBOARD = """
import sys
import duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
for _ in sys.stdin:
    print(*conn.execute("select count(*), max(version) from marts.fct_orders").fetchone(), flush=True)
"""


def _build_marts(warehouse: Path, version: int) -> None:
    """Two big marts tables; every row of every table carries the version that wrote it."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create schema if not exists marts")
        for table in ("fct_orders", "fct_order_events"):
            conn.execute(
                f"create or replace table marts.{table} as"
                f" select range as id, {version} as version, md5(range::text) as payload from range({ROWS})"
            )


def _published_versions(published: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: rows, distinct versions, the version; and the run that published it."""
    with duckdb.connect(str(published), read_only=True) as conn:
        return {
            table: conn.execute(f"select count(*), count(distinct version), max(version) from marts.{table}")
            .fetchone()
            for table in ("fct_orders", "fct_order_events")
        } | {"run": conn.execute("select run_id from meta.publication").fetchone()}


def _staging(published: Path) -> list[Path]:
    return sorted(published.parent.glob(f".{published.name}.*.tmp*"))


def test_a_publication_killed_half_way_leaves_the_old_copy_whole_and_readable(tmp_path):
    warehouse, published = tmp_path / "warehouse.duckdb", tmp_path / "published" / "warehouse.duckdb"
    _build_marts(warehouse, version=1)
    publish_marts(warehouse, published, run_id="run-1")
    old = {"fct_orders": (ROWS, 1, 1), "fct_order_events": (ROWS, 1, 1), "run": ("run-1",)}
    assert _published_versions(published) == old

    _build_marts(warehouse, version=2)
    dashboard = subprocess.Popen(
        [sys.executable, "-c", DASHBOARD, str(published)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )

    def dashboard_reads() -> str:
        dashboard.stdin.write("read\n")
        dashboard.stdin.flush()
        return dashboard.stdout.readline().strip()

    try:
        assert dashboard_reads() == f"{ROWS} 1"
        publisher = subprocess.Popen(
            [sys.executable, "-c", PUBLISH, str(warehouse), str(published), "run-2"], env=dict(os.environ)
        )

        def copying() -> bool:
            return any(p.stat().st_size > 3_000_000 for p in _staging(published) if p.exists())

        kill_when(publisher, copying, "while it copies the marts into its staging file")
        assert _staging(published), "the killed publisher leaves its half-written file behind"
        assert _published_versions(published) == old, "the published copy is still the old one, whole"
        assert dashboard_reads() == f"{ROWS} 1"

        publish_marts(warehouse, published, run_id="run-3")
        assert _staging(published) == [], "the next publication removed the dead one's staging file"
        new = {"fct_orders": (ROWS, 1, 2), "fct_order_events": (ROWS, 1, 2), "run": ("run-3",)}
        assert _published_versions(published) == new
        # The dashboard's open connection still reads the copy it opened, whole; a new one the new copy.
        assert dashboard_reads() == f"{ROWS} 1"
    finally:
        dashboard.stdin.close()
        dashboard.wait(timeout=30)


def _dbt_builds_of(session: int) -> dict[int, float]:
    """The `dbt build` processes running in a process session, with when each started (seconds
    since boot, from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        is_dbt_build = any(part.endswith(b"dbt") for part in command) and b"build" in command
        if int(fields[3]) == session and is_dbt_build:
            found[int(proc.name)] = int(fields[19]) / ticks
    return found


def _uptime() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


@pytest.mark.soak  # two whole passes: about 70 s on an idle machine, too long for make test
def test_a_pass_killed_during_dbt_build_after_the_actions_is_caught_up_by_the_next_once(world):
    """`orderloop run` SIGKILLed (its whole process group: dbt too) while its third `dbt build`
    (the marts after the actions) runs; the next `orderloop run` ends with every sandbox order in the
    warehouse and the published copy once, and every label booked exactly once."""
    from dagster import DagsterInstance, DagsterRunStatus

    from orderloop.cli import main
    from sandbox.stats import orders_missing_booking, world_stats

    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to see dbt's process")
    run = subprocess.Popen([sys.executable, "-m", "orderloop.cli", "run"], env=dict(os.environ),
                           start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[int, float] = {}
    deadline = time.monotonic() + 240
    try:
        while True:  # until the third dbt build has been running a second and a half
            running = _dbt_builds_of(run.pid)
            seen.update(running)
            starts = sorted(seen.values())
            if len(starts) >= 3 and running and _uptime() - starts[2] > 1.5:
                break
            assert run.poll() is None, "the pass ended before its third dbt build could be killed"
            assert time.monotonic() < deadline, "the pass never got to its third dbt build"
            time.sleep(0.05)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # orderloop and its dbt together, as an OOM kill would
        run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL
    booked_before = world_stats(world.sandbox)["click_and_drop"]["bookings_accepted_api"]
    assert booked_before > 0, "the killed pass had booked labels before dbt was killed"

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
    assert booking["bookings_accepted_api"] == booked_before, "the next pass booked nothing twice"
    with DagsterInstance.get() as instance:
        statuses = [r.status for r in instance.get_runs()]
    assert statuses.count(DagsterRunStatus.SUCCESS) == 1 and DagsterRunStatus.STARTED not in statuses
