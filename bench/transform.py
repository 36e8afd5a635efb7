"""Transform a bench warehouse: the project's real ``dbt build``, then publication.

``--step parse`` makes the project's parse once (untimed by the harness, as an install does);
``--step dbt`` runs dbt through its Python API with the project's own profile
(``ORDERLOOP_WAREHOUSE`` points it at the bench warehouse) and a target folder of its own;
``--step publish`` then publishes the marts as ``orderloop run`` does. Reports each step's
seconds and dbt's slowest nodes (from dbt's own results), the profile docs/PERFORMANCE.md reads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb

from orderloop.paths import DBT_PROJECT_DIR
from orderloop.warehouse_memory import ENV_VAR as MEMORY_LIMIT_VAR
from orderloop.warehouse_memory import duckdb_memory_limit

SLOWEST_NODES = 8
BUILD_GROUP = "bench"  # the bench builds the whole project in one build, a pass in three
PARTIAL_PARSE = "partial_parse.msgpack"
MANIFEST = "manifest.json"


def _dbt_args(command: str, target: Path) -> list[str]:
    return [
        command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target), "--log-path", str(target / "logs"), "--quiet",
    ]


def _use_warehouse(warehouse: Path) -> None:
    os.chdir(warehouse.parent)
    os.environ["ORDERLOOP_WAREHOUSE"] = warehouse.name
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ[MEMORY_LIMIT_VAR] = duckdb_memory_limit()  # as every orderloop command sets it


def parse(warehouse: Path, target: Path) -> dict[str, Any]:
    """``dbt parse`` for warehouses named like ``warehouse``: the parse every later build reuses.

    A pass parses the project once per install and version and keeps the parse for every
    later build (pipelines/assets/transformation.py); the bench makes it here, untimed, so a
    full build is timed as a nightly rebuild pays it, not as the first build after install.
    """
    warehouse, target = warehouse.resolve(), target.resolve()
    _use_warehouse(warehouse)
    from dbt.cli.main import dbtRunner

    started = time.perf_counter()
    result = dbtRunner().invoke(_dbt_args("parse", target))
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    return {"seconds": time.perf_counter() - started}


def build(
    warehouse: Path, target: Path, full_refresh: bool = False, parse_from: Path | None = None
) -> dict[str, Any]:
    """``dbt build`` on ``warehouse``; seconds, node counts and the slowest nodes.

    dbt runs in the warehouse's folder with the path relative to it: dbt reparses the whole
    project when the profile's path changes, so a run on a copy of a built warehouse (the
    incremental run) reuses the copied ``partial_parse.msgpack`` as a pass in one data folder
    does, instead of timing a full parse no pass pays. ``full_refresh`` rebuilds incremental
    models from scratch, as the nightly job does. ``parse_from``: a target folder of ``parse``,
    whose parse a build without one of its own starts from.
    """
    warehouse, target = warehouse.resolve(), target.resolve()
    _use_warehouse(warehouse)
    if parse_from is not None:
        target.mkdir(parents=True, exist_ok=True)
        for name in (PARTIAL_PARSE, MANIFEST):
            if not (target / name).exists():
                shutil.copyfile(parse_from.resolve() / name, target / name)
    from dbt.cli.main import dbtRunner

    from pipelines.dbt_build_inputs import open_test_windows, plan_build, record_build

    # The manifest a build plans from: the parse's, as a pass plans from the project's. A build
    # of a folder without one (the test suite's) is a full build and writes it.
    manifest_file = target / MANIFEST
    write_json = not manifest_file.exists()
    started = time.perf_counter()
    # As a pass plans each of its builds: only the nodes downstream of a changed input; with no
    # earlier build recorded in the warehouse, everything.
    plan, exclusions = None, []
    with duckdb.connect(str(warehouse)) as conn:
        if not write_json:
            manifest = json.loads(manifest_file.read_text())
            plan = plan_build(conn, manifest, BUILD_GROUP, full_refresh=full_refresh)
            if not any(plan.needs(node) for node in [*manifest["nodes"], *manifest["sources"]]):
                return {"seconds": time.perf_counter() - started, "nodes": 0, "node_seconds": 0.0,
                        "slowest": [], "plan": plan.reason}
            exclusions = plan.exclusions(manifest)
        open_test_windows(conn, plan)
    result = dbtRunner().invoke([
        *_dbt_args("build", target),
        # As a pass builds (pipelines/assets/transformation.py): unit tests run in the test suite,
        # the file log at info, and no JSON artifacts (manifest.json and run_results.json cost
        # about a second a build): the nodes' results come from the runner's own result.
        "--exclude-resource-type", "unit_test", "--log-level-file", "info",
        *([] if write_json else ["--no-write-json"]),
        *(["--full-refresh"] if full_refresh else []),
        *(["--exclude", " ".join(exclusions)] if exclusions else []),
    ])
    nodes_run = [
        {"unique_id": node.node.unique_id, "status": str(node.status), "execution_time": node.execution_time}
        for node in (result.result.results if result.result is not None else [])
    ]
    failed = [node["unique_id"] for node in nodes_run if node["status"] in ("error", "fail")]
    if not result.success or failed:
        raise RuntimeError(f"dbt build failed: {failed or result.exception}")
    manifest = json.loads(manifest_file.read_text())
    with duckdb.connect(str(warehouse)) as conn:
        plan = plan or plan_build(conn, manifest, BUILD_GROUP, full_refresh=True)
        record_build(conn, plan, manifest["nodes"])
    seconds = time.perf_counter() - started
    slowest = sorted(nodes_run, key=lambda node: node["execution_time"], reverse=True)[:SLOWEST_NODES]
    return {
        "seconds": seconds,
        "nodes": len(nodes_run),
        "node_seconds": sum(node["execution_time"] for node in nodes_run),
        "slowest": [{"node": node["unique_id"], "seconds": node["execution_time"]} for node in slowest],
        "plan": plan.reason,
    }


def publish(warehouse: Path) -> float:
    """Publish the marts next to the warehouse, as a pass does; seconds."""
    from pipelines.publishing import publish_marts

    started = time.perf_counter()
    publish_marts(warehouse, warehouse.parent / "published" / "warehouse.duckdb")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--step", choices=("parse", "dbt", "publish"), required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--full-refresh", action="store_true", help="dbt: rebuild incremental models")
    parser.add_argument("--parse-from", type=Path, default=None,
                        help="dbt: the target folder of a --step parse to start from")
    args = parser.parse_args(argv)
    # dbt-duckdb keeps its connection open for the process's life: publication gets its own.
    if args.step == "parse":
        report = parse(args.warehouse, args.warehouse.parent / "dbt_target")
    elif args.step == "dbt":
        target = args.warehouse.parent / "dbt_target"
        report = build(args.warehouse, target, args.full_refresh, args.parse_from)
    else:
        report = {"seconds": publish(args.warehouse)}
    args.report.write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
