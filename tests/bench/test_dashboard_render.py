"""The dashboard benches time what a user of a running server waits for, not AppTest's own set-up.

A new AppTest scans every installed distribution for Streamlit components on its first run; a
server does it once when it starts. The benches hand each AppTest one registry discovered per
process (``bench.dashboard_render.new_session``). These tests fail if Streamlit renames the
attribute that carries it (the scan would silently be timed again) or if a render scans anew.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.testing.v1 import AppTest

from bench.dashboard_render import BASELINE_PAGE, new_session, render_seconds, server_component_registry


@pytest.fixture
def baseline_page(tmp_path: Path) -> Path:
    page = tmp_path / "baseline_page.py"
    page.write_text(BASELINE_PAGE)
    return page


def test_apptest_still_keeps_its_component_registry_where_the_bench_sets_it(baseline_page: Path) -> None:
    app = AppTest.from_file(str(baseline_page))
    assert hasattr(app, "_bidi_component_manager")
    assert new_session(baseline_page, timeout=30)._bidi_component_manager is server_component_registry()


def test_renders_share_one_scan_of_the_installed_components(
    baseline_page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_component_registry()  # the server's start-up scan, before any page is timed
    scans: list[object] = []
    discover = BidiComponentManager.discover_and_register_components

    def counted(self: BidiComponentManager, **kwargs: object) -> None:
        scans.append(self)
        discover(self, **kwargs)

    monkeypatch.setattr(BidiComponentManager, "discover_and_register_components", counted)
    timings = render_seconds(baseline_page, 3, cold=True, timeout=60)
    assert len(timings) == 3
    assert scans == []
