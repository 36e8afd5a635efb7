"""dlt source for Click & Drop shipments (``GET /orders``): booking results and despatch dates.

Declarative (dlt's rest_api): bearer auth, ``continuationToken`` paging, incremental on
``createdOn`` sent as ``startDateTime``. A shipment changes after it is created (printed,
manifested, shipped), so each run looks back a week (``lag``) and merges on the
shipment id: changes land, nothing duplicates. 429 (after ``Retry-After``), 5xx, timeouts
and dropped connections are retried; other refusals fail naming Click & Drop and the
request, never the key.
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from dlt.sources.rest_api import rest_api_source
from dlt.sources.rest_api.typing import ClientConfig

from connectors.http_errors import APIRefused, refusal_hook, retrying_session

LOOKBACK_SECONDS = 7 * 24 * 3600


class ClickAndDropAPIError(APIRefused):
    """Click & Drop refused a request (or kept failing after the retries)."""


def _describe(body: Any) -> str | None:
    """Click & Drop errors are ``{"code": ..., "message": ...}``."""
    if isinstance(body, dict) and (body.get("code") or body.get("message")):
        return f"{body.get('code', '')}: {body.get('message', '')}"
    return None


@dlt.source(name="click_and_drop")
def click_and_drop_source(
    base_url: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    page_size: int = 100,
    request_timeout: float | None = None,
) -> Any:
    """Shipments (orders in Click & Drop's words) with tracking numbers and despatch dates.

    ``request_timeout`` (seconds, ``sources.click_and_drop.request_timeout``) bounds each
    request; default: dlt's ``runtime.request_timeout``.
    """
    client: ClientConfig = {
        "base_url": base_url.rstrip("/") + "/",
        "auth": BearerTokenAuth(api_key),
        "paginator": JSONResponseCursorPaginator(
            cursor_path="continuationToken", cursor_param="continuationToken"
        ),
    }
    # Retries transient failures; one that outlasts them names Click & Drop and the request.
    client["session"] = retrying_session("Click & Drop", ClickAndDropAPIError, request_timeout)
    declared = rest_api_source(
        {
            "client": client,
            "resources": [
                {
                    "name": "shipments",
                    "primary_key": "orderIdentifier",
                    "write_disposition": "merge",
                    "columns": {
                        "shipped_on": {"data_type": "timestamp", "nullable": True},
                        "tracking_number": {"data_type": "text", "nullable": True},
                    },
                    "endpoint": {
                        "path": "orders",
                        "data_selector": "orders",
                        "response_actions": [
                            refusal_hook("Click & Drop", ClickAndDropAPIError, [api_key], _describe)
                        ],
                        "params": {
                            "pageSize": page_size,
                            "startDateTime": {
                                "type": "incremental",
                                "cursor_path": "createdOn",
                                "initial_value": "2000-01-01T00:00:00Z",
                                "lag": LOOKBACK_SECONDS,
                            },
                        },
                    },
                }
            ],
        },
        name="click_and_drop",
    )
    return list(declared.resources.values())
