"""dlt source for Zendesk's cursor-based incremental ticket export.

``GET /api/v2/incremental/tickets/cursor.json`` starts from ``start_time`` once, then
continues from the ``after_cursor`` Zendesk returns; we keep that cursor in dlt's
resource state, which is saved only with a successful load, so a run killed mid-load
starts again from the last committed cursor and the merge on ticket id absorbs the
repeat. Rate limits (429 with ``Retry-After``), 5xx, timeouts and dropped connections are
retried by dlt's session (``runtime.request_*`` settings).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from requests.exceptions import ChunkedEncodingError, ConnectionError, HTTPError, Timeout

from connectors.broken_answers import broken_json_message, is_broken_json, retrying_client
from connectors.http_errors import safe_url
from connectors.quarantine import all_of, present, quarantine_invalid, timestamp
from connectors.schema_hints import nullable_columns

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
TICKET_COLUMNS = nullable_columns(
    id="bigint",
    created_at="timestamp",
    updated_at="timestamp",
    subject="text",
    status="text",
    external_id="text",
    requester_id="bigint",
)


TICKET_CHECK = all_of(present("id"), timestamp("created_at"), timestamp("updated_at"))


class ZendeskAPIError(RuntimeError):
    """Zendesk refused a request; the message names the request, never the credentials."""


@dlt.source(name="zendesk")
def zendesk_source(
    base_url: str = dlt.config.value,
    email: str = dlt.config.value,
    api_token: str = dlt.secrets.value,
    start_time: int = 0,
    page_size: int = 1000,
    request_timeout: float | None = None,
) -> Any:
    """Tickets (created and updated) since ``start_time`` (unix seconds) on the first run.

    ``request_timeout`` (seconds, ``sources.zendesk.request_timeout``) bounds each request; a
    request that times out is retried. Default: dlt's ``runtime.request_timeout``.
    """
    session = retrying_client(request_timeout).session
    session.auth = (f"{email}/token", api_token)
    return tickets(session, base_url.rstrip("/"), start_time, page_size).add_yield_map(
        quarantine_invalid("tickets", TICKET_CHECK)
    )


@dlt.resource(primary_key="id", write_disposition="merge", columns=TICKET_COLUMNS)
def tickets(session: Any, base_url: str, start_time: int, page_size: int) -> Iterator[list[dict[str, Any]]]:
    state = dlt.current.resource_state()
    params: dict[str, Any] = {"per_page": page_size}
    if state.get("after_cursor"):
        params["cursor"] = state["after_cursor"]
    else:
        params["start_time"] = start_time
    url = base_url + EXPORT_PATH
    while True:
        try:
            response = session.get(url, params=params)
        except (ConnectionError, Timeout, ChunkedEncodingError) as error:  # after the retries
            raise ZendeskAPIError(
                f"Zendesk did not answer GET {safe_url(url)} (params {sorted(params)}): "
                f"{type(error).__name__} after retries"
            ) from error
        if response.status_code >= 400:
            raise ZendeskAPIError(
                f"Zendesk refused GET {safe_url(url)} (params {sorted(params)}): "
                f"HTTP {response.status_code}"
            ) from HTTPError(response=response)
        if is_broken_json(response):
            raise ZendeskAPIError(broken_json_message("Zendesk", "GET", safe_url(url), response))
        page = response.json()
        yield page.get("tickets") or []
        if page.get("after_cursor"):
            state["after_cursor"] = page["after_cursor"]
        if page.get("end_of_stream", True) or not page.get("after_cursor"):
            return
        params = {"per_page": page_size, "cursor": page["after_cursor"]}
