"""Fixtures of the dashboard tests: a data folder in force, a hand-made published file, the real
published warehouse built by the pipeline once per session (``built_warehouse``, in
``tests/conftest.py``, shared with the security tests), and a clean cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from dashboard_fixtures import build_published


@pytest.fixture(autouse=True)
def clean_streamlit_cache() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty orderloop data folder in force for the app (no published file yet)."""
    monkeypatch.setenv("ORDERLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    return tmp_path


@pytest.fixture
def published(data_dir: Path) -> Path:
    """The known published warehouse at ``<data_dir>/published/warehouse.duckdb``."""
    return build_published(data_dir / "published" / "warehouse.duckdb")


@pytest.fixture
def real_data_dir(built_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The built data folder in force for the app under test (read-only use only)."""
    monkeypatch.setenv("ORDERLOOP_DATA_DIR", str(built_warehouse))
    monkeypatch.setenv("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    return built_warehouse


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Repeat a skipped browser test at the very end, in colour: a skip must not read as a pass."""
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        if "headless browser test SKIPPED" in message:
            terminalreporter.write_sep("!", message.removeprefix("Skipped: "), yellow=True, bold=True)
