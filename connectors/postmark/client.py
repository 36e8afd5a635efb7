"""A small client for Postmark's email API: send one message, find one by its metadata.

Postmark has no idempotency key, so a sender that crashed after sending but before
recording it finds the message again by a metadata field it set (``orderloop_key``) before
deciding to send once more.
"""

from __future__ import annotations

import time
from typing import Any

import dlt
import requests

from connectors.broken_answers import broken_json_message, is_broken_json
from connectors.http_errors import APIRefused, refusal_hook, retrying_session

# Postmark allows metadata names of at most 20 characters.
KEY_FIELD = "orderloop_key"
# A send answered 429 is sent again after Retry-After, up to this many attempts in all.
RATE_LIMITED_SENDS = 4
MAX_RETRY_AFTER_SECONDS = 10.0


class PostmarkError(APIRefused):
    """Postmark refused a request (or kept failing after the retries)."""


def _describe(body: Any) -> str | None:
    """Postmark errors are ``{"ErrorCode": n, "Message": "..."}``."""
    if isinstance(body, dict) and body.get("Message"):
        return f"ErrorCode {body.get('ErrorCode')}: {body['Message']}"
    return None


def _retry_after(response: requests.Response | None) -> float | None:
    """Seconds to wait before sending again, for a 429 only (None: do not send again now)."""
    if response is None or response.status_code != 429:
        return None
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.0), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        return 1.0


class PostmarkClient:
    """Sends through one Postmark server (its server token)."""

    def __init__(
        self, base_url: str, server_token: str, sender: str, request_timeout: float | None = None
    ) -> None:
        self._base = base_url.rstrip("/")
        self.sender = sender
        # Searches are retried; sends are not, since Postmark has no idempotency key: a send
        # whose answer was lost is found by its metadata on the next pass instead of resent.
        self._session = retrying_session("Postmark", PostmarkError, request_timeout)
        self._send_session = requests.Session()
        self._timeout = request_timeout or 60
        refused = refusal_hook("Postmark", PostmarkError, [server_token], _describe)
        for session in (self._session, self._send_session):
            session.headers.update({"X-Postmark-Server-Token": server_token, "Accept": "application/json"})
            session.hooks["response"].append(refused)

    @classmethod
    def from_config(cls) -> PostmarkClient:
        """``sources.postmark.base_url`` (https://api.postmarkapp.com), ``.server_token``, ``.sender``."""
        return cls(
            dlt.config.get("sources.postmark.base_url") or "https://api.postmarkapp.com",
            dlt.secrets["sources.postmark.server_token"],
            dlt.config["sources.postmark.sender"],
            dlt.config.get("sources.postmark.request_timeout"),
        )

    def send(self, to: str, subject: str, text: str, tag: str, key: str) -> str:
        """Send one message on the transactional stream; returns Postmark's MessageID."""
        body = {
            "From": self.sender,
            "To": to,
            "Subject": subject,
            "TextBody": text,
            "Tag": tag,
            "MessageStream": "outbound",
            "Metadata": {KEY_FIELD: key},
        }
        url = f"{self._base}/email"
        for attempt in range(1, RATE_LIMITED_SENDS + 1):
            try:
                response = self._send_session.post(url, json=body, timeout=self._timeout)
                break
            except PostmarkError as refused:
                # A 429 means nothing was sent, so waiting and sending again cannot send twice
                # (any other refusal, or no answer, is left for the next pass's look-up).
                wait = _retry_after(refused.response)
                if wait is None or attempt == RATE_LIMITED_SENDS:
                    raise
                time.sleep(wait)
            except requests.RequestException as error:
                failure = type(error).__name__
                raise PostmarkError(f"Postmark API did not answer POST {url}: {failure}") from error
        if is_broken_json(response):  # it may have been sent: never resent here, looked up next pass
            raise PostmarkError(broken_json_message("Postmark", "POST", url, response, retried=False))
        return str(response.json()["MessageID"])

    def find(self, key: str) -> str | None:
        """The MessageID of a message sent with this orderloop key, if any.

        Answers to a search can be stale or meant for another search (a cache in between, or one
        keyed on the path alone): a message counts only if its own metadata carries ``key``, and
        "not found" only when two differently worded searches, each asking for a fresh answer,
        both say so. A stale "not found" would send a customer the same email twice; a stale
        "found" would record an email that never left."""
        for params in (
            {"count": 1, "offset": 0, f"metadata_{KEY_FIELD}": key},
            {"count": 50, "offset": 0, f"metadata_{KEY_FIELD}": key, "messagestream": "outbound"},
        ):
            found = self._session.get(
                f"{self._base}/messages/outbound", params=params, headers={"Cache-Control": "no-cache"}
            ).json()
            for message in found.get("Messages") or []:
                if (message.get("Metadata") or {}).get(KEY_FIELD) == key:
                    return str(message["MessageID"])
        return None
