"""One pass of the loop as a real Dagster run, recorded in the instance the UI shows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from orderloop.paths import DataPaths, data_paths
from orderloop.sandbox_mode import sandbox_credentials, sandbox_enabled, sources_pointing_at


@dataclass(frozen=True)
class PassResult:
    success: bool
    run_id: str
    log_path: Path


@contextmanager
def sandbox_for_run(paths: DataPaths, days: int = 30, seed: int = 7) -> Iterator[str | None]:
    """Serve the sandbox on an ephemeral port for the length of a run, if config asks for it."""
    if not sandbox_enabled():
        yield None
        return
    from sandbox.generator import generate_world
    from sandbox.query_cost import ThrottleConfig
    from sandbox.server import SandboxServer

    if not (paths.sandbox / "world.sqlite").exists():
        print(f"No sandbox world in {paths.sandbox}: generating {days} days (seed {seed}).")
        generate_world(paths.sandbox, days=days, seed=seed)
    # The demo shop is on Shopify Plus rates so a first backfill takes seconds, not minutes.
    plus_plan = ThrottleConfig(maximum_available=20000.0, restore_rate=1000.0)
    credentials = sandbox_credentials()
    with SandboxServer(paths.sandbox, throttle=plus_plan, **credentials.server_kwargs()) as server, \
            sources_pointing_at(server.url, credentials=credentials):
        receive_sandbox_pushes(paths, credentials.webhook_secret)
        yield server.url


# The sandbox replays its whole history (a month by default) to a receiver it meets for the
# first time; a real carrier only sends what happens after the webhook is registered.
SANDBOX_HISTORY_AGE = timedelta(days=400)


def receive_sandbox_pushes(paths: DataPaths, secret: str | None = None) -> dict[str, Any]:
    """What the simulated world pushes rather than serves: carrier tracking webhooks, sent
    over HTTP to orderloop's real receiver (signed with ``secret``, by default the configured
    one), and 3PL feed files dropped in the landing folder."""
    from connectors.easypost.receiver import WEBHOOK_PATH, create_receiver
    from orderloop.background_server import serving
    from orderloop.webhooks import webhook_secret
    from sandbox.tracking_webhooks import deliver_pending
    from sandbox.warehouse_files import write_feeds
    from sandbox.world import opened, world_now

    secret = secret or webhook_secret()
    with opened(paths.sandbox) as conn:
        now = world_now(conn)
    receiver = create_receiver(
        paths.tracking_webhooks_landing, secret, max_age=SANDBOX_HISTORY_AGE, clock=lambda: now
    )
    with serving(receiver) as base_url:
        webhooks = deliver_pending(paths.sandbox, base_url + WEBHOOK_PATH, secret)
    feeds = write_feeds(paths.sandbox, paths.warehouse_feeds_landing)
    return {"webhooks": webhooks, "feeds": feeds}


def run_full_pass() -> PassResult:
    """Execute ``full_pass_job`` in this process (one writer, no lock contention).

    The step-by-step output (dbt's, dlt's) goes to ``<data>/logs/last_run.log`` and the
    Dagster instance, so the terminal shows warnings and the summary only.
    """
    from dagster import DagsterInstance

    log_path = data_paths().root / "logs" / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log, redirect_stdout(log):
        # Importing the definitions re-parses the dbt project if the manifest is stale.
        from pipelines.definitions import defs
        from pipelines.run_recovery import fail_abandoned_runs

        job = defs.resolve_job_def("full_pass_job")
        with DagsterInstance.get() as instance:
            # A pass killed earlier would otherwise hold the DuckDB pool slot for ever.
            fail_abandoned_runs(instance)
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
    return PassResult(success=result.success, run_id=result.run_id, log_path=log_path)
