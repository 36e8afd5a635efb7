"""Each action's worker is SIGKILLed between its call and its ledger write, then run again.

The sandbox carries out the call and holds back its answer (``slow_answer_matching``), so the
outside system has acted while the worker has not heard: exactly the window in which a crash
leaves no record of its own call. The test waits until the sandbox shows the effect, kills the
worker's whole process group (the Dagster CLI and its step process), lets the answers through,
runs the same asset again and checks the outside world: every effect happened once.

Real parts throughout: a sandbox world over HTTP, the ingest job building the queues in DuckDB,
and ``dagster asset materialize`` as the worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orderloop.paths import DataPaths
from sandbox.faults import FaultConfig
from sandbox.stats import world_stats
from tests.conftest import PLUS_PLAN, WORLD_DAYS, WORLD_NOW, WORLD_SEED, use_data_dir

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KILL_DEADLINE_SECONDS = 180


@dataclass(frozen=True)
class Action:
    """One action: its asset, the outside system, which request to hold, and how to count effects."""

    # An asset key, or "job:<name>" when the action's queue is built in the same run (the
    # notification queue reads the exceptions the other actions' ledgers feed).
    asset: str
    system: str
    request_text: str
    effects: Callable[[dict[str, Any]], int]
    ledger: str
    # Ledger rows that stand for an effect in the outside system (the crashed call is counted
    # as one too: a push found already applied after the crash was ours).
    effect_rows: str
    # What runs after the crash, when not ``asset`` again: the notification queue was built by
    # the crashed job before its notifications step, so the action alone is rerun (the job
    # would cost a whole pass each time).
    rerun: str | None = None
    # A batched action's one held call carries out a whole batch (Postmark: up to 500 emails),
    # so the crash leaves that many effects unheard of, each pending; otherwise exactly one.
    batched: bool = False
    # The rerun decides at a time past the action's look-up grace: a pending notification is not
    # looked up until Postmark has had time to index it (LOOKUP_GRACE), so a rerun straight after
    # the crash would rightly leave the crashed batch waiting.
    rerun_after_grace: bool = False


ACTIONS = [
    Action(
        "actions/label_bookings",
        "click_and_drop",
        "orderReference",
        lambda stats: stats["click_and_drop"]["bookings_accepted_api"],
        "actions.label_bookings",
        "status = 'booked'",
    ),
    Action(
        "actions/stock_pushes",
        "shopify",
        "inventorySetQuantities",
        lambda stats: sum(stats["channel_stock"][name]["pushes"] for name in ("shopify", "woocommerce")),
        "actions.stock_pushes",
        # A push found already applied after the crash was ours; other 'already showing' were not.
        "outcome like 'set from%'",
    ),
    Action(
        "actions/refunds",
        "stripe",
        "payment_intent",
        lambda stats: stats["stripe_refunds"]["refunds_created"],
        "actions.refunds",
        "status = 'refunded'",
    ),
    Action(
        "job:act_and_publish_job",
        "postmark",
        "/postmark/email",
        lambda stats: stats["postmark"]["emails_sent"],
        "actions.notifications",
        "status = 'sent'",
        rerun="actions/notifications",
        batched=True,
        rerun_after_grace=True,
    ),
]


def _materialize(target: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """The worker: the Dagster CLI materializing one asset (or running a job), in its own process
    group; ``env``: its environment, if not this process's."""
    if target.startswith("job:"):
        command = ["job", "execute", "-m", "pipelines.definitions", "-j", target.removeprefix("job:")]
    else:
        command = ["asset", "materialize", "-m", "pipelines.definitions", "--select", target]
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "dagster", *command],
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )


def _wait_until_group_is_gone(group: int, timeout: float = 30) -> None:
    """Wait for every process of a killed worker's group to exit. ``wait`` covers the Dagster CLI
    only; its step process, holding the warehouse's write lock, can still be dying, and on a
    loaded machine a read of the ledger then failed on DuckDB's lock (seen once in CI)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"processes of the killed worker's group {group} still run"
        time.sleep(0.05)


def _ledger(paths: DataPaths, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(sql, params or {}).fetchall()


@pytest.fixture(scope="module")
def queued_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataPaths]:
    """A world whose action queues are built (the ingest job ran) and not yet acted on."""
    from dagster import DagsterInstance

    from orderloop.run_pass import receive_sandbox_pushes
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.clock import advance
    from sandbox.generator import generate_world
    from sandbox.server import SandboxServer

    previous = os.environ.get("ORDERLOOP_DATA_DIR")
    paths = use_data_dir(tmp_path_factory.mktemp("crash") / "data")
    # Six days of the automation era after the manual history, so every queue has work in it,
    # refunds included (since automation a cancelled, paid WooCommerce order is ours to refund).
    generate_world(paths.sandbox, days=WORLD_DAYS, seed=WORLD_SEED, now=WORLD_NOW - timedelta(days=6))
    advance(paths.sandbox, 6 * 24)
    with SandboxServer(paths.sandbox, throttle=PLUS_PLAN) as server, sources_pointing_at(server.url):
        receive_sandbox_pushes(paths)
        from pipelines.definitions import defs

        with DagsterInstance.get() as instance:
            result = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance)
        assert result.success
    yield paths
    if previous:
        use_data_dir(Path(previous))


@pytest.mark.parametrize("action", ACTIONS, ids=[a.ledger.split(".")[1] for a in ACTIONS])
def test_a_worker_killed_between_call_and_ledger_write_causes_no_second_effect(
    queued_world: DataPaths, action: Action, tmp_path: Path
) -> None:
    from dagster import DagsterInstance

    from orderloop.sandbox_mode import sources_pointing_at
    from pipelines.run_recovery import fail_abandoned_runs, worker_pids
    from sandbox.server import SandboxServer, release_stalls

    paths = queued_world
    log = tmp_path / "worker.log"
    before = action.effects(world_stats(paths.sandbox))
    faults = FaultConfig(systems=(action.system,), slow_answer_matching=action.request_text,
                         stall_seconds=KILL_DEADLINE_SECONDS)
    with SandboxServer(paths.sandbox, throttle=PLUS_PLAN, faults=faults) as server, \
            sources_pointing_at(server.url):
        worker = _materialize(action.asset, log)
        deadline = time.monotonic() + KILL_DEADLINE_SECONDS
        while action.effects(world_stats(paths.sandbox)) == before:
            assert worker.poll() is None, f"the worker ended before its first call:\n{log.read_text()}"
            if time.monotonic() >= deadline:
                os.killpg(worker.pid, signal.SIGKILL)  # not left running for the next tests
                pytest.fail("the worker never made its first call")
            time.sleep(0.1)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        _wait_until_group_is_gone(worker.pid)
        # The outside system acted once (one call: one effect, or one batch's); the worker died
        # before hearing of it.
        made = action.effects(world_stats(paths.sandbox)) - before
        assert made >= 1 if action.batched else made == 1, made
        pending = _ledger(paths, f"select idempotency_key from {action.ledger} where status = 'pending'")
        assert len(pending) == made, (made, pending)
        crashed = [key for (key,) in pending]

        release_stalls(server.app)
        # The killed run still holds the DuckDB pool; the sensor (or the next orderloop run)
        # finds its worker gone and frees it.
        with DagsterInstance.get() as instance:
            runs = [(r.run_id, r.status, sorted(worker_pids(instance, r.run_id)))
                    for r in instance.get_runs(limit=3)]
            assert fail_abandoned_runs(instance), f"the killed run was not recognised as abandoned: {runs}"
        rerun_env = None
        if action.rerun_after_grace:
            from orderloop.decision_clock import DECISION_TIME_ENV, decision_now
            from pipelines.actions.notifications import LOOKUP_GRACE

            later = decision_now() + LOOKUP_GRACE + timedelta(minutes=1)
            rerun_env = {**os.environ, DECISION_TIME_ENV: later.replace(tzinfo=UTC).isoformat()}
        rerun = _materialize(action.rerun or action.asset, log, rerun_env)
        assert rerun.wait(timeout=300) == 0, log.read_text()[-4000:]
        after_rerun = world_stats(paths.sandbox)

        statuses = dict(_ledger(paths, f"select status, count(*) from {action.ledger} group by status"))
        assert statuses.get("pending", 0) == 0, statuses
        [(recorded,)] = _ledger(
            paths,
            f"select count(*) from {action.ledger}"
            f" where ({action.effect_rows}) or list_contains($keys, idempotency_key)",
            {"keys": crashed},
        )
        # Every effect in the outside world has exactly one ledger entry, the crashed call's among
        # them, and none was made a second time.
        assert action.effects(after_rerun) - before == recorded, (statuses, before, after_rerun)
        crashed_statuses = _ledger(
            paths,
            f"select distinct status from {action.ledger} where list_contains($keys, idempotency_key)",
            {"keys": crashed},
        )
        assert not {s for (s,) in crashed_statuses} & {"pending", "failed", "skipped"}, crashed_statuses

        again = _materialize(action.rerun or action.asset, log, rerun_env)
        assert again.wait(timeout=300) == 0, log.read_text()[-4000:]
        assert action.effects(world_stats(paths.sandbox)) == action.effects(after_rerun)
