"""WooCommerce's refusals as errors that name the request, never the consumer key or secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlt.sources.helpers.requests import Session

from connectors.http_errors import APIRefused, refusal_hook
from connectors.http_errors import retrying_session as shared_retrying_session

CREDENTIAL_PARAMS = frozenset({"consumer_key", "consumer_secret", "oauth_signature"})


class WooCommerceAPIError(APIRefused):
    """WooCommerce refused a request (or kept failing after the retries)."""


def _describe(body: Any) -> str | None:
    """WordPress REST errors are ``{"code": ..., "message": ...}``."""
    if isinstance(body, dict) and (body.get("code") or body.get("message")):
        return f"{body.get('code', '')}: {body.get('message', '')}"
    return None


def raise_when_refused(*secrets: str) -> Callable[..., None]:
    return refusal_hook("WooCommerce", WooCommerceAPIError, secrets, _describe, CREDENTIAL_PARAMS)


def retrying_session(request_timeout: float | None) -> Session:
    """dlt's retrying session; an unanswered request fails naming WooCommerce and the URL."""
    return shared_retrying_session("WooCommerce", WooCommerceAPIError, request_timeout, CREDENTIAL_PARAMS)
