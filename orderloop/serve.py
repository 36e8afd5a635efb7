"""Serving the demo: the sandbox, the Dagster UI and the dashboard, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from orderloop.paths import PROJECT_ROOT, DataPaths
from orderloop.sandbox_mode import sandbox_enabled, sandbox_source_env

DAGSTER_PORT = 3000
DASHBOARD_PORT = 8501


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_sigint() -> None:
    # dagster dev ignores SIGINT when started from a process that ignores it; restore it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, preexec_fn=_reset_sigint, start_new_session=True)


def dashboard_command(port: int = DASHBOARD_PORT) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "dashboards" / "app.py"),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def serve_all(
    paths: DataPaths, dagster_port: int = DAGSTER_PORT, dashboard_port: int = DASHBOARD_PORT
) -> int:
    """Start every service on 127.0.0.1 and stop them all on Ctrl-C (or SIGTERM)."""
    env = dict(os.environ)
    processes: list[subprocess.Popen] = []
    if sandbox_enabled():
        sandbox_port = free_port()
        processes.append(
            _start(
                [
                    sys.executable,
                    "-m",
                    "sandbox",
                    "--data-dir",
                    str(paths.sandbox),
                    "serve",
                    "--port",
                    str(sandbox_port),
                ],
                env,
            )
        )
        env.update(sandbox_source_env(f"http://127.0.0.1:{sandbox_port}"))
    processes.append(
        _start(
            [
                sys.executable,
                "-m",
                "dagster",
                "dev",
                "-w",
                str(PROJECT_ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(dagster_port),
            ],
            env,
        )
    )
    processes.append(_start(dashboard_command(dashboard_port), env))
    print(f"\nDagster UI:  http://127.0.0.1:{dagster_port}")
    print(f"Dashboard:   http://127.0.0.1:{dashboard_port}")
    print("Press Ctrl-C to stop.\n", flush=True)

    stop = {"now": False}

    def request_stop(signum: int, frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stop["now"] and all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop_all(processes)
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
