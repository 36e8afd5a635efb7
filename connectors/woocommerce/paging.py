"""Page-number paging for WordPress REST collections, which say how many pages there are, and
which shift under the reader when records change while it pages.

WooCommerce answers a collection request with ``X-WP-TotalPages``; reading it saves the
extra request for an empty page after the last one. Without the header (a proxy that
strips it) we fall back to stopping at the first empty page.

Page numbers are positions, not records. An order edited while we page moves to the end of
``orderby=modified`` (we then meet it twice), and everything after its old place moves one
place up: the first record of the next page slips onto a page already read and would be lost
for good, since the cursor then moves past it. A deleted order shifts the rest the same way
(``X-WP-Total`` drops). So a record met twice in one sweep, or a total that changes between
pages, starts the sweep again from page 1: what was read stays (merged on id), and the new
sweep reads the collection as it is now. After ``MAX_SWEEPS`` shifted sweeps the load fails
rather than loading a collection it could not read whole. A page made only of records already
met is dropped and asked for again, up to ``MAX_STALE_ANSWERS`` times in a row: that is a stale
cache or proxy serving an earlier page, not a shift (once was not enough: a cache that answers
every few requests from memory can meet the page asked again too).
"""

from __future__ import annotations

from typing import Any

from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator
from requests import Response

TOTAL_PAGES_HEADER = "X-WP-TotalPages"
TOTAL_HEADER = "X-WP-Total"
MAX_SWEEPS = 5
MAX_STALE_ANSWERS = 5


class CollectionKeptShifting(RuntimeError):
    """The collection changed under every sweep: no complete read could be made."""


class WordPressPaginator(PageNumberPaginator):
    """``page=1,2,...`` until ``X-WP-TotalPages`` is reached or a page comes back empty; from page 1
    again when the collection shifted while paging."""

    def __init__(self) -> None:
        super().__init__(base_page=1, page=1, page_param="page", total_path=None, stop_after_empty_page=True)
        self.sweeps = 1
        self._seen: set[Any] = set()
        self._total: str | None = None
        self._stale_answers = 0

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        ids = [record.get("id") for record in data or [] if isinstance(record, dict)]
        total = response.headers.get(TOTAL_HEADER)
        repeated = bool(ids) and all(i in self._seen for i in ids)
        if repeated and self._stale_answers < MAX_STALE_ANSWERS:
            self._stale_answers += 1  # the same page number again
            # Its records were all read already: dropped here (dlt yields the page after this
            # call), so they are not loaded twice, nor their notes and refunds asked for again.
            if isinstance(data, list):
                data.clear()
            return
        self._stale_answers = 0
        shifted = any(i in self._seen for i in ids) or (
            self._total is not None and total is not None and total != self._total
        )
        if shifted:
            self._sweep_again(response)
            return
        self._seen.update(ids)
        self._total = total if total is not None else self._total
        super().update_state(response, data)
        total_pages = response.headers.get(TOTAL_PAGES_HEADER, "")
        if total_pages.strip().isdigit() and self.current_value > int(total_pages):
            self._has_next_page = False

    def _sweep_again(self, response: Response) -> None:
        if self.sweeps >= MAX_SWEEPS:
            raise CollectionKeptShifting(
                f"WooCommerce {response.request.path_url.split('?')[0] if response.request else ''}"
                f" changed while being paged in each of {MAX_SWEEPS} sweeps; nothing of this run is"
                " kept and the next run reads it again"
            )
        self.sweeps += 1
        self._seen.clear()
        self._total = None
        self.current_value = self.initial_value
        self._has_next_page = True
