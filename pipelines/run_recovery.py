"""Runs whose worker died: marked failed, and their DuckDB pool slot given back.

A run worker killed outright (SIGKILL, power loss, the OOM killer) cannot report its own end.
Its run stays STARTED and keeps the one slot of the ``duckdb`` pool, so every later writer
waits for ever and ``max_concurrent_runs: 1`` queues every later run behind it. Dagster's run
monitoring covers launched runs only when its daemon is configured for it; runs executed by the
CLI or by ``orderloop run`` have no monitor at all. So orderloop looks for itself, on this
machine: a run in progress none of whose recorded processes is alive any more is abandoned.
The actions' ledgers make re-running safe; this only unblocks the next run.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def _alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (a killed step process whose parent died
    too is reparented and may wait unreaped, still answering signal 0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): signal 0 is all we can know
    return state not in ("Z", "X")


def worker_pids(instance: DagsterInstance, run_id: str) -> set[int]:
    """Every process the run's events say worked on it (the run worker and its step processes)."""
    return {
        entry.dagster_event.pid
        for entry in instance.all_logs(run_id)
        if entry.dagster_event is not None and entry.dagster_event.pid
    }


def abandoned_run_ids(instance: DagsterInstance) -> list[str]:
    """Runs in progress whose every recorded worker process has gone.

    A run with no recorded process yet is left alone: it may be starting."""
    abandoned = []
    for run in instance.get_runs(RunsFilter(statuses=IN_PROGRESS)):
        pids = worker_pids(instance, run.run_id)
        if pids and not any(_alive(pid) for pid in pids):
            abandoned.append(run.run_id)
    return abandoned


def fail_abandoned_runs(instance: DagsterInstance) -> list[str]:
    """Mark each abandoned run failed, saying why, and free its pool slots; their ids."""
    failed = []
    for run_id in abandoned_run_ids(instance):
        run = instance.get_run_by_id(run_id)
        if run is None:
            continue
        pids = sorted(worker_pids(instance, run_id))
        instance.report_run_failed(
            run, message=f"orderloop: the run's worker processes {pids} are gone (killed or crashed)"
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        failed.append(run_id)
    return failed
