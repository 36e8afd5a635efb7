"""Serving the demo: the sandbox, the Dagster UI and the dashboard, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from connectors.easypost.receiver import WEBHOOK_PATH
from orderloop.paths import PROJECT_ROOT, DataPaths
from orderloop.sandbox_mode import sandbox_enabled, sandbox_source_env
from orderloop.webhooks import webhook_secret

DAGSTER_PORT = 3000
DASHBOARD_PORT = 8501


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_sigint() -> None:
    # dagster dev ignores SIGINT when started from a process that ignores it; restore it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(name: str, cmd: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen:
    """Start one service in its own process group, its output in ``<data>/logs/<name>.log``."""
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{name}.log").open("ab") as log:
        return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=_reset_sigint, start_new_session=True)


def dashboard_command(port: int = DASHBOARD_PORT) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "dashboards" / "app.py"),
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]


def serve_all(
    paths: DataPaths,
    dagster_port: int = DAGSTER_PORT,
    dashboard_port: int = DASHBOARD_PORT,
    live_hours_per_minute: float = 0.0,
) -> int:
    """Start every service on 127.0.0.1 and stop them all on Ctrl-C (or SIGTERM).

    With the sandbox and ``live_hours_per_minute`` > 0 the simulated world keeps moving:
    new orders, despatches, tracking webhooks (to orderloop's receiver) and 3PL files,
    which the schedule and the sensor then pick up.
    """
    env = dict(os.environ)
    logs = paths.root / "logs"
    processes: list[subprocess.Popen] = []
    webhook_port = free_port()
    processes.append(_start("webhooks", [sys.executable, "-m", "orderloop.cli", "webhooks",
                                         "--port", str(webhook_port)], env, logs))
    print(f"Webhooks:    http://127.0.0.1:{webhook_port}{WEBHOOK_PATH}")
    if sandbox_enabled():
        sandbox_port = free_port()
        sandbox_cmd = [sys.executable, "-m", "sandbox", "--data-dir", str(paths.sandbox),
                       "serve", "--port", str(sandbox_port)]
        if live_hours_per_minute > 0:
            sandbox_cmd += [
                "--live-hours-per-minute", str(live_hours_per_minute),
                "--webhook-url", f"http://127.0.0.1:{webhook_port}{WEBHOOK_PATH}",
                "--webhook-secret", webhook_secret(),
                "--feeds-landing", str(paths.warehouse_feeds_landing),
            ]
        processes.append(_start("sandbox", sandbox_cmd, env, logs))
        env.update(sandbox_source_env(f"http://127.0.0.1:{sandbox_port}"))
        live = f" (live: {live_hours_per_minute:g} world hours a minute)" if live_hours_per_minute > 0 else ""
        print(f"Sandbox:     http://127.0.0.1:{sandbox_port}{live}")
    dagster_cmd = [sys.executable, "-m", "dagster", "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
                   "-h", "127.0.0.1", "-p", str(dagster_port)]
    processes.append(_start("dagster", dagster_cmd, env, logs))
    processes.append(_start("dashboard", dashboard_command(dashboard_port), env, logs))
    print(f"Dagster UI:  http://127.0.0.1:{dagster_port}")
    print(f"Dashboard:   http://127.0.0.1:{dashboard_port}")
    print(f"Logs:        {logs}")
    print("Press Ctrl-C to stop.", flush=True)

    stop = {"now": False}

    def request_stop(signum: int, frame: object) -> None:
        stop["now"] = True

    # Handle SIGINT explicitly: a process started in the background inherits it ignored.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stop["now"] and all(p.poll() is None for p in processes):
            time.sleep(0.5)
    finally:
        print("Stopping...", flush=True)
        stop_all(processes)
    if not stop["now"]:
        print(f"A service stopped unexpectedly; see {logs}.", file=sys.stderr)
        return 1
    return 0


def stop_all(processes: list[subprocess.Popen], timeout: float = 15.0) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
