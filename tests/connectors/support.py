"""Helpers shared by the connector tests: reading the warehouse, dlt's log, the sandbox's request log."""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from dlt.common import logger as dlt_logger


def warehouse_scalar(paths, sql: str):
    """One value from the warehouse, read-only."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchone()[0]


@contextmanager
def dlt_debug_log_into(caplog) -> Iterator[None]:
    """dlt's own logger at DEBUG into caplog (it does not propagate to the root logger)."""
    logger = dlt_logger.LOGGER
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(caplog.handler)
    try:
        yield
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)


# Where a dlt pipeline's load packages sit in its working folder, by step (dlt 1.x layout):
# an extract still running writes under normalize/<random id>/<load id>; a committed extract moves
# to normalize/extracted; normalize writes load/new then load/normalized; a finished load is in
# load/loaded.
def dlt_packages(pipelines_dir: Path, pipeline_name: str) -> dict[str, list[str]]:
    """The pipeline's load ids by step: extracting, extracted, normalizing, loading, loaded."""
    root = Path(pipelines_dir) / pipeline_name

    def ids(pattern: str, exclude: str | None = None) -> list[str]:
        return sorted(p.name for p in root.glob(pattern) if p.is_dir() and p.parent.name != exclude)

    return {
        "extracting": ids("normalize/*/*", exclude="extracted"),
        "extracted": ids("normalize/extracted/*"),
        "normalizing": ids("load/new/*"),
        "loading": ids("load/normalized/*"),
        "loaded": ids("load/loaded/*"),
    }


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """SIGKILL ``process`` as soon as ``ready()``; fails unless it was still running then."""
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert process.poll() is None, f"it ended before it could be killed {what}"
            assert time.monotonic() < deadline, f"it never got to {what}"
            time.sleep(0.005)
        assert process.poll() is None, f"it ended before it could be killed {what}"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "it should have been killed, not have ended"


# Put before a loader script run in a subprocess with ``<progress file> <seconds>`` as its last two
# arguments: every landed file dlt's filesystem source reads takes that much longer, as from a slow
# remote store, and adds a byte to the progress file, so the test can kill the load after it has read
# some of the files but not all, whatever the speed of the machine.
SLOW_LANDING = """
import sys
import time
from dlt.sources.filesystem import FileItemDict
_read_bytes, _progress, _delay = FileItemDict.read_bytes, sys.argv[-2], float(sys.argv[-1])
def _slow_read_bytes(self):
    time.sleep(_delay)
    with open(_progress, "ab") as progress:
        progress.write(b".")
    return _read_bytes(self)
FileItemDict.read_bytes = _slow_read_bytes
"""


def files_read(progress: Path) -> int:
    """How many landed files a loader started with ``SLOW_LANDING`` has read so far."""
    return progress.stat().st_size if progress.exists() else 0


def record_transport(monkeypatch) -> list[dict]:
    """What each HTTP attempt of this process gets, in order: a status code or the transport
    error (timeout, dropped connection), with when it started and ended (client side)."""
    from requests import RequestException
    from requests.adapters import HTTPAdapter

    attempts: list[dict] = []
    send = HTTPAdapter.send

    def recording_send(self, *args, **kwargs):
        attempt = {"started": time.monotonic()}
        attempts.append(attempt)
        try:
            response = send(self, *args, **kwargs)
        except RequestException as error:
            attempt.update(outcome=type(error).__name__, ended=time.monotonic())
            raise
        attempt.update(outcome=response.status_code, ended=time.monotonic())
        return response

    monkeypatch.setattr(HTTPAdapter, "send", recording_send)
    return attempts


def assert_every_fault_retried(attempts: list[dict]) -> None:
    """Each fault was met and followed by another attempt; a 429's only after its Retry-After (>= 1 s)."""
    outcomes = [a["outcome"] for a in attempts]
    assert {429, 503, "ReadTimeout", "ConnectionError"} <= set(outcomes), outcomes
    assert outcomes[-1] == 200
    for refused, retry in zip(attempts, attempts[1:], strict=False):
        if refused["outcome"] == 429:
            assert retry["started"] - refused["ended"] >= 0.9, "Retry-After should be honoured"


# An API that never answers, three ways: each source must fail naming itself and the request.
OUTAGES = [
    pytest.param({"fail_every": 1}, 503, id="down"),
    pytest.param({"reset_every": 1}, "ConnectionError", id="resets"),
    pytest.param({"stall_every": 1, "stall_seconds": 5}, "ReadTimeout", id="stalls"),
]


def fail_during_outage(monkeypatch, world, system: str, faults: dict, build_source: Callable[[], object]):
    """Load ``system`` from a sandbox whose API never answers; dlt gives up after two quick
    attempts (a stall outlasts RUNTIME__REQUEST_TIMEOUT, not 60 s). Returns the failure
    message, what each attempt got, and the sandbox's URL."""
    from dlt.pipeline.exceptions import PipelineStepFailed

    from connectors.destination import warehouse_pipeline
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.faults import FaultConfig
    from sandbox.server import SandboxServer

    attempts = record_transport(monkeypatch)
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", "0.5")  # dlt's setting applies without request_timeout
    outage = FaultConfig(systems=(system,), **faults)
    with SandboxServer(world.sandbox, faults=outage) as server, sources_pointing_at(server.url):
        pipeline = warehouse_pipeline(system, world.warehouse, world.dlt_pipelines)
        with pytest.raises(PipelineStepFailed) as error:
            pipeline.run(build_source())
    return str(error.value), [a["outcome"] for a in attempts], server.url
