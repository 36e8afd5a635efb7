"""Stripe's list paging: ``starting_after`` the last object's id while ``has_more``.

Lists come newest first and the cursor is an object id, not a page number, so a new event
arriving mid-run cannot shift a page boundary.
"""

from __future__ import annotations

from typing import Any

from dlt.sources.helpers.rest_client.paginators import BaseReferencePaginator
from requests import Request, Response


class StripeCursorPaginator(BaseReferencePaginator):
    """Follows ``has_more`` with ``starting_after=<id of the last object on the page>``."""

    def init_request(self, request: Request) -> None:
        self._next_reference = None
        self._has_next_page = True

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        body = response.json()
        objects = body.get("data") or []
        self._next_reference = objects[-1]["id"] if body.get("has_more") and objects else None

    def update_request(self, request: Request) -> None:
        if request.params is None:
            request.params = {}
        request.params["starting_after"] = self._next_reference
