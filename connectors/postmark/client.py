"""A small client for Postmark's email API: send one message or a batch of up to 500, find one by
its metadata.

Postmark has no idempotency key, so a sender that crashed after sending but before
recording it finds the message again by a metadata field it set (``orderloop_key``) before
deciding to send once more.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
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
# Postmark's limit of messages per POST /email/batch.
MAX_BATCH = 500
# Answers to a whole batch that mean Postmark took none of it. Any other non-2xx (a 408 or 499 from
# a proxy, a 5xx) may have come after Postmark acted, so the batch's outcome is unknown.
NOT_SENT_STATUSES = frozenset({400, 401, 403, 404, 413, 422, 429})
# Per-message ErrorCodes the same message would get again on every resend (406: inactive recipient,
# 300: invalid email request): recorded as refused for good instead of being retried every pass.
PERMANENT_ERROR_CODES = frozenset({300, 406})


class PostmarkError(APIRefused):
    """Postmark refused a request (or kept failing after the retries)."""


class PostmarkOutcomeUnknown(PostmarkError):
    """A batch got no usable answer (no answer, a 5xx, JSON cut short or not one result per
    message): any of its messages may have been sent, so each must be looked up before a resend."""


@dataclass(frozen=True)
class OutgoingEmail:
    """One transactional message and the orderloop key it is found by later."""

    to: str
    subject: str
    text: str
    tag: str
    key: str


@dataclass(frozen=True)
class BatchResult:
    """One message's outcome in a batch: accepted (``message_id``) or refused by Postmark
    (``error``: its ErrorCode and Message; that message was not sent)."""

    message_id: str | None
    error: str | None = None
    error_code: int | None = None

    @property
    def accepted(self) -> bool:
        return self.message_id is not None

    @property
    def refused_for_good(self) -> bool:
        """Refused with an ErrorCode a resend would meet again: not worth a look-up or a retry."""
        return self.message_id is None and self.error_code in PERMANENT_ERROR_CODES


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

    def _body(self, email: OutgoingEmail) -> dict[str, Any]:
        return {
            "From": self.sender,
            "To": email.to,
            "Subject": email.subject,
            "TextBody": email.text,
            "Tag": email.tag,
            "MessageStream": "outbound",
            "Metadata": {KEY_FIELD: email.key},
        }

    def _post(self, url: str, body: Any) -> requests.Response:
        """POST once, and again after Retry-After only on a 429 (Postmark did nothing)."""
        for attempt in range(1, RATE_LIMITED_SENDS + 1):
            try:
                return self._send_session.post(url, json=body, timeout=self._timeout)
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
        raise AssertionError("unreachable")

    def send(self, to: str, subject: str, text: str, tag: str, key: str) -> str:
        """Send one message on the transactional stream; returns Postmark's MessageID."""
        body = self._body(OutgoingEmail(to, subject, text, tag, key))
        url = f"{self._base}/email"
        response = self._post(url, body)
        if is_broken_json(response):  # it may have been sent: never resent here, looked up next pass
            raise PostmarkError(broken_json_message("Postmark", "POST", url, response, retried=False))
        return str(response.json()["MessageID"])

    def send_batch(self, emails: Sequence[OutgoingEmail]) -> list[BatchResult]:
        """Send up to 500 messages with one POST /email/batch; one result per message, in order.

        Never sent again here except after a 429 (Postmark did nothing). A request-level refusal
        (``NOT_SENT_STATUSES``: 401, 422, a 429 past the retries, ...) raises PostmarkError: nothing
        was sent. No usable answer (dropped, any other non-2xx such as a 5xx or a proxy's 408, an
        empty or non-JSON body, JSON cut short) raises PostmarkOutcomeUnknown: each message may or
        may not have gone, and the caller must look each up by its key before any resend."""
        if len(emails) > MAX_BATCH:
            raise ValueError(f"a Postmark batch holds at most {MAX_BATCH} messages, not {len(emails)}")
        if not emails:
            return []
        url = f"{self._base}/email/batch"
        try:
            response = self._post(url, [self._body(email) for email in emails])
        except PostmarkError as error:
            status = error.response.status_code if error.response is not None else None
            if status in NOT_SENT_STATUSES:
                raise  # refused as a whole: nothing of it was accepted
            raise PostmarkOutcomeUnknown(f"{error}; each message is looked up before any resend") from error
        if not 200 <= response.status_code < 300:
            raise PostmarkOutcomeUnknown(
                f"Postmark API answered POST {url} with HTTP {response.status_code};"
                " each message is looked up before any resend"
            )
        if is_broken_json(response):
            broken = broken_json_message("Postmark", "POST", url, response, retried=False)
            raise PostmarkOutcomeUnknown(broken)
        try:
            answers = response.json()
        except ValueError as error:  # requests' JSONDecodeError: an empty or non-JSON body
            raise PostmarkOutcomeUnknown(
                f"Postmark API answered POST {url} with HTTP {response.status_code} and a body that is"
                f" not JSON ({len(response.content)} bytes); each message is looked up before any resend"
            ) from error
        if not isinstance(answers, list) or len(answers) != len(emails):
            raise PostmarkOutcomeUnknown(
                f"Postmark API answered POST {url} with {type(answers).__name__} of"
                f" {len(answers) if isinstance(answers, list) else '?'} results for {len(emails)} messages"
            )
        results = []
        for answer in answers:
            code = answer.get("ErrorCode") if isinstance(answer, dict) else None
            if code == 0 and answer.get("MessageID"):
                results.append(BatchResult(str(answer["MessageID"])))
            elif isinstance(code, int) and code != 0:
                results.append(BatchResult(None, f"ErrorCode {code}: {answer.get('Message')}", code))
            else:
                raise PostmarkOutcomeUnknown(f"Postmark API answered POST {url} with a result it does"
                                             f" not document: {str(answer)[:200]}")
        return results

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
