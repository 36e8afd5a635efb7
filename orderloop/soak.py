"""The soak: a simulated week at ten times the demo's volume, with the sandbox injecting faults at a
set rate into every outside system, and the loop running pass after pass as the world moves on.

The real schedule ticks every two minutes of wall time, which a simulated week cannot wait for, so
each pass here stands for one scheduled tick after ``step_hours`` of world time: the world clock
moves (new orders on both channels, payments, collections, returns, tickets), then one real pass
runs (``run_full_pass``: dlt loads over HTTP, dbt, every action, the publication), deciding at the
world's time as the demo's history does. A pass a fault made fail is counted, not fatal: the next
one must catch up. The last passes run without faults, as a quiet night would, so the loop can
settle; then ``orderloop.soak_reconciliation`` judges the warehouse against the world.

Run: ``python -m orderloop.soak`` (``make soak``; ``--days 2`` for a quick check).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"
DEMO_ORDERS_PER_DAY = 27
# A Monday morning, so the week has its weekday peaks and its quiet weekend.
SOAK_START = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FaultRates:
    """The set rate: every k-th request a system serves gets this fault (each system counts its own
    requests, see ``sandbox.faults``), plus a rate limit that answers bursts with 429."""

    fail_every: int = 37  # 503
    reset_every: int = 53  # connection dropped before any answer
    cut_every: int = 71  # answer cut off half-way through its body
    garble_every: int = 89  # a 200 whose JSON is cut short
    replay_every: int = 97  # a GET answered with the path's previous answer (a page served twice)
    rate_limit_per_second: int = 30  # 429 with Retry-After beyond this

    def share(self) -> float:
        """Roughly the share of requests (past the rate limit) that get a fault."""
        every = (self.fail_every, self.reset_every, self.cut_every, self.garble_every, self.replay_every)
        return sum(1 / k for k in every)


# Systems a pass asks only a handful of times (Stripe's event pages, Zendesk's ticket export, the 3PL's
# pick tasks): at the busy systems' rates they would meet almost no fault in a week, so they get their
# own, denser rates.
QUIET_SYSTEMS = ("stripe", "zendesk", "three_pl")


@dataclass(frozen=True)
class SoakSettings:
    days: float = 7.0
    step_hours: float = 8.0
    orders_per_day: int = DEMO_ORDERS_PER_DAY * 10
    history_days: int = 3
    seed: int = 8
    settle_passes: int = 2
    faults: FaultRates = field(default_factory=FaultRates)
    quiet_faults: FaultRates = field(default_factory=lambda: FaultRates(
        fail_every=7, reset_every=11, cut_every=13, garble_every=17, replay_every=19))

    @property
    def passes(self) -> int:
        return max(1, round(self.days * 24 / self.step_hours))


@dataclass
class PassRecord:
    number: int
    world_time: str
    faults_on: bool
    success: bool
    seconds: float
    run_id: str
    faults: dict[str, dict[str, Any]]


def _fault_config(settings: SoakSettings) -> Any:
    """Faults on every system: the busy systems' rates, and the quiet systems' own."""
    from sandbox.faults import FAULT_SYSTEMS, FaultConfig

    def config(rates: FaultRates) -> Any:
        return FaultConfig(
            systems=FAULT_SYSTEMS,
            fail_every=rates.fail_every,
            reset_every=rates.reset_every,
            cut_every=rates.cut_every,
            garble_every=rates.garble_every,
            replay_every=rates.replay_every,
            rate_limit_per_second=rates.rate_limit_per_second,
        )

    quiet = config(settings.quiet_faults)
    return replace(config(settings.faults), per_system=dict.fromkeys(QUIET_SYSTEMS, quiet))


@contextmanager
def serving(data_dir: Path, faults: Any) -> Iterator[Any]:
    """The world served with ``faults`` on (None: none) and every source pointed at it. One server
    for a whole phase, as the outside systems stay up between ticks: each system's fault counters
    run on across passes, so a system asked only a few times a pass still meets its faults."""
    from orderloop.sandbox_mode import sandbox_credentials, sources_pointing_at
    from sandbox.query_cost import ThrottleConfig
    from sandbox.server import SandboxServer

    plus_plan = ThrottleConfig(maximum_available=20000.0, restore_rate=1000.0)
    credentials = sandbox_credentials()
    server = SandboxServer(data_dir, throttle=plus_plan, faults=faults, **credentials.server_kwargs())
    with server, sources_pointing_at(server.url, credentials=credentials):
        yield server


def _since(now: dict[str, dict[str, Any]], before: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per-system fault counts of one pass, from the server's running totals after and before it."""
    counts = {}
    for system, after in now.items():
        earlier = before.get(system, {"injected": 0, "by_kind": {}, "retried": 0})
        kinds = {k: n - earlier["by_kind"].get(k, 0) for k, n in after["by_kind"].items()}
        counts[system] = {"injected": after["injected"] - earlier["injected"],
                          "by_kind": {k: n for k, n in kinds.items() if n},
                          "retried": after["retried"] - earlier["retried"]}
    return counts


def _one_pass(paths: Any, server: Any, number: int, step_hours: float, faults_on: bool) -> PassRecord:
    """Move the world ``step_hours``, deliver what it pushes, run one real pass deciding at its time;
    the record holds the server's running fault totals (``_since`` makes them the pass's own)."""
    from orderloop.decision_clock import deciding_at
    from orderloop.run_pass import receive_sandbox_pushes, run_full_pass
    from orderloop.sandbox_mode import sandbox_credentials
    from sandbox.clock import advance
    from sandbox.world import opened, world_now

    if step_hours:
        advance(paths.sandbox, step_hours)
    with opened(paths.sandbox) as conn:
        at = world_now(conn)
    started = time.perf_counter()
    receive_sandbox_pushes(paths, sandbox_credentials().webhook_secret)
    with deciding_at(at):
        result = run_full_pass()
    return PassRecord(number, at.isoformat(), faults_on, result.success,
                      round(time.perf_counter() - started, 1), result.run_id, server.fault_counts())


def run_soak(settings: SoakSettings, report: Callable[[str], None] = print) -> dict[str, Any]:
    """Generate the world, run the passes, settle, reconcile; the whole record of the run."""
    from orderloop.environment import configure_environment
    from orderloop.soak_reconciliation import reconcile
    from sandbox.generator import generate_world

    paths = configure_environment()
    started = time.perf_counter()
    report(
        f"Soak: {settings.days:g} simulated days from {SOAK_START:%a %d %b %H:%M} UTC at"
        f" {settings.orders_per_day} Shopify orders a day ({settings.orders_per_day // DEMO_ORDERS_PER_DAY}x"
        f" the demo), a pass every {settings.step_hours:g} world hours ({settings.passes} passes, then"
        f" {settings.settle_passes} without faults); about {settings.faults.share():.0%} of requests faulted"
        f" ({settings.quiet_faults.share():.0%} on {', '.join(QUIET_SYSTEMS)})."
        f" Data: {paths.root}"
    )
    generate_world(
        paths.sandbox, days=settings.history_days, seed=settings.seed, now=SOAK_START,
        orders_per_day=settings.orders_per_day,
    )
    records: list[PassRecord] = []
    total = settings.passes + settings.settle_passes
    phases = ((range(1, settings.passes + 1), _fault_config(settings)),
              (range(settings.passes + 1, total + 1), None))
    for numbers, faults in phases:
        with serving(paths.sandbox, faults) as server:
            before: dict[str, dict[str, Any]] = {}
            for number in numbers:
                faults_on = faults is not None
                step = settings.step_hours if faults_on else 0.0
                record = _one_pass(paths, server, number, step, faults_on)
                record.faults, before = _since(record.faults, before), record.faults
                records.append(record)
                injected = sum(c["injected"] for c in record.faults.values())
                retried = sum(c["retried"] for c in record.faults.values())
                report(
                    f"  pass {number}/{total} at {record.world_time[:16]}:"
                    f" {'ok' if record.success else 'FAILED'} in {record.seconds:.0f} s;"
                    f" {injected} faults injected, {retried} retried" + ("" if faults else " (faults off)")
                )
    reconciliation = reconcile(paths.sandbox, paths.warehouse)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
        "settings": asdict(settings) | {"passes": settings.passes},
        "wall_seconds": round(time.perf_counter() - started, 1),
        "passes": {
            "total": len(records),
            "failed": sum(1 for r in records if not r.success),
            "failed_with_faults_on": sum(1 for r in records if not r.success and r.faults_on),
            "last_succeeded": records[-1].success,
        },
        "faults": _fault_totals(records),
        "reconciliation": reconciliation,
        "pass_log": [asdict(r) for r in records],
    }


def _fault_totals(records: list[PassRecord]) -> dict[str, Any]:
    """Faults injected and retries drawn over every pass, in all, per system and per kind."""
    per_system: dict[str, dict[str, int]] = {}
    by_kind: dict[str, int] = {}
    for record in records:
        for system, counts in record.faults.items():
            tally = per_system.setdefault(system, {"injected": 0, "retried": 0})
            tally["injected"] += counts["injected"]
            tally["retried"] += counts["retried"]
            for kind, n in counts["by_kind"].items():
                by_kind[kind] = by_kind.get(kind, 0) + n
    return {
        "injected": sum(t["injected"] for t in per_system.values()),
        "retried": sum(t["retried"] for t in per_system.values()),
        "by_kind": dict(sorted(by_kind.items())),
        "by_system": dict(sorted(per_system.items())),
    }


def verdict(run: dict[str, Any]) -> list[str]:
    """What makes the soak fail: anything lost or done twice, or a loop that did not settle."""
    problems = list(run["reconciliation"]["problems"])
    if not run["passes"]["last_succeeded"]:
        problems.append("the last pass (faults off) failed: the loop did not settle")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orderloop.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=7.0, help="simulated days of passes")
    parser.add_argument("--step-hours", type=float, default=8.0, help="world hours between passes")
    parser.add_argument("--volume", type=int, default=10, help="times the demo's 27 orders a day")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--settle-passes", type=int, default=2, help="passes without faults at the end")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="a fresh data folder for the run (default: a new temporary one, kept)")
    parser.add_argument("--output", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="orderloop-soak-"))
    os.environ["ORDERLOOP_DATA_DIR"] = str(data_dir)
    settings = SoakSettings(days=args.days, step_hours=args.step_hours,
                            orders_per_day=DEMO_ORDERS_PER_DAY * args.volume, seed=args.seed,
                            settle_passes=args.settle_passes)
    run = run_soak(settings)
    from orderloop.soak_reconciliation import format_reconciliation

    print(format_reconciliation(run))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(run, indent=2, default=str) + "\n")
    print(f"Written to {args.output}")
    problems = verdict(run)
    for problem in problems:
        print(f"SOAK FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
