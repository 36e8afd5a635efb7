"""Page-number paging for WordPress REST collections, which say how many pages there are.

WooCommerce answers a collection request with ``X-WP-TotalPages``; reading it saves the
extra request for an empty page after the last one. Without the header (a proxy that
strips it) we fall back to stopping at the first empty page.
"""

from __future__ import annotations

from typing import Any

from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator
from requests import Response

TOTAL_PAGES_HEADER = "X-WP-TotalPages"


class WordPressPaginator(PageNumberPaginator):
    """``page=1,2,...`` until ``X-WP-TotalPages`` is reached or a page comes back empty."""

    def __init__(self) -> None:
        super().__init__(base_page=1, page=1, page_param="page", total_path=None, stop_after_empty_page=True)

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        total_pages = response.headers.get(TOTAL_PAGES_HEADER, "")
        if total_pages.strip().isdigit() and self.current_value > int(total_pages):
            self._has_next_page = False
