"""``orderloop bench``: one world of N orders through the limit, the pandas peer and orderloop.

For one size N, in one run:

1. write the world's raw files (``world_files``);
2. ``repeat`` times, each stage in its own process (``child_process``): the limit
   (``limit.sql``), the peer (``pandas_peer``), DuckDB reading the files (the ingest limit),
   and orderloop's full build into a fresh warehouse: dlt ingest, ``dbt build``, publication;
3. cross-check: the published ``kpi_daily`` must agree with the limit and the peer on every
   day's orders, despatches and cycle-time p50;
4. unless skipped, each dashboard page rendered cold on the published copy (p50, p95);
5. unless skipped, the incremental run: 1% new orders and their events as a second batch,
   loaded into a copy of a full build and built again with ``dbt build``, then checked
   against the limit over both batches; then the same stages once more with nothing new,
   the fixed cost under every run;
6. the floors under orderloop's figures (medians of ``repeat``): its full build of a world of
   ``FIXED_COST_ORDERS`` orders (what each stage costs whatever the data: start-up, dbt's
   work per node) and the write floor (``write_floor``: writing the tables the build
   materializes, with no query). A target below their sum cannot be met by faster SQL.

Figures are medians over the repeats, with each stage's ratio to the limit. The result is
written as ``bench_<N>.json`` and ``bench_<N>.md``; the JSON is the record, the table is
for people.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from bench.child_process import StageFailed, StageRun, run_stage
from bench.results_table import markdown
from bench.world_files import add_new_orders, write_world
from orderloop.warehouse_memory import duckdb_memory_limit

RESULTS = Path(__file__).resolve().parent / "results"
INCREMENTAL_SHARE = 0.01
DASHBOARD_RENDERS = 7
# A world small enough that its rows cost next to nothing: its full build is the fixed cost.
FIXED_COST_ORDERS = 100


def _median_run(runs: list[StageRun]) -> dict[str, Any]:
    return {
        "seconds": statistics.median(run.seconds for run in runs),
        "peak_rss_mib": max(run.peak_rss_mib for run in runs),
        "runs_seconds": [round(run.seconds, 3) for run in runs],
    }


def _machine() -> dict[str, Any]:
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        # The dbt build's budget (orderloop.warehouse_memory): its peak follows it at scale.
        "dbt_duckdb_memory_limit": duckdb_memory_limit(),
    }


def _parse_once(work: Path) -> Path:
    """The project's parse, made once before any timing (as an install's first pass makes it);
    every build starts from it. Returns its target folder."""
    parse_dir = work / "parse"
    shutil.rmtree(parse_dir, ignore_errors=True)
    parse_dir.mkdir(parents=True)
    run_stage("bench.transform", ["--warehouse", str(parse_dir / "warehouse.duckdb"), "--step", "parse"])
    return parse_dir / "dbt_target"


def _full_build(world: Path, run_dir: Path, parsed: Path) -> dict[str, StageRun]:
    """orderloop's stages into a fresh warehouse under ``run_dir``."""
    warehouse = run_dir / "warehouse.duckdb"
    return {
        "ingest": run_stage("bench.ingest", [
            "--world", str(world), "--warehouse", str(warehouse), "--loader", "dlt",
        ]),
        "transform": run_stage("bench.transform", [
            "--warehouse", str(warehouse), "--step", "dbt", "--parse-from", str(parsed),
        ]),
        "publish": run_stage("bench.transform", ["--warehouse", str(warehouse), "--step", "publish"]),
    }


def cross_check(published: Path, limit_output: Path, peer_output: Path | None) -> dict[str, Any]:
    """Days on which orderloop's published kpi_daily disagrees with the limit (and the peer)."""
    with duckdb.connect() as conn:
        conn.execute(f"attach '{published}' as orderloop (read_only)")
        conn.execute(f"attach '{limit_output}' as limit_run (read_only)")
        conn.execute("""
            create temp view ours as
            select kpi_date, orders, orders_despatched, cycle_time_p50_hours
            from orderloop.marts.kpi_daily where dimension = 'all'
        """)
        others = {"limit": "limit_run.main.kpi_daily"}
        if peer_output is not None:
            others["peer"] = f"read_parquet('{peer_output}')"
        check: dict[str, Any] = {
            "orders": conn.execute("select count(*) from orderloop.marts.fct_orders").fetchone()[0],
            "days": conn.execute("select count(*) from ours").fetchone()[0],
        }
        for name, relation in others.items():
            check[f"days_disagreeing_with_{name}"] = conn.execute(f"""
                select count(*) from ours full join {relation} as other using (kpi_date)
                where ours.orders is distinct from other.orders
                    or ours.orders_despatched is distinct from other.orders_despatched
                    or abs(coalesce(ours.cycle_time_p50_hours, -1) - coalesce(other.cycle_time_p50_hours, -1))
                        > 1e-6
            """).fetchone()[0]
    check["agree"] = all(value == 0 for key, value in check.items() if key.startswith("days_disagreeing"))
    return check


def _raw_rows(world_rows: dict[str, int]) -> int:
    return sum(world_rows.values())


def run_bench(
    orders: int, repeat: int = 3, out: Path = RESULTS, work: Path | None = None, incremental: bool = True,
    dashboards: bool = True,
) -> dict[str, Any]:
    """Measure one world size; writes ``bench_<orders>.json`` and ``.md`` into ``out``.

    ``work`` keeps the world and the last full build for inspection; without it, a temporary
    folder is used and removed.
    """
    if work is not None:
        return _run_bench(orders, repeat, out, work, incremental, dashboards)
    with tempfile.TemporaryDirectory(prefix=f"orderloop-bench-{orders}-") as folder:
        return _run_bench(orders, repeat, out, Path(folder), incremental, dashboards)


def _run_bench(
    orders: int, repeat: int, out: Path, work: Path, incremental: bool, dashboards: bool
) -> dict[str, Any]:
    world = work / "world"
    shutil.rmtree(world, ignore_errors=True)
    started = time.perf_counter()
    world_rows = write_world(world, orders)
    generate_seconds = time.perf_counter() - started

    parsed = _parse_once(work)
    runs: dict[str, list[StageRun]] = {}
    failures: dict[str, str] = {}
    limit_output = work / "limit.duckdb"
    peer_output = work / "peer_kpi_daily.parquet"
    for attempt in range(repeat):
        runs.setdefault("limit", []).append(run_stage("bench.limit", [
            "--world", str(world), "--out", str(limit_output),
        ]))
        if "peer" not in failures:
            try:
                runs.setdefault("peer", []).append(run_stage("bench.pandas_peer", [
                    "--world", str(world), "--out", str(peer_output),
                ]))
            except StageFailed as error:  # out of memory is a result, not a crash of the bench
                failures["peer"] = f"exit {error.exit_code}: {error.last_line}"
                runs.pop("peer", None)
        ingest_limit_dir = work / f"ingest_limit_{attempt}"
        shutil.rmtree(ingest_limit_dir, ignore_errors=True)
        runs.setdefault("ingest_limit", []).append(run_stage("bench.ingest", [
            "--world", str(world), "--warehouse", str(ingest_limit_dir / "warehouse.duckdb"),
            "--loader", "duckdb",
        ]))
        shutil.rmtree(ingest_limit_dir)
        run_dir = work / f"orderloop_{attempt}"
        shutil.rmtree(run_dir, ignore_errors=True)
        for stage, run in _full_build(world, run_dir, parsed).items():
            runs.setdefault(stage, []).append(run)
        if attempt < repeat - 1:
            shutil.rmtree(run_dir)
    last_run = work / f"orderloop_{repeat - 1}"
    check = cross_check(
        last_run / "published" / "warehouse.duckdb", limit_output, peer_output if "peer" in runs else None
    )

    result: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "orders": orders,
        "repeat": repeat,
        "raw_rows": _raw_rows(world_rows),
        "world_rows": world_rows,
        "generate_seconds": round(generate_seconds, 3),
        "stages": {stage: _median_run(stage_runs) for stage, stage_runs in runs.items()},
        "failures": failures,
        "ingest_sources": _ingest_sources(runs),
        "slowest_dbt_nodes": runs["transform"][-1].report.get("slowest", []),
        "dbt_nodes": runs["transform"][-1].report.get("nodes"),
        "cross_check": check,
    }
    if dashboards:
        pages = run_stage(
            "bench.dashboard_pages", ["--data-dir", str(last_run), "--renders", str(DASHBOARD_RENDERS)]
        )
        result["dashboard_pages"] = pages.report["pages"]
    if incremental:
        result["incremental"] = _incremental(world, orders, last_run, work, repeat)
    result["floors"] = _floors(work, parsed, last_run, repeat)

    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench_{orders}.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / f"bench_{orders}.md").write_text(markdown(result))
    return result


def _ingest_sources(runs: dict[str, list[StageRun]]) -> dict[str, Any]:
    """Rows per second per source, dlt against DuckDB reading the same files (medians)."""
    sources: dict[str, Any] = {}
    for source in runs["ingest"][0].report["sources"]:
        rows = runs["ingest"][0].report["sources"][source]["rows"]
        dlt_seconds = statistics.median(run.report["sources"][source]["seconds"] for run in runs["ingest"])
        duckdb_seconds = statistics.median(
            run.report["sources"][source]["seconds"] for run in runs["ingest_limit"]
        )
        sources[source] = {
            "rows": rows,
            "dlt_seconds": dlt_seconds,
            "duckdb_seconds": duckdb_seconds,
            "dlt_rows_per_second": rows / dlt_seconds if dlt_seconds else None,
            "duckdb_rows_per_second": rows / duckdb_seconds if duckdb_seconds else None,
            "ratio_to_duckdb": dlt_seconds / duckdb_seconds if duckdb_seconds else None,
        }
    return sources


def _floors(work: Path, parsed: Path, full_run: Path, repeat: int) -> dict[str, Any]:
    """What orderloop pays whatever the SQL: each stage's fixed cost and the write floor
    (medians of ``repeat`` runs, as the stages above them)."""
    world = work / "fixed_cost_world"
    shutil.rmtree(world, ignore_errors=True)
    write_world(world, FIXED_COST_ORDERS)
    fixed: dict[str, list[StageRun]] = {}
    for _ in range(repeat):
        run_dir = work / "fixed_cost_run"
        shutil.rmtree(run_dir, ignore_errors=True)
        for stage, run in _full_build(world, run_dir, parsed).items():
            fixed.setdefault(stage, []).append(run)
        shutil.rmtree(run_dir)
    # The small builds first: one that followed a write floor (a large file written, then
    # removed) took 13.4 s against 9.6 s for the one before it; back to back, 10.2 to 10.8 s.
    writes = [
        run_stage("bench.write_floor", [
            "--warehouse", str(full_run / "warehouse.duckdb"), "--manifest", str(parsed / "manifest.json"),
            "--scratch", str(work / "write_floor.duckdb"),
        ])
        for _ in range(repeat)
    ]
    shutil.rmtree(world)
    median_writes = sorted(writes, key=lambda run: run.report["seconds"])[len(writes) // 2]
    return {
        "fixed_cost_orders": FIXED_COST_ORDERS,
        "fixed_cost_stages": {stage: _median_run(runs) for stage, runs in fixed.items()},
        "fixed_cost_dbt_nodes": fixed["transform"][-1].report.get("nodes"),
        "writes": {
            **median_writes.report,
            "runs_seconds": [round(run.report["seconds"], 3) for run in writes],
            "peak_rss_mib": max(run.peak_rss_mib for run in writes),
        },
    }


def _incremental(world: Path, orders: int, full_run: Path, work: Path, repeat: int) -> dict[str, Any]:
    """1% new orders onto copies of a full build: ingest of the new batch, then dbt build."""
    new_rows = add_new_orders(world, orders, INCREMENTAL_SHARE)
    runs: dict[str, list[StageRun]] = {}
    check: dict[str, Any] = {}
    limit_output = work / "limit_with_new_orders.duckdb"
    run_stage("bench.limit", ["--world", str(world), "--out", str(limit_output)])
    for attempt in range(repeat):
        run_dir = work / f"incremental_{attempt}"
        shutil.rmtree(run_dir, ignore_errors=True)
        shutil.copytree(full_run, run_dir)
        warehouse = run_dir / "warehouse.duckdb"
        runs.setdefault("ingest", []).append(run_stage("bench.ingest", [
            "--world", str(world), "--warehouse", str(warehouse), "--loader", "dlt", "--batch", "001",
        ]))
        runs.setdefault("transform", []).append(
            run_stage("bench.transform", ["--warehouse", str(warehouse), "--step", "dbt"])
        )
        runs.setdefault("publish", []).append(
            run_stage("bench.transform", ["--warehouse", str(warehouse), "--step", "publish"])
        )
        if attempt == repeat - 1:
            check = cross_check(run_dir / "published" / "warehouse.duckdb", limit_output, None)
        # The same stages again with nothing new: the fixed cost every run pays, whatever the
        # data (start-up, dlt's per-source work, dbt's nodes, publication).
        for stage, run in _idle_run(run_dir / "warehouse.duckdb", world).items():
            runs.setdefault(f"idle_{stage}", []).append(run)
        shutil.rmtree(run_dir)
    stages = {stage: _median_run(stage_runs) for stage, stage_runs in runs.items()}
    return {
        "new_orders": new_rows["shopify.orders"],
        "new_raw_rows": _raw_rows(new_rows),
        "stages": {stage: figures for stage, figures in stages.items() if not stage.startswith("idle_")},
        "idle_stages": {
            stage.removeprefix("idle_"): figures
            for stage, figures in stages.items() if stage.startswith("idle_")
        },
        "slowest_dbt_nodes": runs["transform"][-1].report.get("slowest", []),
        "dbt_nodes": runs["transform"][-1].report.get("nodes"),
        "cross_check": check,
    }


def _idle_run(warehouse: Path, world: Path) -> dict[str, StageRun]:
    """A run that finds nothing new: ingest of a batch the world does not have, dbt, publication."""
    return {
        "ingest": run_stage("bench.ingest", [
            "--world", str(world), "--warehouse", str(warehouse), "--loader", "dlt", "--batch", "none",
        ]),
        "transform": run_stage("bench.transform", ["--warehouse", str(warehouse), "--step", "dbt"]),
        "publish": run_stage("bench.transform", ["--warehouse", str(warehouse), "--step", "publish"]),
    }
