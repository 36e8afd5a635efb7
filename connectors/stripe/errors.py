"""Stripe's refusals as errors that name the request, never the API key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlt.sources.helpers.requests import Session

from connectors.http_errors import APIRefused, refusal_hook
from connectors.http_errors import retrying_session as shared_retrying_session


class StripeAPIError(APIRefused):
    """Stripe refused a request (or kept failing after the retries)."""


def _describe(body: Any) -> str | None:
    """Stripe errors are ``{"error": {"type": ..., "code": ..., "message": ...}}``."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('code') or error.get('type') or 'error'}: {error.get('message', '')}"
    return None


def raise_when_refused(api_key: str) -> Callable[..., None]:
    return refusal_hook("Stripe", StripeAPIError, [api_key], _describe)


def retrying_session(request_timeout: float | None) -> Session:
    """dlt's retrying session; an unanswered request fails naming Stripe and the URL."""
    # Stripe's only POST (a refund) carries an Idempotency-Key: asking again replays it.
    return shared_retrying_session("Stripe", StripeAPIError, request_timeout, repeat_posts=True)
