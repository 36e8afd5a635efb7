"""The Cycle time page, driven through Streamlit's AppTest against a known published file."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import ORDERS, PUBLISHED_AT, RUN_ID, build_published
from streamlit.testing.v1 import AppTest

from dashboards.filters import CHANNELS_KEY
from orderloop.paths import PROJECT_ROOT

APP = PROJECT_ROOT / "dashboards" / "app.py"
PAGE = PROJECT_ROOT / "dashboards" / "pages" / "cycle_time.py"
TIMEOUT = 30

# Written independently of dashboards.kpis on purpose: the page must agree with plain SQL.
EXPECTED_SQL = """
select
    count(*),
    count(*) filter (where despatched_at is not null),
    quantile_cont(cycle_time_to_despatch_hours, 0.5),
    quantile_cont(cycle_time_to_despatch_hours, 0.9),
    100.0 * count(*) filter (where despatched_on_time = true)
        / count(*) filter (where despatched_on_time is not null),
    100.0 * count(*) filter (where manual_touches = 0) / count(*)
from marts.fct_orders
where channel in (select unnest(?::varchar[]))
  and placed_at >= ?::date and placed_at < ?::date + interval 1 day
"""


def expected_tiles(
    path: Path,
    channels: tuple[str, ...] = ("web", "pos"),
    start: dt.date = dt.date(2000, 1, 1),
    end: dt.date = dt.date(2100, 1, 1),
) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        orders, despatched, p50, p90, on_time, touchless = conn.execute(
            EXPECTED_SQL, [list(channels), start, end]
        ).fetchone()
    return {
        "Orders": f"{orders:,}",
        "Despatched": f"{despatched:,}",
        "Cycle time p50": f"{p50:.1f} h",
        "Cycle time p90": f"{p90:.1f} h",
        "On-time despatch": f"{on_time:.1f}%",
        "Touchless": f"{touchless:.1f}%",
    }


def tiles(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def run(script: Path) -> AppTest:
    """Run the page, or the app switched to this page (the app opens on the Overview)."""
    at = AppTest.from_file(script, default_timeout=TIMEOUT).run()
    if script == APP:
        at.switch_page("pages/cycle_time.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("script", [APP, PAGE], ids=["app", "page"])
def test_tiles_equal_independent_sql(published: Path, script: Path) -> None:
    at = run(script)

    assert at.title[0].value == "Cycle time"
    assert tiles(at) == expected_tiles(published)
    # Sanity-check the fixture itself, so a wrong expectation cannot pass silently.
    assert tiles(at)["Cycle time p50"] == "6.0 h"
    assert tiles(at)["Cycle time p90"] == "39.2 h"
    assert not at.info


def test_app_entry_switches_to_the_page(published: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert at.title[0].value == "Overview"
    at.switch_page("pages/cycle_time.py").run()

    assert not at.exception
    assert tiles(at) == expected_tiles(published)


@pytest.mark.parametrize("script", [APP, PAGE], ids=["app", "page"])
def test_channel_filter_changes_figures(published: Path, script: Path) -> None:
    at = run(script)
    everything = tiles(at)

    assert at.sidebar.multiselect[0].options == ["pos", "web"]
    at.sidebar.multiselect[0].set_value(["web"]).run()

    assert not at.exception
    assert tiles(at) == expected_tiles(published, channels=("web",))
    assert tiles(at) != everything
    assert at.session_state[CHANNELS_KEY] == ["web"]  # persisted for other pages


def test_date_filter_changes_figures(published: Path) -> None:
    at = run(PAGE)
    day = dt.date(2025, 3, 3)

    at.sidebar.date_input[0].set_value((day, day)).run()

    assert not at.exception
    assert tiles(at) == expected_tiles(published, start=day, end=day)
    assert tiles(at)["Orders"] == "3"


def test_filters_come_from_session_state(published: Path) -> None:
    """A choice made on another page (stored in session state) applies when this page renders."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[CHANNELS_KEY] = ["pos", "no-longer-present"]
    at.run()
    at.switch_page("pages/cycle_time.py").run()

    assert not at.exception
    assert at.sidebar.multiselect[0].value == ["pos"]
    assert tiles(at) == expected_tiles(published, channels=("pos",))


def test_last_refreshed_shows_published_at(published: Path) -> None:
    at = run(APP)

    captions = [caption.value for caption in at.caption]
    stamp = f"{PUBLISHED_AT:%Y-%m-%d %H:%M} UTC"
    assert f"Data last refreshed: {stamp} (run {RUN_ID})" in captions


def test_new_publication_shows_without_waiting_for_ttl(published: Path) -> None:
    at = run(APP)
    assert tiles(at)["Orders"] == str(len(ORDERS))

    # Publish like the pipeline does: write elsewhere, then atomically replace.
    staged = build_published(published.parent / "staging" / "warehouse.duckdb", orders=ORDERS[:2])
    os.replace(staged, published)
    at.run()

    assert not at.exception
    assert tiles(at)["Orders"] == "2"


@pytest.mark.parametrize("script", [APP, PAGE], ids=["app", "page"])
def test_empty_state_without_published_file(data_dir: Path, script: Path) -> None:
    at = run(script)

    assert len(at.info) == 1
    assert "orderloop demo" in at.info[0].value and "orderloop run" in at.info[0].value
    assert not at.metric and not at.error


def test_empty_state_when_no_orders(data_dir: Path) -> None:
    build_published(data_dir / "published" / "warehouse.duckdb", orders=[])
    at = run(APP)

    assert "orderloop demo" in at.info[0].value
    assert not at.metric


def test_empty_state_when_marts_missing(data_dir: Path) -> None:
    path = data_dir / "published" / "warehouse.duckdb"
    path.parent.mkdir(parents=True)
    duckdb.connect(str(path)).close()
    at = run(APP)

    assert "orderloop demo" in at.info[0].value


def test_unknown_refresh_time_without_publication_table(data_dir: Path) -> None:
    build_published(data_dir / "published" / "warehouse.duckdb", with_publication=False)
    at = run(APP)

    assert "Data last refreshed: unknown" in [caption.value for caption in at.caption]
    assert tiles(at)["Orders"] == str(len(ORDERS))


def test_filter_matching_nothing_says_so(published: Path) -> None:
    at = run(PAGE)
    at.sidebar.date_input[0].set_value((dt.date(2025, 3, 7), dt.date(2025, 3, 7)))
    at.sidebar.multiselect[0].set_value(["web"]).run()

    assert not at.exception
    assert tiles(at)["Orders"] == "0"
    assert tiles(at)["Cycle time p50"] == "—"
    assert "No orders match" in at.info[0].value
