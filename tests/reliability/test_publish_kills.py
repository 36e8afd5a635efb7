"""The dashboard copy's publication killed half-way, with a dashboard reading it all along: the
published copy is always the old one or the new one, whole, and the next publication goes through.

A real DuckDB warehouse with a marts schema big enough that copying it takes a while, a real
`publish_marts` in a child process killed with SIGKILL while it writes its staging file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

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
