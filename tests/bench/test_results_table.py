"""The bench's verdicts set each target against the floors measured in the same run.

The smoke run in test_bench_smoke.py skips the incremental run (the CI budget), so the
incremental verdict's arithmetic is checked here on figures chosen by hand.
"""

from __future__ import annotations

from typing import Any

from bench.results_table import markdown


def _stage(seconds: float) -> dict[str, Any]:
    return {"seconds": seconds, "peak_rss_mib": 100.0, "runs_seconds": [seconds]}


def _result(with_floors: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "orders": 1_000_000, "measured_at": "2026-11-30T10:00:00+00:00", "repeat": 1, "raw_rows": 9_000_000,
        "machine": {"cpus": 2, "memory_gib": 23.5, "platform": "test"},
        "stages": {name: _stage(seconds) for name, seconds in {
            "limit": 2.0, "peer": 8.0, "ingest_limit": 15.0,
            "ingest": 30.0, "transform": 60.0, "publish": 10.0,
        }.items()},
        "failures": {},
        "ingest_sources": {"shopify": {"rows": 1, "dlt_rows_per_second": 1.0, "duckdb_rows_per_second": 1.0,
                                       "ratio_to_duckdb": 2.0}},
        "incremental": {
            "new_orders": 10_000, "new_raw_rows": 57_000, "dbt_nodes": 100,
            "stages": {"ingest": _stage(4.0), "transform": _stage(15.0), "publish": _stage(1.0)},
            "idle_stages": {"ingest": _stage(3.0), "transform": _stage(2.0), "publish": _stage(1.0)},
            "cross_check": {"agree": True},
        },
        "cross_check": {"orders": 1_000_000, "days": 181, "days_disagreeing_with_limit": 0, "agree": True},
        "slowest_dbt_nodes": [], "dbt_nodes": 225,
    }
    if with_floors:
        result["floors"] = {
            "fixed_cost_orders": 100, "fixed_cost_dbt_nodes": 225,
            "fixed_cost_stages": {"ingest": _stage(4.0), "transform": _stage(11.0), "publish": _stage(0.7)},
            "writes": {"seconds": 6.0, "tables": 34, "rows": 9_950_000,
                       "largest": [{"table": "intermediate.int_order_events_unioned", "seconds": 3.0}]},
        }
    return result


def _line(table: str, starts: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(starts))


def test_the_incremental_verdict_adds_dbts_cost_per_node_to_the_proportional_run() -> None:
    line = _line(markdown(_result(with_floors=True)), "- incremental run")
    # Full build 100 s; nothing new 6 s; proportional 6 + 1% of 94 = 6.94 s; dbt per node
    # (11 - 2) / 225 = 40 ms, for 100 nodes 4 s: 10.94 s.
    assert "incremental run 20% of the full build" in line
    assert "a run with nothing new: 6%" in line
    assert "proportional to the new orders above that: 7%" in line
    assert "the 100 nodes it built (40 ms a node): 11%" in line
    assert line.endswith("missed; cross-check after it: agrees")


def test_the_transform_verdict_names_its_floor() -> None:
    line = _line(markdown(_result(with_floors=True)), "- transform")
    assert "its floor 17.0 s = limit + 15.0 s, 8.5x the limit" in line


def test_without_floors_the_verdicts_say_only_what_was_measured() -> None:
    table = markdown(_result(with_floors=False))
    assert "Floors:" not in table
    assert "ms a node" not in _line(table, "- incremental run")
    assert "its floor" not in _line(table, "- transform")
