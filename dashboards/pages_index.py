"""The dashboard's pages: file, title, icon and URL path of each, in menu order.

Kept apart from ``app.py`` so tests (AppTest and the headless browser) open exactly the pages
the app serves, by the same URL paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "pages"


@dataclass(frozen=True)
class PageSpec:
    """One page: ``url_path`` is set explicitly so links and tests never depend on file names.

    The default page is served at the app's root (Streamlit ignores its ``url_path`` there).
    """

    module: str
    title: str
    icon: str
    url_path: str
    default: bool = False

    @property
    def path(self) -> Path:
        return PAGES_DIR / f"{self.module}.py"

    @property
    def public_path(self) -> str:
        """The URL path users open: empty (the root) for the default page."""
        return "" if self.default else self.url_path


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "Overview", ":material/dashboard:", "overview", default=True),
    PageSpec("exceptions", "Exception queue", ":material/report:", "exceptions"),
    PageSpec("cycle_time", "Cycle time", ":material/timer:", "cycle-time"),
    PageSpec("automation", "Automation impact", ":material/smart_toy:", "automation"),
    PageSpec("stock", "Stock", ":material/inventory_2:", "stock"),
    PageSpec("carriers", "Carriers", ":material/local_shipping:", "carriers"),
)
