"""The holiday calendar loads once and again only when the holidays change (connectors/calendar).

Every pass runs the calendar source; the rows are the same pass after pass, so a pass that
finds them unchanged must not merge them again, and a change of years (or regions, or the
``holidays`` package's rules) must land. Real dlt into a real DuckDB file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from connectors.calendar import calendar_source
from connectors.destination import warehouse_pipeline


def _loads(warehouse: Path) -> list[tuple[str, int]]:
    """Each load id in the raw table, with its row count."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select _dlt_load_id, count(*) from raw_calendar.public_holidays group by 1 order by 1"
        ).fetchall()


def test_unchanged_holidays_are_not_loaded_again_and_changed_ones_are(tmp_path: Path) -> None:
    warehouse, pipelines = tmp_path / "warehouse.duckdb", tmp_path / "dlt"

    warehouse_pipeline("calendar", warehouse, pipelines).run(calendar_source(first_year=2025, last_year=2026))
    [(first_load, rows)] = _loads(warehouse)
    assert rows >= 16  # England's eight or so bank holidays a year

    info = warehouse_pipeline("calendar", warehouse, pipelines).run(
        calendar_source(first_year=2025, last_year=2026)
    )
    assert _loads(warehouse) == [(first_load, rows)]
    assert not info.has_failed_jobs

    # A year more: the rows differ, so they are merged again, every one under the new load.
    warehouse_pipeline("calendar", warehouse, pipelines).run(calendar_source(first_year=2025, last_year=2027))
    [(later_load, more_rows)] = _loads(warehouse)
    assert later_load != first_load and more_rows > rows

    # A new pipeline folder (the local state lost) restores the state from the warehouse.
    warehouse_pipeline("calendar", warehouse, tmp_path / "dlt_again").run(
        calendar_source(first_year=2025, last_year=2027)
    )
    assert _loads(warehouse) == [(later_load, more_rows)]
