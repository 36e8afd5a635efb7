"""The whole loop at N orders, as it runs for a merchant: a real Dagster run over real HTTP.

``orderloop bench`` measures ingest from files; this measures what the file bench leaves out. A
sandbox world of N orders (both channels, payments, tickets, parcels, 3PL files: the sandbox's own
proportions) is served on 127.0.0.1, and one real ``full_pass_job`` runs in this process: every
connector reads its API (Shopify's first load as a bulk query, then cursors, cost throttling and
rate limits), dbt builds, every action calls its API (labels, emails, stock, pick tasks, refunds),
the marts are published. Dagster's own step records say where the time went; the raw tables say
how many rows each connector loaded.

The baseline, in the same run: a pass with nothing new (the loop's fixed cost). It is the third:
the second still loads what the first one's actions caused (the labels it booked are Click & Drop
shipments now, its ledger rows inputs of the lifecycle), and a pass builds only the dbt nodes whose
inputs changed. The first pass over the idle one says what N orders cost beyond it.

Run: ``python -m bench.http_world --orders 10000`` (``make bench``); results go to
``bench/results/bench_http_<N>.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
# A Friday late morning, as the loop-latency bench: a busy shop with a week behind it.
WORLD_NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
DAYS = 7
# What each action's ledger calls done (table in the actions schema, the status that means done).
ACTION_LEDGERS = {
    "labels booked": ("label_bookings", "booked"),
    "emails sent": ("notifications", "sent"),
    "stock pushes": ("stock_pushes", "done"),
    "pick tasks released": ("pick_task_ledger", "released"),
    "refunds": ("refunds", "refunded"),
}


def _stage(step_key: str, sources: set[str]) -> str:
    """Which part of the loop a Dagster step is: a connector's load, dbt, an action, publication."""
    if step_key.split("__")[0] in sources:
        return "ingest: " + step_key.split("__")[0]
    if step_key.startswith("dbt"):
        return "transform: dbt build"
    if step_key.startswith("actions__"):
        return "action: " + step_key.removeprefix("actions__")
    if "publish" in step_key:
        return "publish"
    return "decide: " + step_key  # routing, validation, rules: the Python steps between dbt runs


def _step_seconds(run_id: str, sources: set[str]) -> dict[str, float]:
    """Seconds per stage of one run, from the Dagster instance's step records."""
    from dagster import DagsterInstance

    per_stage: dict[str, float] = defaultdict(float)
    with DagsterInstance.get() as instance:
        for step in instance.get_run_step_stats(run_id):
            if step.start_time is not None and step.end_time is not None:
                per_stage[_stage(step.step_key, sources)] += step.end_time - step.start_time
    return dict(sorted(per_stage.items()))


def _raw_rows(warehouse: Path) -> dict[str, int]:
    """Rows in each source's raw schema (dlt's own bookkeeping tables left out)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema like 'raw_%' and table_schema not like '%_staging'"
            " and table_name not like '_dlt_%'"
        ).fetchall()
        rows: dict[str, int] = defaultdict(int)
        for schema, table in tables:
            count = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            rows[schema.removeprefix("raw_")] += count
    return dict(sorted(rows.items()))


def _actions_done(warehouse: Path) -> dict[str, int]:
    import duckdb

    done = {}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        for name, (table, status) in ACTION_LEDGERS.items():
            try:
                done[name] = conn.execute(
                    f"select count(*) from actions.{table} where status = ?", [status]
                ).fetchone()[0]
            except duckdb.CatalogException:  # an action with nothing to do has no ledger yet
                done[name] = 0
    return done


def _timed_pass() -> tuple[float, str]:
    from orderloop.run_pass import run_full_pass

    started = time.perf_counter()
    result = run_full_pass()
    if not result.success:
        raise RuntimeError(f"the full pass failed; see {result.log_path}")
    return time.perf_counter() - started, result.run_id


def measure(orders: int, seed: int = 7) -> dict[str, Any]:
    """Generate and serve a world of about ``orders`` Shopify orders, run the loop on it three times."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"orderloop-bench-http-{orders}-"))
    os.environ["ORDERLOOP_DATA_DIR"] = str(data_dir)
    from orderloop.environment import configure_environment

    paths = configure_environment()
    from orderloop.run_pass import receive_sandbox_pushes
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.generator import generate_world
    from sandbox.query_cost import ThrottleConfig
    from sandbox.server import SandboxServer
    from sandbox.stats import world_stats

    started = time.perf_counter()
    generate_world(paths.sandbox, days=DAYS, seed=seed, now=WORLD_NOW, orders_per_day=max(1, orders // DAYS))
    generate_seconds = time.perf_counter() - started
    stats = world_stats(paths.sandbox)
    plus_plan = ThrottleConfig(maximum_available=20000.0, restore_rate=1000.0)
    with SandboxServer(paths.sandbox, throttle=plus_plan) as server, sources_pointing_at(server.url):
        receive_sandbox_pushes(paths)
        first_seconds, first_run = _timed_pass()
        second_seconds, second_run = _timed_pass()
        idle_seconds, idle_run = _timed_pass()
    raw = _raw_rows(paths.warehouse)
    stages = _step_seconds(first_run, set(raw))
    ingest_rate = {
        source: round(rows / stages[f"ingest: {source}"]) if stages.get(f"ingest: {source}") else None
        for source, rows in raw.items()
    }
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
        "world": {"days": DAYS, "seed": seed,
                  "shopify_orders": stats["shopify"]["orders_total"],
                  "woocommerce_orders": stats["woocommerce"]["orders_total"],
                  "generate_seconds": round(generate_seconds, 1)},
        "first_pass_seconds": round(first_seconds, 1),
        "second_pass_seconds": round(second_seconds, 1),
        "idle_pass_seconds": round(idle_seconds, 1),
        "first_over_idle": round(first_seconds / idle_seconds, 2),
        "stages": {name: round(seconds, 1) for name, seconds in stages.items()},
        "second_stages": {name: round(s, 1) for name, s in _step_seconds(second_run, set(raw)).items()},
        "idle_stages": {name: round(s, 1) for name, s in _step_seconds(idle_run, set(raw)).items()},
        "raw_rows": raw,
        "ingest_rows_per_second": ingest_rate,
        "actions_done": _actions_done(paths.warehouse),
        # Linux reports ru_maxrss in KiB; dbt runs as a child process of the pass.
        "peak_rss_mib": round(max(own.ru_maxrss, children.ru_maxrss) / 1024),
    }


def markdown(result: dict[str, Any]) -> str:
    """The figures as markdown: the passes, where the first one's time went, and what it did."""
    world = result["world"]
    orders = world["shopify_orders"] + world["woocommerce_orders"]
    lines = [
        f"# The loop over HTTP at {orders:,} orders ({result['measured_at']},"
        f" {result['machine']['cpus']} CPUs, load {result['machine']['load_average'][0]})",
        "",
        "| pass | seconds | x idle pass |",
        "|---|---|---|",
        f"| first pass: {orders:,} orders through the whole loop | {result['first_pass_seconds']}"
        f" | {result['first_over_idle']} |",
        f"| second pass: what the first pass's actions caused | {result['second_pass_seconds']}"
        f" | {round(result['second_pass_seconds'] / result['idle_pass_seconds'], 2)} |",
        f"| idle pass: nothing new (the baseline) | {result['idle_pass_seconds']} | 1.0 |",
        "",
        "| stage (Dagster step time) | first pass | second pass | idle pass |",
        "|---|---|---|---|",
    ]
    for stage, seconds in result["stages"].items():
        lines.append(f"| {stage} | {seconds} | {result['second_stages'].get(stage, '')}"
                     f" | {result['idle_stages'].get(stage, '')} |")
    lines += ["", "| source | raw rows | rows/s over HTTP |", "|---|---|---|"]
    for source, rows in result["raw_rows"].items():
        rate = result["ingest_rows_per_second"].get(source)
        lines.append(f"| {source} | {rows:,} | {'' if rate is None else f'{rate:,}'} |")
    done = ", ".join(f"{name} {n:,}" for name, n in result["actions_done"].items())
    lines += ["", f"Actions done: {done}.",
              f"Peak memory (the pass, or dbt under it): {result['peak_rss_mib']:,} MiB.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000, help="Shopify orders in the world (about)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for bench_http_<N>.json and .md")
    args = parser.parse_args(argv)
    result = measure(args.orders)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"bench_http_{args.orders}"
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (args.out / f"{name}.md").write_text(table)
    print(table)
    return 0 if result["actions_done"]["labels booked"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
