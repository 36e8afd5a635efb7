"""Running a dashboard page under AppTest and asking the published file the same question in SQL."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboards.pages_index import PAGES

TIMEOUT = 60


def page_path(module: str) -> Path:
    """The file of the page whose module is ``module`` (as the app lists it)."""
    return next(page.path for page in PAGES if page.module == module)


def run_page(module: str, state: Mapping[str, object] | None = None) -> AppTest:
    """Run one page (with session state set first, as another page would leave it); no traceback."""
    at = AppTest.from_file(page_path(module), default_timeout=TIMEOUT)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sql(data_dir: Path, query: str, params: Sequence[object] | None = None) -> pd.DataFrame:
    """Plain SQL over the published file, independent of the dashboards' own queries."""
    with duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(query, list(params or [])).df()


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page that has ``column`` (fails if none or several)."""
    found = [frame.value for frame in at.dataframe if column in frame.value.columns]
    assert len(found) == 1, f"{len(found)} tables with column {column!r}"
    return found[0]


def tiles(at: AppTest) -> list[tuple[str, str]]:
    """Every metric tile as (label, value), in page order."""
    return [(metric.label, metric.value) for metric in at.metric]


def one_decimal(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:,.1f}"


def copy_published(built: Path, data_dir: Path) -> Path:
    """A writable copy of the built published file in ``data_dir``, for a test that needs one
    situation the simulated world does not produce (the copy is changed, never the original)."""
    target = data_dir / "published" / "warehouse.duckdb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(built / "published" / "warehouse.duckdb", target)
    return target
