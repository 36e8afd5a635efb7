"""A small client for Shopify's GraphQL Admin API: auth, cursor paging and throttling.

Shopify meters GraphQL by query cost. A throttled request comes back as HTTP 200 with a
``THROTTLED`` error and the bucket state in ``extensions.cost``; we wait until the
bucket has refilled enough and ask again instead of failing the load.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from dlt.sources.helpers.requests import Client

from connectors.http_errors import APIRefused, refusal_hook

MAX_THROTTLE_RETRIES = 20


class ShopifyAPIError(RuntimeError):
    """Shopify answered with GraphQL errors other than throttling."""


class ShopifyHTTPError(APIRefused):
    """Shopify refused the request itself (bad token, unknown API version), or kept failing."""


def _describe(body: Any) -> str | None:
    """REST-level errors come as ``{"errors": "..."}`` or ``{"errors": {...}}``."""
    return str(body.get("errors")) if isinstance(body, dict) and body.get("errors") else None


class ShopifyGraphQLClient:
    """Posts GraphQL documents to one shop's Admin API endpoint."""

    def __init__(
        self,
        shop_url: str,
        access_token: str,
        api_version: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = f"{shop_url.rstrip('/')}/admin/api/{api_version}/graphql.json"
        self._headers = {"X-Shopify-Access-Token": access_token, "Content-Type": "application/json"}
        self._sleep = sleep
        # Retries 429/5xx and connection errors with backoff; what still fails is raised
        # with a message naming Shopify and the request, never the token.
        self._session = Client(raise_for_status=False).session
        self._raise_if_refused = refusal_hook("Shopify", ShopifyHTTPError, [access_token], _describe)

    def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one query, waiting out cost-based throttling; returns ``data``."""
        for _ in range(MAX_THROTTLE_RETRIES):
            request = {"query": query, "variables": variables}
            response = self._session.post(self.endpoint, json=request, headers=self._headers, timeout=60)
            self._raise_if_refused(response)
            body = response.json()
            errors = body.get("errors") or []
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                _raise_if_never_affordable(body)
                self._sleep(_throttle_wait_seconds(body))
                continue
            if errors:
                messages = "; ".join(str(e.get("message", e)) for e in errors)
                raise ShopifyAPIError(f"Shopify GraphQL errors: {messages}")
            return body["data"]
        raise ShopifyAPIError(f"still throttled after {MAX_THROTTLE_RETRIES} waits")

    def paginate(self, query: str, connection: str, variables: dict[str, Any]) -> Iterator[list[dict]]:
        """Yield one page of nodes at a time, following ``pageInfo.endCursor``."""
        after = None
        while True:
            data = self.execute(query, {**variables, "after": after})
            conn = data[connection]
            yield [edge["node"] for edge in conn["edges"]]
            page_info = conn["pageInfo"]
            if not page_info["hasNextPage"]:
                return
            after = page_info["endCursor"]


def _raise_if_never_affordable(body: dict[str, Any]) -> None:
    """Waiting cannot help a query that costs more than the bucket can ever hold."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    maximum = (cost.get("throttleStatus") or {}).get("maximumAvailable")
    requested = cost.get("requestedQueryCost")
    if maximum is not None and requested is not None and float(requested) > float(maximum):
        raise ShopifyAPIError(
            f"query costs {requested} points but this shop's bucket holds at most {maximum}:"
            " lower the page size (sources.shopify.page_size)"
        )


def _throttle_wait_seconds(body: dict[str, Any]) -> float:
    """Seconds until the leaky bucket holds enough points for the query again."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    needed = float(cost.get("requestedQueryCost") or 0) - float(status.get("currentlyAvailable") or 0)
    rate = float(status.get("restoreRate") or 50) or 50.0
    return min(max(needed / rate, 0.05), 30.0)
