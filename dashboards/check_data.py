"""The data checks' latest results, as the Exception queue page reads them.

The publishing step writes ``marts.pipeline_checks`` (``pipelines/published_checks.py``): each dbt
test's latest evaluation and each source's freshness. A bad source value or a stuck source is an
exception too, of the data rather than of an order, so the page lists the checks that failed or
warned, worst first. A file published before the table existed has no results to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from dashboards.queries import read_published

STATUS_ORDER = ("failed", "warned", "passed")
NOT_PASSED = ("failed", "warned")

CHECKS_SQL = """
select status, asset_key, check_name, evaluated_at, message, severity, check_kind, run_id
from marts.pipeline_checks
where list_contains(cast($statuses as varchar[]), status)
order by
    case status when 'failed' then 0 when 'warned' then 1 else 2 end,
    evaluated_at desc nulls last, asset_key, check_name
"""

SUMMARY_SQL = """
select
    count(*) as checks,
    count(*) filter (where status = 'failed') as failed,
    count(*) filter (where status = 'warned') as warned,
    max(evaluated_at) as latest_at
from marts.pipeline_checks
"""


@dataclass(frozen=True)
class ChecksSummary:
    """How many checks were published, how many failed or warned, and the latest evaluation."""

    checks: int
    failed: int
    warned: int
    latest_at: pd.Timestamp | None


def checks_summary() -> ChecksSummary | None:
    """The counts, or None when the publication carries no check results (an older file)."""
    try:
        row = read_published(SUMMARY_SQL).iloc[0]
    except duckdb.CatalogException:
        return None
    latest = None if pd.isna(row["latest_at"]) else pd.Timestamp(row["latest_at"])
    return ChecksSummary(int(row["checks"]), int(row["failed"]), int(row["warned"]), latest)


def check_results(statuses: Sequence[str] = NOT_PASSED) -> pd.DataFrame:
    """Checks with one of ``statuses``, failed first, then warned, newest first within each."""
    return read_published(CHECKS_SQL, {"statuses": list(statuses)})
