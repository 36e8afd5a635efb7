"""Run one bench stage in a child process: its wall time and peak memory, on their own.

Each stage (the limit, the peer, an ingest, a dbt build) gets a fresh Python process so
its peak resident memory is its own, read from the kernel's accounting of that one child
(``os.wait4``; psutil is not installed), and its wall time includes the imports and
start-up a real run pays.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
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
            _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = exit_code = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if exit_code != 0:
            tail = log_file.read_text()[-3000:]
            last_line = (tail.strip().splitlines() or [""])[-1][:200]
            raise StageFailed(f"{module} {' '.join(args)} exited {exit_code}:\n{tail}", exit_code, last_line)
        report = json.loads(report_file.read_text()) if report_file.exists() else {}
    # Linux reports ru_maxrss in KiB.
    return StageRun(seconds=seconds, peak_rss_mib=usage.ru_maxrss / 1024, report=report)
