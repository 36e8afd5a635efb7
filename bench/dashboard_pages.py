"""Dashboard page latency on a bench warehouse: each page rendered cold, p50 and p95.

``bench/dashboard_render.py`` times pages on the demo world, mostly served from Streamlit's
cache. At scale the question is the queries, so here the cache is cleared before every
render: each render reads the published copy again, as the first user after a publication
does. An untimed render of each page comes first, so its imports are not counted. A page
that writes one line is rendered the same way, as Streamlit's own cost.

Run as a stage: ``python -m bench.dashboard_pages --data-dir D --renders 7 --report R``, where
``D/published/warehouse.duckdb`` is a published bench warehouse.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from bench.dashboard_render import BASELINE_PAGE, render_seconds


def _p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(data_dir: Path, renders: int) -> dict[str, dict[str, float]]:
    """p50 and p95 seconds of cold renders per page title, and of the baseline page."""
    os.environ["ORDERLOOP_DATA_DIR"] = str(data_dir)
    os.environ["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    from dashboards.pages_index import PAGES

    pages = {spec.title: spec.path for spec in PAGES}
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder) / "baseline_page.py"
        baseline.write_text(BASELINE_PAGE)
        pages["(baseline: one line of text)"] = baseline
        figures = {}
        for title, path in pages.items():
            # One untimed render first: it pays the page's Python imports (Plotly alone is a
            # few hundred ms), which a Streamlit server pays once at its first view, not per
            # publication. The timed renders still start from a cleared cache each.
            render_seconds(path, 1, cold=True, timeout=300)
            timings = render_seconds(path, renders, cold=True, timeout=300)
            figures[title] = {"p50": statistics.median(timings), "p95": _p95(timings)}
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--renders", type=int, default=7)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    args.report.write_text(json.dumps({"pages": measure(args.data_dir, args.renders)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
