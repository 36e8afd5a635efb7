"""Releasing pick batches to a 3PL's warehouses (``POST /warehouses/{w}/pick-batches``).

Every batch is sent with an ``Idempotency-Key``: the 3PL answers the same key and body with its
original answer (``Idempotent-Replayed: true``) instead of releasing anything twice, so the
retrying session may repeat a POST whose answer was lost, and a pass that crashed may send the
same batch again. An order another batch already holds comes back ``already_released``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dlt
from requests import HTTPError

from connectors.http_errors import APIRefused, refusal_hook, retrying_session


class ThreePLError(APIRefused):
    """The 3PL refused a request (or kept failing after the retries)."""


def _describe(body: Any) -> str | None:
    """3PL errors are ``{"error": {"code", "message", "order_reference"}}``."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('code') or 'error'}: {error.get('message', '')}"
    return None


@dataclass(frozen=True)
class OrderRelease:
    """What the 3PL did with one order of a batch: released, already_released or already_picked
    (``batch_reference`` is the batch that holds it)."""

    order_reference: str
    outcome: str
    batch_reference: str | None


@dataclass(frozen=True)
class BatchOutcome:
    """The 3PL's answer to a batch: per-order releases, or the refusal (and the order it names)."""

    releases: tuple[OrderRelease, ...] = ()
    replayed: bool = False
    failure: str | None = None
    refused_order: str | None = None


class PickBatchClient:
    """One 3PL account (its API key), every warehouse it runs."""

    def __init__(self, base_url: str, api_key: str, request_timeout: float | None = None) -> None:
        self._base = base_url.rstrip("/")
        # A batch carries its Idempotency-Key: asking again replays it.
        self._session = retrying_session("3PL", ThreePLError, request_timeout, repeat_posts=True)
        self._session.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})
        self._session.hooks["response"].append(refusal_hook("3PL", ThreePLError, [api_key], _describe))

    @classmethod
    def from_config(cls) -> PickBatchClient:
        """``sources.three_pl.base_url`` (the API root, e.g. https://3pl.example/3pl/v1),
        ``sources.three_pl.api_key`` (secret) and optional ``.request_timeout``."""
        return cls(
            dlt.config["sources.three_pl.base_url"],
            dlt.secrets["sources.three_pl.api_key"],
            dlt.config.get("sources.three_pl.request_timeout"),
        )

    def _batches(self, warehouse: str) -> str:
        return f"{self._base}/warehouses/{warehouse}/pick-batches"

    def release(self, warehouse: str, batch: dict[str, Any], idempotency_key: str) -> BatchOutcome:
        """Send one batch; a 4xx refusal is an outcome (naming the order at fault when the 3PL
        does), not an exception (429 and 5xx are retried, and raise if they never clear)."""
        try:
            response = self._session.post(
                self._batches(warehouse), json=batch, headers={"Idempotency-Key": idempotency_key}
            )
        except HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            if 400 <= status < 500 and status != 429:
                return BatchOutcome(failure=str(error), refused_order=_refused_order(error))
            raise
        body = response.json()
        releases = tuple(
            OrderRelease(o["order_reference"], o["outcome"], o.get("batch_reference")) for o in body["orders"]
        )
        return BatchOutcome(releases, replayed=response.headers.get("Idempotent-Replayed") == "true")

    def find(self, warehouse: str, reference: str) -> dict[str, Any] | None:
        """A batch as the 3PL stored it (its answer and documents), or None if it never arrived."""
        try:
            return self._session.get(f"{self._batches(warehouse)}/{reference}").json()
        except HTTPError as error:
            if error.response is not None and error.response.status_code == 404:
                return None
            raise


def _refused_order(error: HTTPError) -> str | None:
    try:
        body = error.response.json() if error.response is not None else None
    except ValueError:
        return None
    detail = body.get("error") if isinstance(body, dict) else None
    return detail.get("order_reference") if isinstance(detail, dict) else None
