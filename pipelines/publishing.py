"""Publish the marts as a read-only copy for dashboards and sensors.

DuckDB lets one process write a file, and even a reader in another process blocks the
writer. So readers never open the live warehouse: after each successful run the marts
are copied into a fresh file that then atomically replaces the published one. A reader
that has the old file open keeps reading it; the next query opens the new one. A publisher
killed half-way leaves the published copy as it was and its half-written staging file
behind, which the next publication removes.

DuckDB-specific (ATTACH and a file copy); on a server warehouse this step becomes a
schema swap or a no-op.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.check_results import TABLE as CHECKS_TABLE
from pipelines.check_results import CheckResult, write_check_results

PUBLISHED_SCHEMAS = ("marts",)
# The action queues carry what their actions need: the customer's name, delivery address and
# email. Only the actions read them, from the live warehouse, so the copy everyone else reads
# (dashboards, analysts) leaves them out and holds no contact details (docs/personal-data.md).
ACTION_QUEUES = (
    "label_booking_queue",
    "notification_queue",
    "pick_task_queue",
    "refund_queue",
    "stock_sync_queue",
)


def publish_marts(
    warehouse: Path, published: Path, run_id: str | None = None, checks: Sequence[CheckResult] = ()
) -> dict[str, int]:
    """Copy every table and view of the published schemas but the action queues, and write the
    data checks' latest results (``marts.pipeline_checks``) beside them; returns row counts per
    table."""
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_staging(published)
    staging = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect(str(staging)) as conn:
        # ATTACH takes no bound parameters; the path is ours, quotes escaped all the same.
        quoted = str(warehouse).replace("'", "''")
        conn.execute(f"attach '{quoted}' as source (read_only)")
        relations = conn.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_catalog = 'source' and table_schema in ? and table_name not in ?
            order by 1, 2
            """,
            [list(PUBLISHED_SCHEMAS), list(ACTION_QUEUES)],
        ).fetchall()
        for schema in PUBLISHED_SCHEMAS:
            conn.execute(f"create schema {schema}")
        for schema, table in relations:
            conn.execute(f'create table {schema}."{table}" as select * from source.{schema}."{table}"')
            count = conn.execute(f'select count(*) from {schema}."{table}"').fetchone()
            counts[f"{schema}.{table}"] = count[0]
        counts[CHECKS_TABLE] = write_check_results(conn, checks)
        conn.execute("create schema meta")
        conn.execute(
            "create table meta.publication as select ?::timestamp as published_at, ? as run_id",
            [datetime.now(UTC).replace(tzinfo=None), run_id],
        )
        conn.execute("detach source")
    os.replace(staging, published)
    return counts


def remove_abandoned_staging(published: Path) -> list[Path]:
    """Delete the staging files (and their WAL) of publishers that died before renaming them;
    a live publisher's (another process still copying) is left alone. Returns what was removed."""
    removed = []
    for path in published.parent.glob(f".{published.name}.*.tmp*"):
        pid = path.name[len(published.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
