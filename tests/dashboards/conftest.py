"""Fixtures of the dashboard tests: a data folder in force, a hand-made published file, a real
published warehouse built by the pipeline once per session, and a clean cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from dashboard_fixtures import build_published
from merchant_changes import add_unknown_contact_reason
from real_world import REAL_WORLD_AUTOMATED_DAYS, REAL_WORLD_DAYS, REAL_WORLD_NOW, REAL_WORLD_SEED


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


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the demo's history: the manual era generated, then real passes of the
    automated era (a few minutes; built once per session).

    The page tests compare what the pages show with SQL over its published copy, so the figures
    come from the real pipeline, not from hand-made tables. The merchant's Zendesk has one contact
    reason orderloop does not map yet (``merchant_changes.py``), so some data checks warn, as they
    would in a real shop.
    """
    from orderloop.demo_history import replay_automated_era, start_demo_world
    from tests.conftest import use_data_dir

    previous = os.environ.get("ORDERLOOP_DATA_DIR")
    root = tmp_path_factory.mktemp("dashboards-world") / "data"
    paths = use_data_dir(root)
    try:
        calendar = start_demo_world(
            paths, REAL_WORLD_DAYS, REAL_WORLD_SEED, REAL_WORLD_NOW, REAL_WORLD_AUTOMATED_DAYS
        )
        add_unknown_contact_reason(paths.sandbox)
        result = replay_automated_era(paths, calendar)
        assert result.success, f"orderloop run failed; see {root / 'logs' / 'last_run.log'}"
    finally:
        if previous:
            use_data_dir(Path(previous))
    assert paths.published.exists()
    return root


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
