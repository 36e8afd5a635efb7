"""Requesting refunds from Stripe (the cancellation workflow's write).

Every refund is requested with an ``Idempotency-Key``: Stripe answers a repeated request
with the same key and parameters with the original refund (``Idempotent-Replayed: true``)
instead of refunding twice, so a retry after a crash is safe.
"""

from __future__ import annotations

from dataclasses import dataclass

import dlt
from requests import HTTPError

from connectors.stripe.errors import raise_when_refused, retrying_session


@dataclass(frozen=True)
class RefundOutcome:
    """refund_id when Stripe refunded (or replayed the refund); failure when it refused."""

    refund_id: str | None
    replayed: bool = False
    failure: str | None = None


class StripeRefunds:
    """POST /v1/refunds for one Stripe account."""

    def __init__(self, base_url: str, api_key: str, request_timeout: float | None = None) -> None:
        self._url = f"{base_url.rstrip('/')}/v1/refunds"
        self._session = retrying_session(request_timeout)
        self._session.headers["Authorization"] = f"Bearer {api_key}"
        self._session.hooks["response"].append(raise_when_refused(api_key))

    @classmethod
    def from_config(cls) -> StripeRefunds:
        """``sources.stripe.base_url`` (https://api.stripe.com) and ``sources.stripe.api_key``."""
        return cls(
            dlt.config.get("sources.stripe.base_url") or "https://api.stripe.com",
            dlt.secrets["sources.stripe.api_key"],
            dlt.config.get("sources.stripe.request_timeout"),
        )

    def refund(
        self, payment_intent: str, amount: int, idempotency_key: str, order_reference: str
    ) -> RefundOutcome:
        """Refund ``amount`` minor units of ``payment_intent``; a 4xx refusal is an outcome,
        not an exception (429 and 5xx are retried, and raise if they never clear)."""
        form = {
            "payment_intent": payment_intent,
            "amount": str(amount),
            "reason": "requested_by_customer",
            "metadata[order_reference]": order_reference,
        }
        try:
            response = self._session.post(self._url, data=form, headers={"Idempotency-Key": idempotency_key})
        except HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            if 400 <= status < 500 and status != 429:
                return RefundOutcome(None, failure=str(error))
            raise
        body = response.json()
        return RefundOutcome(body["id"], replayed=response.headers.get("Idempotent-Replayed") == "true")
