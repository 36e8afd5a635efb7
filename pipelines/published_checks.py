"""``marts.pipeline_checks``: the data checks' latest results as a table of the published copy.

The results come from the Dagster instance (``pipelines/check_results.py``); the table and its
writer live here, free of Dagster, so publication (a DuckDB-only step, which the bench runs in
a process of its own) does not import Dagster: about 0.7 s of every publication's start-up.

Writing the table is DuckDB-specific (it is written into the published DuckDB file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime

import duckdb

TABLE = "marts.pipeline_checks"
TABLE_DDL = f"""
create table {TABLE} (
    asset_key varchar not null,
    check_name varchar not null,
    check_kind varchar not null,
    status varchar not null,
    passed boolean not null,
    severity varchar not null,
    evaluated_at timestamp,
    run_id varchar,
    message varchar
)
"""


@dataclass(frozen=True)
class CheckResult:
    """One check's latest outcome; ``status`` is failed, warned or passed."""

    asset_key: str
    check_name: str
    check_kind: str
    status: str
    passed: bool
    severity: str
    evaluated_at: datetime | None
    run_id: str | None
    message: str | None


def write_check_results(conn: duckdb.DuckDBPyConnection, results: Sequence[CheckResult]) -> int:
    """Create ``marts.pipeline_checks`` in ``conn`` (schema ``marts`` exists) and fill it."""
    conn.execute(TABLE_DDL)
    if results:
        rows = [astuple(result) for result in results]
        conn.executemany(f"insert into {TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(results)
