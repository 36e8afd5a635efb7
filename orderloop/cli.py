"""The ``orderloop`` command: demo, run, sandbox, rules, dashboard, summary, bench."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from orderloop.data_folder_errors import (
    DataFolderUnwritable,
    check_free_space,
    probe_writable,
    storage_failure,
)
from orderloop.environment import configure_environment
from orderloop.paths import PROJECT_ROOT, DataPaths, data_paths
from orderloop.run_pass import PassResult
from orderloop.warehouse_memory import MemoryLimitError


def _demo(args: argparse.Namespace, paths: DataPaths) -> int:
    from orderloop.demo_history import replay_automated_era, start_demo_world
    from orderloop.serve import serve_all
    from orderloop.summary import format_summary, kpi_summary

    # A demo starts from a clean world and warehouse so its numbers are its own.
    for stale in (paths.warehouse, paths.published):
        stale.unlink(missing_ok=True)
    shutil.rmtree(paths.dlt_pipelines, ignore_errors=True)
    paths.ensure()
    end = args.world_now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    try:
        calendar = start_demo_world(paths, args.days, args.seed, end, args.automated_days)
    except ValueError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 2
    result = replay_automated_era(paths, calendar)
    if not result.success:
        print(f"Pipeline run {result.run_id} failed. Step output: {result.log_path}.", file=sys.stderr)
        return 1
    print(f"Pipeline run {result.run_id} succeeded.\n")
    print(format_summary(kpi_summary(paths.published)))
    if args.no_serve:
        return 0
    return serve_all(paths, dagster_port=args.dagster_port, dashboard_port=args.dashboard_port,
                     live_hours_per_minute=args.live_hours_per_minute)


def _aware_time(value: str) -> datetime:
    """An ISO time for --world-now; without an offset it is UTC."""
    at = datetime.fromisoformat(value)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _run_once(
    paths: DataPaths,
    sandbox_context: AbstractContextManager[str | None],
    run_full_pass: Callable[[], PassResult],
) -> int:
    from orderloop.summary import format_summary, kpi_summary

    with sandbox_context as url:
        if url:
            print(f"Sandbox serving on {url}")
        result = run_full_pass()
    if not result.success:
        print(
            f"Pipeline run {result.run_id} failed. Step output: {result.log_path};"
            " the run is also in the Dagster UI (orderloop demo).",
            file=sys.stderr,
        )
        return 1
    print(f"Pipeline run {result.run_id} succeeded.\n")
    print(format_summary(kpi_summary(paths.published)))
    return 0


def _run(args: argparse.Namespace, paths: DataPaths) -> int:
    from orderloop.run_pass import run_full_pass, sandbox_for_run

    return _run_once(paths, sandbox_for_run(paths), run_full_pass)


def _sandbox(args: argparse.Namespace, paths: DataPaths) -> int:
    from sandbox.cli import main as sandbox_main

    return sandbox_main(["--data-dir", str(paths.sandbox), *args.sandbox_args])


def _import_orders(args: argparse.Namespace, paths: DataPaths) -> int:
    from connectors.order_files import MappingError
    from orderloop.import_orders import import_order_file

    try:
        tally = import_order_file(args.file, args.mapping, paths)
    except (MappingError, FileNotFoundError) as error:
        print(f"import-orders: {error}", file=sys.stderr)
        return 2
    print(f"{args.file}: {tally.summary()}")
    return 0


def _erase_customer(args: argparse.Namespace, paths: DataPaths) -> int:
    from orderloop.erasure import erase_customer

    if not paths.warehouse.exists():
        print(f"erase-customer: no warehouse at {paths.warehouse}", file=sys.stderr)
        return 1
    try:
        report = erase_customer(paths, args.email)
    except ValueError as error:
        print(f"erase-customer: {error}", file=sys.stderr)
        return 2
    except duckdb_errors() as error:
        print(f"erase-customer: cannot write {paths.warehouse} ({error}); is a pass writing it?",
              file=sys.stderr)
        return 1
    print(f"Erased customer {report.subject_hash[:12]}…: {report.rows} rows in {report.tables} tables, "
          f"{report.published_rows} rows in the published copy, {report.files} files. Erase them at "
          "the source too (docs/personal-data.md); until then each load erases them again.")
    return 0


def _webhooks(args: argparse.Namespace, paths: DataPaths) -> int:
    from orderloop.webhooks import serve_webhooks

    timeouts = {"head_timeout": args.header_timeout} if args.header_timeout is not None else {}
    return serve_webhooks(paths, port=args.port, **timeouts)


def _dashboard(args: argparse.Namespace, paths: DataPaths) -> int:
    from orderloop.serve import dashboard_command

    return subprocess.call(dashboard_command(args.port), env=dict(os.environ))


def _summary(args: argparse.Namespace, paths: DataPaths) -> int:
    from orderloop.summary import format_summary, kpi_summary

    if not paths.published.exists():
        print("Nothing published yet: run `orderloop run` or `orderloop demo` first.", file=sys.stderr)
        return 1
    print(format_summary(kpi_summary(paths.published)))
    return 0


def _bench(args: argparse.Namespace, paths: DataPaths) -> int:
    from bench.harness import run_bench
    from bench.results_table import markdown

    if args.orders < 100 or args.repeat < 1:
        print("bench: --orders must be at least 100 and --repeat at least 1", file=sys.stderr)
        return 2
    result = run_bench(args.orders, repeat=args.repeat, out=args.out, work=args.work,
                       incremental=not args.no_incremental, dashboards=not args.no_dashboards)
    print(markdown(result))
    print(f"Written to {args.out}/bench_{args.orders}.json and .md")
    return 0 if result["cross_check"]["agree"] else 1


def _rules_check(args: argparse.Namespace, paths: DataPaths) -> int:
    from orderloop.rule_sets import RuleError, load_rules

    try:
        rule_sets = load_rules(args.dir)
    except RuleError as error:
        print(f"rules check: {error}", file=sys.stderr)
        return 2
    for name, rule_set in sorted(rule_sets.items()):
        in_force = rule_set.in_force().version
        versions = ", ".join(
            f"{v.version} from {v.effective_from.isoformat()}{' (in force)' if v.version == in_force else ''}"
            for v in rule_set.versions
        )
        print(f"{name}: {versions}")
    return 0


def _rules_dry_run(args: argparse.Namespace, paths: DataPaths) -> int:
    from orderloop.rule_replay import candidate_rule_sets, replay
    from orderloop.rule_sets import RuleError, load_rules

    try:
        current = load_rules(args.dir)
        candidate = candidate_rule_sets(args.candidate, current)
    except RuleError as error:
        print(f"rules dry-run: invalid candidate: {error}", file=sys.stderr)
        return 2
    if args.days < 1:
        print("rules dry-run: --days must be at least 1", file=sys.stderr)
        return 2
    warehouse = args.warehouse or paths.warehouse
    try:
        report = replay(warehouse, current, candidate, days=args.days)
    except FileNotFoundError as error:
        print(f"rules dry-run: {error}", file=sys.stderr)
        return 1
    except duckdb_errors() as error:
        print(f"rules dry-run: cannot read {warehouse} ({error}); is a pass writing it?", file=sys.stderr)
        return 1
    print(report.format())
    return 0


def duckdb_errors() -> tuple[type[Exception], ...]:
    """DuckDB's errors for a warehouse that is locked by a writer or not built yet."""
    import duckdb

    return (duckdb.IOException, duckdb.CatalogException)


# Commands that write the data folder: each checks it can before it starts.
WRITING_COMMANDS = (_demo, _run, _import_orders, _webhooks)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orderloop", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="simulate a merchant, run the loop once, serve the UIs")
    demo.add_argument("--days", type=int, default=30, help="days of order history to simulate")
    demo.add_argument("--seed", type=int, default=7, help="seed of the simulated world")
    demo.add_argument("--automated-days", type=int, default=4,
                      help="days before now that orderloop's automation went live (before it: by hand)")
    demo.add_argument("--world-now", type=_aware_time, default=None,
                      help="the simulated world's time when the demo goes live (default: this hour)")
    demo.add_argument("--no-serve", action="store_true", help="stop after the KPI summary")
    demo.add_argument("--dagster-port", type=int, default=3000)
    demo.add_argument("--dashboard-port", type=int, default=8501)
    demo.add_argument("--live-hours-per-minute", type=float, default=1.0,
                      help="while serving, world hours the sandbox lives through per real minute (0: frozen)")
    demo.set_defaults(handler=_demo)

    run = commands.add_parser("run", help="run one pass of the pipeline against the configured sources")
    run.set_defaults(handler=_run)

    sandbox = commands.add_parser(
        "sandbox", help="the simulated merchant world (generate, serve, stats, advance)", add_help=False
    )
    sandbox.add_argument("sandbox_args", nargs=argparse.REMAINDER)
    sandbox.set_defaults(handler=_sandbox)

    import_orders = commands.add_parser(
        "import-orders", help="load a marketplace or merchant order export (CSV) through a mapping"
    )
    import_orders.add_argument("file", type=Path, help="the CSV file")
    import_orders.add_argument(
        "--mapping", type=Path, required=True, help="YAML mapping (docs/order-file-mappings.md)"
    )
    import_orders.set_defaults(handler=_import_orders)

    webhooks = commands.add_parser(
        "webhooks", help="receive EasyPost tracking webhooks into the landing area"
    )
    webhooks.add_argument("--port", type=int, default=8600)
    webhooks.add_argument("--header-timeout", type=float, metavar="SECONDS",
                          help="close a connection whose request head takes longer (slowloris; default 10)")
    webhooks.set_defaults(handler=_webhooks)

    dashboard = commands.add_parser("dashboard", help="serve the Streamlit dashboard on 127.0.0.1")
    dashboard.add_argument("--port", type=int, default=8501)
    dashboard.set_defaults(handler=_dashboard)

    rules = commands.add_parser("rules", help="the versioned automation rules in rules/")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True)
    check = rules_commands.add_parser(
        "check", help="validate every rules file and show the versions in force"
    )
    check.add_argument("--dir", type=Path, default=None,
                       help="the rules folder (default: the data folder's, else the project's)")
    check.set_defaults(handler=_rules_check)
    dry_run = rules_commands.add_parser(
        "dry-run", help="replay recent decisions under a candidate rule set and report what would change"
    )
    dry_run.add_argument("candidate", type=Path, help="a rules file, or a folder of them, to try")
    dry_run.add_argument("--days", type=int, default=7, help="how many days of recent decisions to replay")
    dry_run.add_argument("--dir", type=Path, default=None,
                         help="the current rules folder (default: the data folder's, else the project's)")
    dry_run.add_argument("--warehouse", type=Path, default=None,
                         help="the warehouse to read (default: the data folder's; opened read-only)")
    dry_run.set_defaults(handler=_rules_dry_run)

    bench = commands.add_parser(
        "bench", help="time a world of N orders through the limit, a pandas peer and orderloop"
    )
    bench.add_argument("--orders", type=int, default=100_000, help="orders in the generated world")
    bench.add_argument("--repeat", type=int, default=3, help="runs of each stage (the figures are medians)")
    bench.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "results",
                       help="folder for bench_<orders>.json and .md")
    bench.add_argument("--work", type=Path, default=None,
                       help="folder for the world and warehouses (default: a new temporary folder)")
    bench.add_argument("--no-incremental", action="store_true", help="skip the 1%% new orders run")
    bench.add_argument("--no-dashboards", action="store_true", help="skip timing the dashboard pages")
    bench.set_defaults(handler=_bench)

    erase = commands.add_parser(
        "erase-customer", help="erase a customer's personal data on request (docs/personal-data.md)"
    )
    erase.add_argument("email", help="the customer's email address")
    erase.set_defaults(handler=_erase_customer)

    summary = commands.add_parser("summary", help="print the KPI summary of the published warehouse")
    summary.set_defaults(handler=_summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sandbox"]:
        # Everything after `sandbox` belongs to the sandbox's own parser, --help included.
        return _sandbox(argparse.Namespace(sandbox_args=argv[1:]), configure_environment())
    args = build_parser().parse_args(argv)
    try:
        paths = configure_environment()
        if args.handler in WRITING_COMMANDS:
            probe_writable(paths.folders())
            check_free_space(paths.root, paths.warehouse)
        return args.handler(args, paths)
    except (DataFolderUnwritable, MemoryLimitError) as error:
        print(f"orderloop: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        message = storage_failure(error, data_paths().root)
        if message is None:
            raise
        print(f"orderloop: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
