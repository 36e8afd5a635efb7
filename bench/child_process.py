"""Run one bench stage in a child process: its wall time and peak memory, on their own.

Each stage (the limit, the peer, an ingest, a dbt build) gets a fresh Python process so
its peak resident memory is its own, and its wall time includes the imports and start-up a
real run pays. The peak is the child's ``VmHWM`` (/proc), read while it runs: the kernel's
``ru_maxrss`` of a child starts from its parent's peak at the fork and keeps it through
``exec``, so every stage used to report at least the harness's own memory (1.2 GiB at 1M).
Where /proc is missing (macOS) ``ru_maxrss`` is the fallback, an upper bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderloop.paths import PROJECT_ROOT


@dataclass(frozen=True)
class StageRun:
    seconds: float
    peak_rss_mib: float
    report: dict[str, Any]


class StageFailed(RuntimeError):
    def __init__(self, message: str, exit_code: int, last_line: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # negative: killed by that signal (-9: the kernel's OOM killer)
        self.last_line = last_line


def run_stage(module: str, args: list[str], env: dict[str, str] | None = None) -> StageRun:
    """``python -m module *args --report FILE`` in a child; the JSON it writes comes back."""
    with tempfile.TemporaryDirectory(prefix="orderloop-stage-") as folder:
        report_file = Path(folder) / "report.json"
        log_file = Path(folder) / "output.log"
        child_env = {**os.environ, **(env or {})}
        # The child imports this checkout, whatever is installed in the venv.
        paths = [str(PROJECT_ROOT), child_env.get("PYTHONPATH")]
        child_env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
        started = time.perf_counter()
        with log_file.open("w") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", module, *args, "--report", str(report_file)],
                cwd=PROJECT_ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT,
            )
            watcher = _PeakWatcher(child.pid)
            _, status, usage = os.wait4(child.pid, 0)
            watcher.stop()
        seconds = time.perf_counter() - started
        child.returncode = exit_code = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if exit_code != 0:
            tail = log_file.read_text()[-3000:]
            last_line = (tail.strip().splitlines() or [""])[-1][:200]
            raise StageFailed(f"{module} {' '.join(args)} exited {exit_code}:\n{tail}", exit_code, last_line)
        report = json.loads(report_file.read_text()) if report_file.exists() else {}
    # Linux reports ru_maxrss in KiB.
    peak_kib = watcher.peak_kib if watcher.peak_kib is not None else usage.ru_maxrss
    return StageRun(seconds=seconds, peak_rss_mib=peak_kib / 1024, report=report)


class _PeakWatcher:
    """Reads a running child's high-water mark of resident memory every ``interval`` seconds.

    ``VmHWM`` only grows, so the last reading before the child exits is its peak but for a
    rise in its last ``interval`` (a stage's peak is in its work, not in its exit)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self._status = Path(f"/proc/{pid}/status")
        self._interval = interval
        self._done = threading.Event()
        self.peak_kib: int | None = None
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.is_set():
            self._read()
            self._done.wait(self._interval)

    def _read(self) -> None:
        try:
            text = self._status.read_text()
        except OSError:  # no /proc, or the child has exited (and been reaped)
            return
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_kib = max(self.peak_kib or 0, int(line.split()[1]))

    def stop(self) -> None:
        self._done.set()
        self._thread.join()
