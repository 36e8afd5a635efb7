"""Which dbt nodes a build needs: those downstream of an input that changed since the last build.

Every model is a function of the source tables, the project and the recorded erasures alone
(the lifecycle's "now" is the newest data time, ``int_data_as_of``, never the wall clock), so
a node none of whose sources changed would be rebuilt into what it already holds. A pass with
nothing new used to spend most of its time rebuilding and retesting all of them.

Each successful build records, per build group (the three dbt steps of a pass, or the bench's
one build), a fingerprint of every source table it could read and the sources it rebuilt for.
The next build of that group builds only the descendants of sources whose fingerprint moved,
plus those another group rebuilt for since (an earlier group's model it reads may have
changed), and nothing at all when neither happened. A changed project (any model, macro, seed,
test or profile, or the dbt version), a recorded erasure, a group with no record and
``--full-refresh`` build everything, as before.

Tests follow the same record: a key test of a staging view over a dlt table checks the keys of
the rows loaded since the group's last build against every row (``open_test_windows``, read by
the project's ``tested_through`` macro). Older rows were checked by that build or an earlier
one, and a load adds rows with a newer load id, so the pairs left out were all checked before.

Fingerprints are cheap where the data is large: a dlt table is its row count and newest
``_dlt_load_id`` (dlt stamps every row it writes, and load ids grow), a dlt child table its
count and its root table's load id; tables the pipeline's own steps write (ledgers, routing,
rules, validation) are their row count and a sum of row hashes, so a step that rewrites the
same rows changes nothing. DuckDB-specific: ``hash`` of a row, and the record table's JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

from orderloop.paths import DBT_PROJECT_DIR

STATE_SCHEMA = "pipeline_state"
BUILDS_TABLE = f"{STATE_SCHEMA}.dbt_builds"
# Read by dbt_project/macros/tested_through.sql; the name is repeated there.
TEST_WINDOWS_TABLE = f"{STATE_SCHEMA}.dbt_test_windows"
ERASURES_TABLE = "privacy.erasures"  # orderloop.erasure scrubs every table in place
LOAD_ID = "_dlt_load_id"
DLT_LOADS = "_dlt_loads"
# dlt tables smaller than this are hashed whenever their load id moves (about 15 ms), so the
# first run after a look-back source merged the same rows again costs nothing; larger ones only
# when their row count stayed the same.
HASHED_BELOW_ROWS = 250_000
# Builds of each group kept; the newest is what the next build compares with.
KEPT_PER_GROUP = 20
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_FOLDERS = ("models", "macros", "seeds", "tests")
PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv"}
BUILT_RESOURCES = {"model", "seed", "snapshot"}
# [rows, newest dlt load id or None, content hash or None]; None: the table does not exist.
Fingerprint = list[Any] | None

BUILDS_DDL = f"""
create table if not exists {BUILDS_TABLE} (
    serial bigint primary key,
    build_group varchar not null,
    project varchar not null,
    sources json not null,
    rebuilt json not null,  -- unique ids of the models and seeds the build rebuilt
    finished_at timestamp not null
)
"""


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A digest of every project file a build compiles, and of dbt's and the adapter's versions."""
    digest = hashlib.sha256(f"dbt-core {version('dbt-core')} dbt-duckdb {version('dbt-duckdb')}".encode())
    files = [project_dir / name for name in PROJECT_FILES]
    for folder in PROJECT_FOLDERS:
        files.extend(p for p in (project_dir / folder).rglob("*") if p.suffix in PROJECT_SUFFIXES)
    for path in sorted(p for p in files if p.is_file()):
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class BuildPlan:
    """What one build of ``group`` needs; ``record_build`` stores it once the build succeeded."""

    group: str
    project: str
    sources: Mapping[str, Fingerprint]
    full: bool
    reason: str
    # The nodes to build (when not ``full``): everything downstream of a changed source or of a
    # model another group rebuilt since this group's last build.
    needed: frozenset[str] = frozenset()
    # Per source table ("shopify.orders"), the newest load id the last build of this group read:
    # rows loaded after it are the ones this build's key tests must check.
    tested_through: Mapping[str, str] = field(default_factory=dict)

    def needs(self, unique_id: str) -> bool:
        """Whether the node (model, seed, test...) must be built in this build."""
        return self.full or unique_id in self.needed

    def exclusions(self, manifest: Mapping[str, Any]) -> list[str]:
        """dbt ``--exclude`` selectors for the built resources and sources this build leaves as
        they are; their tests follow them (a test with one parent built still runs)."""
        if self.full:
            return []
        names = [
            node["name"] for uid, node in manifest["nodes"].items()
            if node["resource_type"] in BUILT_RESOURCES and uid not in self.needed
        ]
        sources = [
            f"source:{s['source_name']}.{s['name']}" for uid, s in manifest["sources"].items()
            if uid not in self.needed
        ]
        return sorted(names) + sorted(sources)


def plan_build(
    conn: duckdb.DuckDBPyConnection,
    manifest: Mapping[str, Any],
    group: str,
    full_refresh: bool = False,
    project: str | None = None,
) -> BuildPlan:
    """The nodes ``group`` must build now, from its last recorded build and the sources today."""
    project = project or project_fingerprint()
    last = _last_build(conn, group)
    sources, changed = source_fingerprints(conn, manifest, last[2] if last else {})

    def everything(reason: str) -> BuildPlan:
        return BuildPlan(group, project, sources, True, reason)

    if full_refresh:
        return everything("full refresh")
    if last is None:
        return everything("no earlier build of this group")
    serial, last_project, _ = last
    if last_project != project:
        return everything("the dbt project changed")
    if ERASURES_TABLE in changed:
        return everything("a customer's data was erased")
    rebuilt_elsewhere = _rebuilt_by_others_since(conn, group, serial)
    needed = _descendants(manifest, (changed & set(manifest["sources"])) | rebuilt_elsewhere)
    names = sorted(".".join(uid.split(".")[2:]) for uid in changed)
    reason = (
        f"sources changed: {', '.join(names) or 'none'}; models rebuilt by other builds since:"
        f" {len(rebuilt_elsewhere)}"
    )
    tested_through = {
        ".".join(uid.split(".")[2:]): printed[1]
        for uid, printed in last[2].items() if uid in manifest["sources"] and printed and printed[1]
    }
    return BuildPlan(group, project, sources, False, reason, frozenset(needed), tested_through)


def open_test_windows(conn: duckdb.DuckDBPyConnection, plan: BuildPlan | None) -> None:
    """Tell the coming build's key tests which rows are new: per source table, the load id the
    group's last build read. A full build (a hand-picked subset, or no plan at all) leaves the
    table empty, and its tests read every row.

    A ``dbt build`` run by hand later reads what the last planned build left here; that window
    is still safe (the rows before it were checked by a successful build), only not the tightest.
    """
    _ensure_table(conn)
    conn.execute(
        f"create or replace table {TEST_WINDOWS_TABLE}"
        " (source_table varchar primary key, tested_through varchar not null)"
    )
    if plan is not None and not plan.full and plan.tested_through:
        conn.executemany(
            f"insert into {TEST_WINDOWS_TABLE} values (?, ?)", sorted(plan.tested_through.items())
        )


def record_build(conn: duckdb.DuckDBPyConnection, plan: BuildPlan, nodes: Iterable[str]) -> None:
    """Store a successful build's inputs and the models it rebuilt (of ``nodes``, the group's
    selection), so the next build of each group starts from them."""
    _ensure_table(conn)
    rebuilt = sorted(uid for uid in nodes if plan.needs(uid) and uid.split(".")[0] in BUILT_RESOURCES)
    conn.execute(
        f"insert into {BUILDS_TABLE} select coalesce(max(serial), 0) + 1, ?, ?, ?, ?, ? from {BUILDS_TABLE}",
        [plan.group, plan.project, json.dumps(dict(plan.sources), sort_keys=True), json.dumps(rebuilt),
         datetime.now(UTC).replace(tzinfo=None)],
    )
    conn.execute(
        f"delete from {BUILDS_TABLE} where build_group = ? and serial not in"
        f" (select serial from {BUILDS_TABLE} where build_group = ? order by serial desc limit ?)",
        [plan.group, plan.group, KEPT_PER_GROUP],
    )


def source_fingerprints(
    conn: duckdb.DuckDBPyConnection, manifest: Mapping[str, Any], last: Mapping[str, Fingerprint]
) -> tuple[dict[str, Fingerprint], set[str]]:
    """Each source table's fingerprint (None before it exists) and of the erasure log, and the
    ids of those whose content differs from ``last``.

    A fingerprint is ``[rows, newest load id, content hash]``. The first two come from column
    statistics, so an unchanged dlt table costs milliseconds. A dlt table whose load id moved is
    hashed, without dlt's own per-load columns, when it is small or its row count did not move
    (a source re-read with a look-back and merged again), and is unchanged when the hash is. A
    table without load ids (written by the pipeline's steps) is always hashed.
    """
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in conn.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
    ).fetchall():
        columns.setdefault((schema, table), []).append(column)

    def load_id(schema: str, table: str) -> str | None:
        if LOAD_ID in columns.get((schema, table), []):
            return conn.execute(f'select max({LOAD_ID}) from "{schema}"."{table}"').fetchone()[0]
        root = table.split("__")[0]  # a dlt child table is written only in a load of its root
        if (schema, DLT_LOADS) in columns and LOAD_ID in columns.get((schema, root), []):
            return conn.execute(f'select max({LOAD_ID}) from "{schema}"."{root}"').fetchone()[0]
        return None

    def content(schema: str, table: str) -> str:
        kept = [c for c in columns[(schema, table)] if not c.startswith("_dlt_") or c == "_dlt_list_idx"]
        row = ", ".join(f'"{c}"' for c in kept)
        (hashed,) = conn.execute(f'select sum(hash(row({row}))) from "{schema}"."{table}"').fetchone()
        return str(hashed)

    def fingerprint(schema: str, table: str, before: Fingerprint) -> tuple[Fingerprint, bool]:
        if (schema, table) not in columns:
            return None, before is not None
        (rows,) = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
        newest = load_id(schema, table)
        if newest is not None:
            if before is not None and before[:2] == [rows, newest]:
                return before, False
            if rows >= HASHED_BELOW_ROWS and (before is None or before[0] != rows):
                return [rows, newest, None], True
        hashed = content(schema, table)
        return [rows, newest, hashed], before is None or before[2] != hashed or before[0] != rows

    prints: dict[str, Fingerprint] = {}
    changed: set[str] = set()
    tables = {uid: (s["schema"], s["identifier"]) for uid, s in manifest["sources"].items()}
    tables[ERASURES_TABLE] = tuple(ERASURES_TABLE.split("."))
    for uid, (schema, table) in tables.items():
        prints[uid], moved = fingerprint(schema, table, last.get(uid))
        if moved:
            changed.add(uid)
    return prints, changed


def _descendants(manifest: Mapping[str, Any], roots: Iterable[str]) -> set[str]:
    child_map = manifest["child_map"]
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(child_map.get(node, []))
    return seen


def _ensure_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"create schema if not exists {STATE_SCHEMA}")
    conn.execute(BUILDS_DDL)


def _has_table(conn: duckdb.DuckDBPyConnection) -> bool:
    schema, table = BUILDS_TABLE.split(".")
    return bool(conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
        " and table_catalog = current_database()",
        [schema, table],
    ).fetchone()[0])


def _last_build(
    conn: duckdb.DuckDBPyConnection, group: str
) -> tuple[int, str, dict[str, Fingerprint]] | None:
    if not _has_table(conn):
        return None
    row = conn.execute(
        f"select serial, project, sources from {BUILDS_TABLE} where build_group = ?"
        " order by serial desc limit 1",
        [group],
    ).fetchone()
    return None if row is None else (row[0], row[1], json.loads(row[2]))


def _rebuilt_by_others_since(conn: duckdb.DuckDBPyConnection, group: str, serial: int) -> set[str]:
    rows = conn.execute(
        f"select rebuilt from {BUILDS_TABLE} where build_group <> ? and serial > ?", [group, serial]
    ).fetchall()
    return {uid for (value,) in rows for uid in json.loads(value)}
