"""Every page of the served app in a real headless browser: no error element, a screenshot each.

The app is started as users start it (``orderloop dashboard``) on an ephemeral 127.0.0.1 port,
against the warehouse the real pipeline built (``built_warehouse``). Chromium and its driver
come from Debian (``apt-get install chromium chromium-driver``; ``.ci/run`` installs them);
where they or selenium are missing the test is skipped with a loud reason, which
``conftest.py`` repeats at the end of the run so nobody mistakes a skip for a pass.
Screenshots go to ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from dashboards.pages_index import PAGES
from orderloop.paths import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = PROJECT_ROOT / "artifacts"
SKIP_REASON = "headless browser test SKIPPED: install chromium and chromium-driver"
# Without the background-networking flags Chromium reaches for the (closed) network.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1600,3000",
)
APP_READY = '[data-testid="stMain"], [data-testid="stAppViewContainer"]'
# Streamlit mounts its status widget ("Running...") only while a script run is in progress.
RUNNING = '[data-testid="stStatusWidget"]'
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
START_TIMEOUT = 60
PAGE_TIMEOUT = 60


def missing_browser_parts() -> list[str]:
    """What this machine lacks to run the test (empty when it can)."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if importlib.util.find_spec("selenium") is None:
        missing.append("selenium (pip install -r requirements.lock)")
    return missing


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def skip_unless_browser() -> None:
    """Skip, loudly, when this machine cannot run a headless browser."""
    missing = missing_browser_parts()
    if missing:
        pytest.skip(f"{SKIP_REASON} (missing: {', '.join(missing)})")


@pytest.fixture(scope="module")
def served_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``orderloop dashboard`` on an ephemeral port over the built warehouse; its base URL.

    The warehouse is asked for only once a browser is known to be there, so a machine
    without one skips in a moment instead of building a world first.
    """
    skip_unless_browser()
    built_warehouse: Path = request.getfixturevalue("built_warehouse")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("dashboard-serve") / "dashboard.log"
    env = {
        **os.environ,
        "ORDERLOOP_DATA_DIR": str(built_warehouse),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "orderloop.cli", "dashboard", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if requests.get(f"{base}/_stcore/health", timeout=2).text.strip() == "ok":
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, f"the dashboard exited: {log_path.read_text()}"
            assert time.monotonic() < deadline, f"the dashboard did not come up: {log_path.read_text()}"
            time.sleep(0.5)
        yield base
    finally:
        # Our own process group only (orderloop dashboard and the streamlit it started).
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Headless Chromium through Debian's chromedriver, with a fresh profile; skips loudly if absent."""
    skip_unless_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Selenium Manager must neither download drivers nor report anything.
    monkeypatch.setenv("SE_OFFLINE", "true")
    monkeypatch.setenv("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for_page(driver: object, title: str) -> None:
    """The app's main block is there, the page's title is shown and Streamlit stopped running."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, PAGE_TIMEOUT, poll_frequency=0.5)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, APP_READY))
    wait.until(lambda d: any(title in h.text for h in d.find_elements(By.CSS_SELECTOR, "h1")))
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, RUNNING))
    time.sleep(2)  # charts and tables draw after the script run ends
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, RUNNING))


def test_every_page_renders_without_error_in_a_browser(served_app: str, browser: object) -> None:
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(exist_ok=True)
    failures = []
    for page in PAGES:
        browser.get(f"{served_app}/{page.public_path}")
        _wait_for_page(browser, page.title)
        browser.save_screenshot(str(ARTIFACTS / f"dashboard-{page.url_path}.png"))
        errors = [element.text for element in browser.find_elements(By.CSS_SELECTOR, ERRORS)]
        if errors:
            failures.append(f"{page.url_path}: {errors}")
        if "Data last refreshed: 20" not in browser.page_source:
            failures.append(f"{page.url_path}: no 'Data last refreshed' line")
    assert not failures, failures
