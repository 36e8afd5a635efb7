"""The CLI entry point orderloop calls in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.cli import main
from sandbox.stats import world_stats


def test_generate_stats_and_advance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = str(tmp_path / "cli-world")
    assert (
        main(
            [
                "--data-dir",
                data_dir,
                "generate",
                "--days",
                "3",
                "--seed",
                "5",
                "--now",
                "2026-11-04T12:00:00Z",
                "--orders-per-day",
                "20",
            ]
        )
        == 0
    )
    assert "generated" in capsys.readouterr().out

    assert main(["--data-dir", data_dir, "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats == world_stats(Path(data_dir))
    assert stats["clock"]["now"] == "2026-11-04T12:00:00Z"

    assert main(["--data-dir", data_dir, "stats"]) == 0
    assert "orders:" in capsys.readouterr().out

    assert main(["--data-dir", data_dir, "advance", "--hours", "1.5"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["now"] == "2026-11-04T13:30:00Z"


def test_errors_return_codes_instead_of_exiting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path / "none"), "stats", "--json"]) == 1
    assert main(["--data-dir", str(tmp_path / "none"), "serve"]) == 1
    assert main(["bogus"]) == 2
    assert main(["--help"]) == 0
    capsys.readouterr()
