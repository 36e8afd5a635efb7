"""Publish the marts as a read-only copy for dashboards and sensors.

DuckDB lets one process write a file, and even a reader in another process blocks the
writer. So readers never open the live warehouse: after each successful run the marts
are written into a staging file that then atomically replaces the published one. A reader
that has the old file open keeps reading it; the next query opens the new one. A publisher
killed half-way leaves the published copy as it was and its half-written staging file
behind, which the next publication removes.

The published file holds tables only: a view of the warehouse (``fct_order_events`` is one)
is published as a table of its rows, so readers never need the warehouse.

Only what changed is published. The staging file starts as a byte copy of the published
one (a file copy is far cheaper than rewriting its tables), and a table that dbt rebuilds by
order (it has ``order_id`` and dbt's bookkeeping column ``_built_at``; the incremental
models rewrite every row of a touched order with a new ``_built_at``) gets a delta: the
staged rows of the orders whose source rows are newer than the watermark recorded at the
last publication are deleted and those source rows inserted. ``meta.published_tables``
records each table's watermark (``built_through``) and whether it went by delta or in full,
and why. A table goes in full when it has no watermark, its columns changed, every source
row is newer than the watermark (a ``--full-refresh``: a copy is cheaper), the source is
older than the watermark, or the delta leaves a row count other than the source's (orders
that disappeared). The delta trusts dbt's stamps: a row changed without a newer ``_built_at``
(a model updating rows in place, a clock set back) stays as published until the table is next
copied in full, as after the nightly ``--full-refresh``. Every other table is copied in full.
Deleted rows and dropped tables leave
dead space in a copied file, so a publication starts from scratch instead once the published
file is more than ``MAX_GROWTH`` times the size of the last one written from scratch
(``meta.published_file``).

DuckDB-specific (ATTACH, a file copy, DuckDB's file growth); on a server warehouse this step
becomes a schema swap or a no-op.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orderloop.warehouse_memory import duckdb_memory_limit
from pipelines.published_checks import TABLE as CHECKS_TABLE
from pipelines.published_checks import CheckResult, write_check_results

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
BUILT_AT = "_built_at"  # dbt's bookkeeping: when the build that wrote the row started
ORDER_KEY = "order_id"  # the incremental models' delete+insert key
# The staging file's catalog: named explicitly, as the warehouse takes the name DuckDB derives
# from its file (see _attach_warehouse), which the staging file's own would repeat.
STAGING_CATALOG = "orderloop_publication"
# A copied file keeps the space of deleted rows and dropped tables (DuckDB reuses free blocks
# but never shrinks a file much); past this many times its fresh size, start from scratch.
MAX_GROWTH = 2.0
PUBLISHED_TABLES_DDL = """
create or replace table meta.published_tables (
    table_name varchar not null,
    method varchar not null,  -- delta or full
    reason varchar,           -- why in full
    built_through timestamp,  -- max(_built_at) published: the next delta's watermark
    rows bigint not null
)
"""


def publish_marts(
    warehouse: Path, published: Path, run_id: str | None = None, checks: Sequence[CheckResult] = ()
) -> dict[str, int]:
    """Publish every table and view of the published schemas but the action queues (by delta
    where the published copy allows it), and write the data checks' latest results
    (``marts.pipeline_checks``) beside them; returns row counts per table."""
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_staging(published)
    staging = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    scratch_reason = _why_not_from_copy(published)
    from_copy = scratch_reason is None
    if from_copy:
        shutil.copyfile(published, staging)
    counts: dict[str, int] = {}
    # Under the memory budget dbt and dlt have (orderloop.warehouse_memory): at 10M orders a
    # publication at DuckDB's default took 5.2 GiB, more than the builds were allowed.
    with duckdb.connect(config={"memory_limit": duckdb_memory_limit()}) as conn:
        conn.execute(f"attach {_quote(staging)} as {STAGING_CATALOG}")
        conn.execute(f"use {STAGING_CATALOG}")
        source = _attach_warehouse(conn, warehouse)
        relations = conn.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_catalog = ? and table_schema in ? and table_name not in ?
            order by 1, 2
            """,
            [source, list(PUBLISHED_SCHEMAS), list(ACTION_QUEUES)],
        ).fetchall()
        watermarks: dict[str, datetime] = {}
        fresh_bytes = None
        if from_copy:  # the bookkeeping of the copy itself: it is what the deltas apply to
            watermarks = dict(
                conn.execute(
                    "select table_name, built_through from meta.published_tables"
                    " where built_through is not null"
                ).fetchall()
            )
            fresh_bytes = conn.execute("select fresh_bytes from meta.published_file").fetchone()[0]
            _drop_all_but(conn, {f"{schema}.{table}" for schema, table in relations})
        for schema in PUBLISHED_SCHEMAS:
            conn.execute(f"create schema if not exists {schema}")
        records = []
        for schema, table in relations:
            name = f"{schema}.{table}"
            method, reason, built_through, rows = _publish_table(
                conn, source, schema, table, watermarks.get(name)
            )
            counts[name] = rows
            records.append((name, method, reason, built_through, rows))
        counts[CHECKS_TABLE] = write_check_results(conn, checks)
        conn.execute("create schema if not exists meta")
        conn.execute(
            "create or replace table meta.publication as select ?::timestamp as published_at, ? as run_id",
            [datetime.now(UTC).replace(tzinfo=None), run_id],
        )
        conn.execute(PUBLISHED_TABLES_DDL)
        conn.executemany("insert into meta.published_tables values (?, ?, ?, ?, ?)", records)
        conn.execute(f'detach "{source}"')
        if fresh_bytes is None:  # written from scratch: the size later copies are held to
            conn.execute(f"checkpoint {STAGING_CATALOG}")
            fresh_bytes = staging.stat().st_size
        conn.execute(
            "create or replace table meta.published_file as"
            " select ?::bigint as fresh_bytes, ?::varchar as started_from",
            [fresh_bytes, "copy" if from_copy else f"scratch: {scratch_reason}"],
        )
        # Everything in the file itself, none of it in a WAL left behind.
        conn.execute(f"checkpoint {STAGING_CATALOG}")
    os.replace(staging, published)
    return counts


def _why_not_from_copy(published: Path) -> str | None:
    """Why a publication should not start from a copy of the published file, or None if it
    should: it records a watermark to take a delta from and has not grown past ``MAX_GROWTH``
    times its fresh size. A file this code did not write (or cannot read) is not copied."""
    if not published.exists():
        return "no published copy"
    try:
        with duckdb.connect() as conn:
            conn.execute(f"attach {_quote(published)} as previous (read_only)")
            fresh_bytes = conn.execute("select fresh_bytes from previous.meta.published_file").fetchone()[0]
            watermarks = conn.execute(
                "select count(*) from previous.meta.published_tables where built_through is not null"
            ).fetchone()[0]
    except duckdb.Error:
        return "no bookkeeping in the published copy"
    if not fresh_bytes or watermarks == 0:
        return "no watermark in the published copy"
    growth = published.stat().st_size / fresh_bytes
    return f"grown to {growth:.1f}x its fresh size" if growth > MAX_GROWTH else None


def _publish_table(
    conn: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str, watermark: datetime | None
) -> tuple[str, str | None, datetime | None, int]:
    """Publish one table or view of the warehouse (attached as ``catalog``) into the staging
    file as a table, by delta if it can; returns the method, why in full, the watermark to
    record and the rows published."""
    target, source = f'{schema}."{table}"', f'"{catalog}".{schema}."{table}"'
    columns = _columns(conn, catalog, schema, table)
    names = [name for name, _ in columns]
    if BUILT_AT not in names or ORDER_KEY not in names:
        conn.execute(f"create or replace table {target} as select * from {source}")
        return "full", "not rebuilt by order", None, _count(conn, target)
    rows, stamped, oldest, newest = conn.execute(
        f"select count(*), count({BUILT_AT}), min({BUILT_AT}), max({BUILT_AT}) from {source}"
    ).fetchone()
    built_through = newest if stamped == rows else None  # rows without a stamp: no watermark
    if watermark is None:
        reason = "no watermark"
    elif built_through is None:
        reason = "empty" if rows == 0 else f"rows without {BUILT_AT}"
    elif _columns(conn, _current_catalog(conn), schema, table) != columns:
        reason = "columns changed"
    elif oldest > watermark:
        reason = "every row rebuilt"
    elif newest < watermark:
        reason = "source older than the published copy"
    else:
        conn.execute(
            f"delete from {target} where {ORDER_KEY} in"
            f" (select {ORDER_KEY} from {source} where {BUILT_AT} > ?)",
            [watermark],
        )
        conn.execute(f"insert into {target} select * from {source} where {BUILT_AT} > ?", [watermark])
        if _count(conn, target) == rows:
            return "delta", None, built_through, rows
        reason = "rows differ after the delta"  # orders gone from the source (a full refresh)
    conn.execute(f"create or replace table {target} as select * from {source}")
    return "full", reason, built_through, rows


def _attach_warehouse(conn: duckdb.DuckDBPyConnection, warehouse: Path) -> str:
    """Attach the warehouse read-only under the catalog name DuckDB gives its file, the name
    dbt's connection had: dbt-duckdb's views name the relations they read with it
    (``warehouse.intermediate.x``), so under any other name they would not bind."""
    def catalogs() -> set[str]:
        return {name for (name,) in conn.execute("select database_name from duckdb_databases()").fetchall()}

    before = catalogs()
    conn.execute(f"attach {_quote(warehouse)} (read_only)")
    (name,) = catalogs() - before
    return name


def _drop_all_but(conn: duckdb.DuckDBPyConnection, keep: set[str]) -> None:
    """Drop the copied file's tables the source no longer has (and the checks, written anew)."""
    catalog = _current_catalog(conn)
    for schema, table, kind in conn.execute(
        "select table_schema, table_name, table_type from information_schema.tables"
        " where table_catalog = ? and table_schema in ?",
        [catalog, list(PUBLISHED_SCHEMAS)],
    ).fetchall():
        if f"{schema}.{table}" not in keep:
            conn.execute(f'drop {"view" if kind == "VIEW" else "table"} {schema}."{table}"')


def _columns(conn: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()


def _current_catalog(conn: duckdb.DuckDBPyConnection) -> str:
    return conn.execute("select current_database()").fetchone()[0]


def _count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


def _quote(path: Path) -> str:
    """A path as a SQL string literal: ATTACH takes no bound parameters."""
    return "'" + str(path).replace("'", "''") + "'"


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
