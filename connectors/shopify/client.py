"""A small client for Shopify's GraphQL Admin API: auth, cursor paging and throttling.

Shopify meters GraphQL by query cost. A throttled request comes back as HTTP 200 with a
``THROTTLED`` error and the bucket state in ``extensions.cost``; we wait until the
bucket has refilled enough and ask again instead of failing the load.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from requests import RequestException

from connectors.broken_answers import broken_json_message, is_broken_json, retrying_client
from connectors.http_errors import APIRefused, refusal_hook, safe_url

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
        request_timeout: float | None = None,
        read_only: bool = False,
    ) -> None:
        """``read_only``: only queries go through this client, so a POST answered with broken JSON
        is asked again; a client that runs mutations is not (see ``connectors/broken_answers.py``)."""
        self.api_version = api_version
        self.endpoint = f"{shop_url.rstrip('/')}/admin/api/{api_version}/graphql.json"
        self._headers = {"X-Shopify-Access-Token": access_token, "Content-Type": "application/json"}
        self._sleep = sleep
        # Retries 429 (after Retry-After), 5xx, timeouts, dropped connections and JSON cut short
        # with backoff (dlt's runtime settings); what still fails is raised with a message naming
        # Shopify and the request, never the token. Without ``request_timeout``, dlt's
        # ``runtime.request_timeout`` (60 s) applies.
        self._session = retrying_client(request_timeout, repeat_posts=read_only).session
        self._raise_if_refused = refusal_hook("Shopify", ShopifyHTTPError, [access_token], _describe)

    def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one query, waiting out cost-based throttling; returns ``data``."""
        for _ in range(MAX_THROTTLE_RETRIES):
            request = {"query": query, "variables": variables}
            response = self._post(request)
            body = response.json()
            errors = body.get("errors") or []
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                _raise_if_never_affordable(body)
                self._sleep(_throttle_wait_seconds(body))
                continue
            if errors:
                messages = "; ".join(str(e.get("message", e)) for e in errors)
                request_name = f"POST {safe_url(self.endpoint)} ({_operation(query)})"
                raise ShopifyAPIError(f"Shopify GraphQL errors to {request_name}: {messages}")
            return body["data"]
        raise ShopifyAPIError(f"still throttled after {MAX_THROTTLE_RETRIES} waits")

    def _post(self, request: dict[str, Any]) -> Any:
        try:
            response = self._session.post(self.endpoint, json=request, headers=self._headers)
        except RequestException as error:  # timeouts / dropped connections, after the retries
            raise ShopifyHTTPError(
                f"Shopify API did not answer POST {safe_url(self.endpoint)}: {type(error).__name__}"
                f" after retries ({_operation(request['query'])})"
            ) from error
        self._raise_if_refused(response)
        if is_broken_json(response):
            message = broken_json_message("Shopify", "POST", safe_url(self.endpoint), response)
            raise ShopifyHTTPError(f"{message} ({_operation(request['query'])})", response=response)
        return response

    def download_lines(self, url: str) -> Iterator[bytes]:
        """A bulk operation's file, line by line as it streams. The URL is signed storage, not
        the shop: it gets no token, and errors name it without its signature (the query)."""
        where = url.split("?", 1)[0]
        try:
            response = self._session.get(url, stream=True)
        except RequestException as error:
            raise ShopifyHTTPError(
                f"Shopify's bulk file did not download from {where}: {type(error).__name__} after retries"
            ) from error
        if response.status_code >= 400:
            raise ShopifyHTTPError(
                f"Shopify's bulk file answered HTTP {response.status_code} to GET {where}", response=response
            )
        with response:
            yield from response.iter_lines()

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


def _operation(query: str) -> str:
    """The GraphQL operation's name, to say which request failed."""
    words = query.split("(", 1)[0].split("{", 1)[0].split()
    return " ".join(words[:2]) if words else "query"


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
