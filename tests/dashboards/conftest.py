"""Fixtures of the dashboard tests: a data folder in force, the published file, a clean cache."""

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
