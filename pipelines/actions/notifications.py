"""Send the customer notifications in ``notification_queue``, each exactly once.

The notification rules in force at send time (rules/notifications.yaml) decide which
queued notices go out and with which template: the queue lists every candidate (every
kind, every exception), the rules pick. For each notice the rules send: skip it if the
ledger says sent (or refused: Postmark refuses that message for good); if the ledger says
pending (a pass crashed around the send, or its answer was lost), leave it alone while its
last attempt is younger than ``LOOKUP_GRACE`` (Postmark may not have indexed an accepted
message yet, and a search that misses it would send the customer a second email), then look
the message up in Postmark by its orderloop key and record it instead of sending again;
otherwise write pending with the rule version, send, record sent.

Sending is batched: up to 500 notices go out in one Postmark request (POST /email/batch). The
pending rows of a whole batch are written before the request, so a crash between the request and
the ledger write leaves every message of it pending, and each is looked up before any resend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from connectors.postmark import (
    MAX_BATCH,
    OutgoingEmail,
    PostmarkClient,
    PostmarkError,
    PostmarkOutcomeUnknown,
)
from orderloop.decision_clock import decision_now
from orderloop.rule_sets import NotificationRules, notification_rules
from pipelines.actions.notification_ledger import NotificationLedger, PendingNotice, notification_key
from pipelines.notifications.rendering import render

# How long a pending notice is left alone after its last attempt before it is looked up (and, if
# not found, sent again). Postmark's search can lag behind its accepted messages: a look-up too soon
# says "not found" for a message that went, and the resend is a duplicate (up to a whole batch).
LOOKUP_GRACE = timedelta(minutes=15)


@dataclass
class NotificationSummary:
    """What one pass did. ``waiting``: pending notices attempted too recently to look up yet;
    ``refused``: refused for good in this pass (each also a failure line, reported this once);
    ``refused_before``: refused for good in an earlier pass, skipped."""

    sent: int = 0
    already_sent: int = 0
    recovered: int = 0
    not_in_rules: int = 0
    waiting: int = 0
    refused: int = 0
    refused_before: int = 0
    failures: list[str] = field(default_factory=list)


def ledger_kind(row: Mapping[str, Any]) -> str:
    """What the ledger calls a notice: the kind, and for an exception notice its reason."""
    if row["kind"] == "exception":
        return f"exception:{row['exception_reason']}"
    return str(row["kind"])


def key_for(row: Mapping[str, Any]) -> str:
    """The notice's idempotency key: (kind, order), and the exception it answers if any."""
    return notification_key(row["kind"], row["order_id"], row.get("exception_id"))


@dataclass
class _Chunk:
    """Notices waiting to go out in one batch: the rows, their keys and their rendered emails."""

    rows: list[Mapping[str, Any]] = field(default_factory=list)
    emails: list[OutgoingEmail] = field(default_factory=list)
    # Written pending before the request: new rows, and pending ones getting a new attempt time.
    pending: list[PendingNotice] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)


def _send_chunk(
    chunk: _Chunk,
    ledger: NotificationLedger,
    client: PostmarkClient,
    now: Callable[[], datetime],
    summary: NotificationSummary,
    unresolved: set[str],
) -> None:
    """Pending for the whole chunk (one statement, stamping this attempt's time) before its one
    batch request, then sent for every accepted message (one statement). A message refused for good
    (``BatchResult.refused_for_good``) is recorded refused; another refused message, or a batch
    refused as a whole, stays pending with a failure line; a batch without a usable answer stays
    pending too and its keys are ``unresolved``: a pass after ``LOOKUP_GRACE`` looks each up by its
    key before any resend (a look-up sooner could miss a message Postmark has accepted but not yet
    indexed)."""
    ledger.record_pending_many(chunk.pending, now())
    try:
        results = client.send_batch(chunk.emails)
    except PostmarkError as error:
        unknown = isinstance(error, PostmarkOutcomeUnknown)
        for row, email in zip(chunk.rows, chunk.emails, strict=True):
            if unknown:
                unresolved.add(email.key)
            summary.failures.append(f"{ledger_kind(row)} for {row['order_name']}: {error}")
        return
    sent = [(email.key, result.message_id) for email, result in zip(chunk.emails, results, strict=True)
            if result.message_id is not None]
    ledger.record_sent_many(sent, now())
    summary.sent += len(sent)
    refused = [(email.key, str(result.error)) for email, result in zip(chunk.emails, results, strict=True)
               if result.refused_for_good]
    ledger.record_refused_many(refused, now())
    summary.refused += len(refused)
    for row, result in zip(chunk.rows, results, strict=True):
        if not result.accepted:
            # Refused for good, or left pending for a later pass to look up and try again. One bad
            # address must not hold back everyone else's notices.
            summary.failures.append(f"{ledger_kind(row)} for {row['order_name']}: {result.error}")


def send_notifications(
    queue: Iterable[Mapping[str, Any]],
    ledger: NotificationLedger,
    client: PostmarkClient,
    now: Callable[[], datetime] = decision_now,
    rules: NotificationRules | None = None,
    batch_size: int = MAX_BATCH,
) -> NotificationSummary:
    """Send every due notification the rules send and the ledger has not; safe to call any
    number of times. ``rules``: the rules to apply (default: those in force now). Notices go out
    in batches of up to ``batch_size`` (Postmark's limit: 500), one request each. A pending notice
    whose last attempt (by ``now``) is younger than ``LOOKUP_GRACE`` is neither looked up nor sent."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
    started = now()
    rules = rules or notification_rules(started)
    return _NotificationPass(ledger, client, now, rules, started, batch_size).run(queue)


def _blocks(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    """The queue in lists of ``size`` rows, read lazily."""
    iterator = iter(rows)
    while block := list(islice(iterator, size)):
        yield block


class _NotificationPass:
    """One pass over the queue: the batch being filled and what the pass has done so far."""

    def __init__(
        self,
        ledger: NotificationLedger,
        client: PostmarkClient,
        now: Callable[[], datetime],
        rules: NotificationRules,
        started: datetime,
        batch_size: int,
    ) -> None:
        self.ledger, self.client, self.now, self.rules = ledger, client, now, rules
        self.started, self.batch_size = started, batch_size
        self.summary = NotificationSummary()
        self.chunk = _Chunk()
        self.unresolved: set[str] = set()  # keys of batches without an answer: looked up next pass only
        # Keys whose ledger row this pass wrote (batched or recovered): their status is read again,
        # not taken from their block's, so a notice queued twice is not sent twice.
        self.written: set[str] = set()

    def run(self, queue: Iterable[Mapping[str, Any]]) -> NotificationSummary:
        # The ledger's statuses a block at a time: one query per notice was most of the action's
        # own time (3.2 s of 15,000 reads, against 0.04 s in blocks of 500).
        for block in _blocks(queue, self.batch_size):
            known = self.ledger.statuses([key_for(row) for row in block])
            for row in block:
                self._decide(row, known)
        self._send()
        return self.summary

    def _send(self) -> None:
        if self.chunk.emails:
            _send_chunk(self.chunk, self.ledger, self.client, self.now, self.summary, self.unresolved)
        self.chunk = _Chunk()

    def _decide(self, row: Mapping[str, Any], known: Mapping[str, str]) -> None:
        """Skip, recover or batch one queued notice."""
        key = key_for(row)
        if key in self.unresolved:
            return  # the same notice twice in the queue, its batch's outcome unknown: next pass
        if key in self.chunk.keys:
            # The same notice twice in the queue: send the first before deciding the second.
            self._send()
            if key in self.unresolved:
                return
        template = self.rules.template_for(row["kind"], row.get("exception_reason"))
        status = self.ledger.status(key) if key in self.written else known.get(key)
        if status == "sent":
            self.summary.already_sent += 1
            return
        if status == "refused":
            self.summary.refused_before += 1
            return
        if status == "pending":
            attempted = self.ledger.attempted_at(key)
            if attempted is not None and self.started - attempted < LOOKUP_GRACE:
                self.summary.waiting += 1  # Postmark may not have indexed it yet: a later pass looks
                return
            found = self.client.find(key)
            if found is not None:
                self.ledger.record_sent(key, self.now(), found)
                self.written.add(key)
                self.summary.recovered += 1
                return
        if template is None:
            # Not sent under the rules in force (a pending one never left: it stays pending).
            self.summary.not_in_rules += 1
            return
        kind = ledger_kind(row)
        self.chunk.pending.append(PendingNotice(key, kind, row["order_id"], row["email"], self.rules.version))
        subject, text = render(template, dict(row))
        self.chunk.rows.append(row)
        self.chunk.keys.add(key)
        self.written.add(key)
        self.chunk.emails.append(OutgoingEmail(row["email"], subject, text, tag=template, key=key))
        if len(self.chunk.emails) >= self.batch_size:
            self._send()
