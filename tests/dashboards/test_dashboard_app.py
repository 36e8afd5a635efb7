"""The app as a whole: every page listed in the index opens from the app, shows when the data
was refreshed, and says what to do when nothing has been published yet."""

from __future__ import annotations

from pathlib import Path

import pytest
from page_testkit import TIMEOUT, run_page
from streamlit.testing.v1 import AppTest

from dashboards.pages_index import PAGES
from orderloop.paths import PROJECT_ROOT

APP = PROJECT_ROOT / "dashboards" / "app.py"


def test_every_page_opens_from_the_app(real_data_dir: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert at.title[0].value == PAGES[0].title

    for page in PAGES:
        at.switch_page(f"pages/{page.module}.py").run()
        assert not at.exception, (page.module, [e.value for e in at.exception])
        assert not at.error, page.module
        assert at.title[0].value == page.title
        assert any(c.value.startswith("Data last refreshed: 20") for c in at.caption), page.module
        assert len(at.get("download_button")) == len(at.dataframe), page.module


def test_url_paths_are_explicit_and_unique() -> None:
    paths = [page.url_path for page in PAGES]
    assert len(set(paths)) == len(paths) == 6
    assert all(page.path.exists() for page in PAGES)
    assert [page.public_path for page in PAGES if page.default] == [""]


@pytest.mark.parametrize("module", [page.module for page in PAGES])
def test_each_page_says_what_to_do_without_data(data_dir: Path, module: str) -> None:
    at = run_page(module)

    assert "orderloop demo" in at.info[0].value and "orderloop run" in at.info[0].value
    assert not at.metric and not at.error and not at.dataframe


def test_filters_chosen_on_one_page_hold_on_the_others(real_data_dir: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.sidebar.multiselect[0].set_value(["woocommerce"]).run()
    at.sidebar.multiselect[1].set_value(["leeds"]).run()

    for page in PAGES[1:]:
        at.switch_page(f"pages/{page.module}.py").run()
        assert not at.exception, page.module
        assert at.sidebar.multiselect[0].value == ["woocommerce"], page.module
        assert at.sidebar.multiselect[1].value == ["leeds"], page.module
