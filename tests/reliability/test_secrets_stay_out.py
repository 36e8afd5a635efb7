"""No API token of a run is written anywhere by that run.

``built_warehouse`` (tests/conftest.py) runs ``orderloop run`` once per session with sandbox
credentials of its own: random strings found nowhere else. Everything the run wrote is searched
for them: the data folder's logs, the Dagster instance (its SQLite event logs and compute logs),
the dlt working folders (state, schemas, traces, load packages, gzipped or not), the landing
area, every text column of the warehouse and of its published copy, and the dbt artifacts and
logs the run wrote in the dbt project. Connector error messages are checked not to quote a token
in the connector tests (e.g. ``tests/connectors/test_shopify_source.py``).

The sandbox's own folder is left out: it is the outside system, which knows its tokens.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from orderloop.paths import DBT_PROJECT_DIR
from tests.conftest import REAL_WORLD_CREDENTIALS

DUCKDB_SUFFIX = ".duckdb"


def written_files(root: Path, since: float) -> Iterator[Path]:
    """Every file of the run's data folder but the sandbox's, and the dbt project's artifacts and
    logs written since the run began."""
    for path in root.rglob("*"):
        if path.is_file() and root / "sandbox" not in path.parents:
            yield path
    for folder in (DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"):
        if folder.exists():
            yield from (p for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime >= since)


def contents(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":  # dlt compresses load package files
        try:
            return data + gzip.decompress(data)
        except (OSError, EOFError):
            return data
    return data


def text_columns_holding(database: Path, needles: list[str]) -> list[str]:
    """``schema.table.column`` of every text column holding one of ``needles``: DuckDB compresses
    strings in its file, so it is asked rather than grepped."""
    found = []
    with duckdb.connect(str(database), read_only=True) as conn:
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_catalog = current_database()"
        ).fetchall()
        pattern = "|".join(re.escape(needle) for needle in needles)
        for schema, table, column in columns:
            hits = conn.execute(
                f'select count(*) from "{schema}"."{table}" where regexp_matches("{column}", ?)', [pattern]
            ).fetchone()[0]
            if hits:
                found.append(f"{schema}.{table}.{column}")
    return found


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    return REAL_WORLD_CREDENTIALS.tokens()


def test_the_run_used_the_sessions_own_tokens(built_warehouse: Path, tokens: dict[str, str]) -> None:
    """The scan below means something only if the run authenticated with these tokens: it
    loaded Shopify and booked labels, which the sandbox allows with them alone."""
    with duckdb.connect(str(built_warehouse / "warehouse.duckdb"), read_only=True) as conn:
        orders = conn.execute("select count(*) from raw_shopify.orders").fetchone()[0]
        booked = conn.execute("select count(*) from actions.label_bookings where tracking_number is not null")
        booked = booked.fetchone()[0]
    assert orders > 0 and booked > 0
    assert all(REAL_WORLD_CREDENTIALS.tag in token for token in tokens.values())


def test_no_token_is_written_to_any_log_artifact_or_table(
    built_warehouse: Path, tokens: dict[str, str]
) -> None:
    since = built_warehouse.parent.stat().st_ctime - 1
    needles = list(tokens.values())
    leaks: list[str] = []
    scanned = 0
    for path in written_files(built_warehouse, since):
        scanned += 1
        if path.suffix == DUCKDB_SUFFIX:
            leaks += [f"{path}: {column}" for column in text_columns_holding(path, needles)]
            continue
        data = contents(path)
        leaks += [f"{path}: {name}" for name, token in tokens.items() if token.encode() in data]
    assert scanned > 50, f"only {scanned} files: is this the run's data folder?"
    assert not leaks, "\n".join(leaks)
