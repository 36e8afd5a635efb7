"""Client for Royal Mail Click & Drop's ``POST /orders`` (see shared reference spec v1).

Click & Drop answers 200 for a request whose items partly fail: accepted items are in
``createdOrders``, rejected ones in ``failedOrders`` with field-level errors. The
``orderReference`` is our idempotency reference: booking the same reference again
returns the existing shipment instead of a second label. That is what makes retrying a
POST safe: a request that timed out or lost its connection may have been booked, and
its retry (here, or in the next run from the ledger's ``pending``) gets that booking back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dlt
from requests import RequestException

from connectors.broken_answers import broken_json_message, is_broken_json, retrying_client
from connectors.http_errors import safe_url


class ClickAndDropError(RuntimeError):
    """The API refused the whole request (auth, malformed body, server error) or never answered."""


@dataclass(frozen=True)
class BookingResult:
    """Outcome of booking one order: accepted with a tracking number, or rejected with reasons."""

    order_reference: str
    accepted: bool
    order_identifier: int | None = None
    tracking_number: str | None = None
    failure_reason: str | None = None
    # Click & Drop's createdOn: when the carrier says the label was created (its clock, which
    # is the one the rest of the order's history is told in).
    created_on: datetime | None = None


class ClickAndDropClient:
    """Books shipments on one Click & Drop account."""

    def __init__(self, base_url: str, api_key: str, request_timeout: float | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        # Retries 429/5xx, timeouts, dropped connections and broken JSON; safe for POST because
        # orderReference is idempotent. Without ``request_timeout``, dlt's
        # ``runtime.request_timeout`` (60 s) applies.
        self._session = retrying_client(request_timeout, repeat_posts=True).session

    @classmethod
    def from_config(cls) -> ClickAndDropClient:
        """Built from dlt config/secrets: ``sources.click_and_drop.base_url``, ``.api_key`` and
        the optional ``.request_timeout`` (seconds)."""
        timeout = dlt.config.get("sources.click_and_drop.request_timeout")
        return cls(
            dlt.config["sources.click_and_drop.base_url"],
            dlt.secrets["sources.click_and_drop.api_key"],
            float(timeout) if timeout is not None else None,
        )

    def create_order(self, item: dict[str, Any]) -> BookingResult:
        """Create one shipment; a field-level rejection is a result, not an exception."""
        reference = item["orderReference"]
        url = f"{self.base_url}/orders"
        try:
            response = self._session.post(url, json={"items": [item]}, headers=self._headers)
        except RequestException as error:  # timeouts / dropped connections, after the retries
            raise ClickAndDropError(
                f"Click & Drop API did not answer POST {safe_url(url)} for order {reference}:"
                f" {type(error).__name__} after retries"
            ) from error
        if response.status_code != 200:
            message = (
                f"Click & Drop API answered HTTP {response.status_code} to POST {safe_url(url)}"
                f" for order {reference}: {_error_text(response)}"
            )
            raise ClickAndDropError(message.replace(self._api_key, "***") if self._api_key else message)
        if is_broken_json(response):
            # The booking may exist: the ledger keeps it pending and the next pass asks again.
            message = broken_json_message("Click & Drop", "POST", safe_url(url), response)
            raise ClickAndDropError(f"{message} for order {reference}")
        body = response.json()
        for created in body.get("createdOrders") or []:
            if created.get("orderReference") == reference:
                return BookingResult(
                    order_reference=reference,
                    accepted=True,
                    order_identifier=created.get("orderIdentifier"),
                    tracking_number=created.get("trackingNumber")
                    or next((p.get("trackingNumber") for p in created.get("packages") or []), None),
                    created_on=_utc_naive(created.get("createdOn")),
                )
        reasons = [
            _describe_error(error)
            for failed in body.get("failedOrders") or []
            for error in failed.get("errors") or []
        ]
        return BookingResult(reference, accepted=False, failure_reason="; ".join(reasons) or "rejected")


def _utc_naive(stamp: str | None) -> datetime | None:
    """An ISO 8601 timestamp as naive UTC (the warehouse's convention); None if absent or unreadable."""
    if not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _describe_error(error: dict[str, Any]) -> str:
    fields = ", ".join(f"{f.get('fieldName')}={f.get('value')!r}" for f in error.get("fields") or [])
    message = error.get("errorMessage") or f"error {error.get('errorCode')}"
    return f"{message} ({fields})" if fields else message


def _error_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body)[:200]
    return str(body)[:200]
