"""Dashboard page render times on a demo world, against Streamlit's own fixed cost.

Builds the demo world with ``orderloop demo --no-serve`` (14 days, three of them automated,
ending when the dashboard tests' world ends), then
renders every page with Streamlit's AppTest several times: the first render reads the
published copy (cold ``st.cache_data``), the later ones are what a user clicking around
gets. A page that only writes a line is rendered the same way as the baseline, so the
difference shows what each page adds on top of Streamlit itself; the seconds depend on the
machine. Each render shares the one registry of installed components a server discovers at
start (``server_component_registry``). Target (issue 6): every page under a second.

Run: ``python -m bench.dashboard_render`` (part of ``make bench``); results go to
``bench/results/dashboard_render.{json,md}``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_SECONDS = 1.0
WORLD_NOW = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
BASELINE_PAGE = "import streamlit as st\n\nst.write('baseline')\n"


@functools.cache
def server_component_registry() -> Any:
    """Streamlit's registry of installed components, discovered once per process.

    A Streamlit server scans every installed distribution for components once, when its
    runtime starts (``streamlit.runtime.Runtime``). A new AppTest scans again on its first run:
    0.16 s on this machine with about 500 distributions, all of the baseline page's time, and
    a cost no user waits for when opening a page. Each render below gets this one registry,
    as every session of one server shares it.
    """
    from streamlit.components.v2.component_manager import BidiComponentManager

    registry = BidiComponentManager()
    registry.discover_and_register_components(start_file_watching=False)
    return registry


def new_session(page: Path, timeout: float) -> Any:
    """An AppTest of ``page`` that shares the server's component registry. AppTest keeps the
    registry in a private attribute; tests/bench/test_dashboard_render.py fails if it goes."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(page), default_timeout=timeout)
    app._bidi_component_manager = server_component_registry()
    return app


def render_seconds(page: Path, repeats: int, cold: bool = False, timeout: float = 120) -> list[float]:
    """Wall time of each of ``repeats`` renders of one page in a fresh AppTest session. Warm
    (default): the cache is cleared once, so later renders are a user clicking around; cold:
    cleared before every render, so each reads the published copy again."""
    import streamlit as st

    st.cache_data.clear()
    timings = []
    for _ in range(repeats):
        if cold:
            st.cache_data.clear()
        app = new_session(page, timeout)
        started = time.perf_counter()
        app.run()
        timings.append(time.perf_counter() - started)
        if app.exception:
            raise RuntimeError(f"{page.name} raised: {[e.value for e in app.exception]}")
    return timings


def measure(repeats: int = 5, days: int = 14, seed: int = 11) -> dict[str, Any]:
    """Build the world, then time every page and the baseline."""
    data_dir = Path(tempfile.mkdtemp(prefix="orderloop-bench-dash-"))
    os.environ["ORDERLOOP_DATA_DIR"] = str(data_dir)
    os.environ["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    from orderloop.environment import configure_environment

    configure_environment()
    from dashboards.pages_index import PAGES
    from orderloop.cli import main

    demo = ["demo", "--no-serve", "--days", str(days), "--seed", str(seed), "--automated-days", "3",
            "--world-now", WORLD_NOW.isoformat()]
    if main(demo) != 0:
        raise RuntimeError("the demo that builds the bench world failed")
    baseline_file = data_dir / "baseline_page.py"
    baseline_file.write_text(BASELINE_PAGE)
    baseline = render_seconds(baseline_file, repeats)
    baseline_warm = statistics.median(baseline[1:] or baseline)
    pages = {}
    for spec in PAGES:
        timings = render_seconds(spec.path, repeats)
        warm = timings[1:] or timings
        pages[spec.title] = {
            "first_render": round(timings[0], 3),
            "warm_p50": round(statistics.median(warm), 3),
            "warm_max": round(max(warm), 3),
            # A difference, not a ratio: the baseline is a few milliseconds once AppTest's
            # component scan is out of every render, and a ratio to it says little.
            "warm_above_baseline": round(statistics.median(warm) - baseline_warm, 3),
        }
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "world": {"days": days, "seed": seed, "now": WORLD_NOW.isoformat()},
        "repeats": repeats,
        "baseline_warm_p50": round(baseline_warm, 3),
        "pages": pages,
        "target_seconds": TARGET_SECONDS,
    }


def markdown(result: dict[str, Any]) -> str:
    """The figures as a markdown table, with the verdict against the target."""
    rows = "\n".join(
        f"| {title} | {p['first_render']} | {p['warm_p50']} | {p['warm_max']} | {p['warm_above_baseline']} |"
        for title, p in result["pages"].items()
    )
    slowest = max(p["first_render"] for p in result["pages"].values())
    verdict = "meets" if slowest <= result["target_seconds"] else "misses"
    return (
        f"# Dashboard render times ({result['measured_at']}, {result['machine']['cpus']} CPUs, "
        f"{result['world']['days']}-day world)\n\n"
        "| page | first render (s) | warm p50 (s) | warm max (s) | warm above baseline (s) |\n"
        f"|---|---|---|---|---|\n{rows}\n\n"
        f"Baseline page (one line of text): {result['baseline_warm_p50']} s. The slowest first "
        f"render {verdict} the {result['target_seconds']:.0f} s target.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="renders per page (the first is cold)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for dashboard_render.json and .md")
    args = parser.parse_args(argv)
    result = measure(repeats=args.repeats)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dashboard_render.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (args.out / "dashboard_render.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
