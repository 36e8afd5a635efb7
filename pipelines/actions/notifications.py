"""Send the customer notifications in ``notification_queue``, each exactly once.

The notification rules in force at send time (rules/notifications.yaml) decide which
queued notices go out and with which template: the queue lists every candidate (every
kind, every exception), the rules pick. For each notice the rules send: skip it if the
ledger says sent; if the ledger says pending (a pass crashed around the send), look the
message up in Postmark by its orderloop key and record it instead of sending again;
otherwise write pending with the rule version, send, record sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.postmark import PostmarkClient, PostmarkError
from orderloop.decision_clock import decision_now
from orderloop.rule_sets import NotificationRules, notification_rules
from pipelines.actions.notification_ledger import NotificationLedger, notification_key
from pipelines.notifications.rendering import render


@dataclass
class NotificationSummary:
    sent: int = 0
    already_sent: int = 0
    recovered: int = 0
    not_in_rules: int = 0
    failures: list[str] = field(default_factory=list)



def ledger_kind(row: Mapping[str, Any]) -> str:
    """What the ledger calls a notice: the kind, and for an exception notice its reason."""
    if row["kind"] == "exception":
        return f"exception:{row['exception_reason']}"
    return str(row["kind"])


def key_for(row: Mapping[str, Any]) -> str:
    """The notice's idempotency key: (kind, order), and the exception it answers if any."""
    return notification_key(row["kind"], row["order_id"], row.get("exception_id"))


def send_notifications(
    queue: Iterable[Mapping[str, Any]],
    ledger: NotificationLedger,
    client: PostmarkClient,
    now: Callable[[], datetime] = decision_now,
    rules: NotificationRules | None = None,
) -> NotificationSummary:
    """Send every due notification the rules send and the ledger has not; safe to call any
    number of times. ``rules``: the rules to apply (default: those in force now)."""
    rules = rules or notification_rules(now())
    summary = NotificationSummary()
    for row in queue:
        key = key_for(row)
        template = rules.template_for(row["kind"], row.get("exception_reason"))
        status = ledger.status(key)
        if status == "sent":
            summary.already_sent += 1
            continue
        if status == "pending":
            found = client.find(key)
            if found is not None:
                ledger.record_sent(key, now(), found)
                summary.recovered += 1
                continue
        if template is None:
            # Not sent under the rules in force (a pending one never left: it stays pending).
            summary.not_in_rules += 1
            continue
        if status is None:
            ledger.record_pending(key, ledger_kind(row), row["order_id"], row["email"], now(), rules.version)
        subject, text = render(template, dict(row))
        try:
            message_id = client.send(row["email"], subject, text, tag=template, key=key)
        except PostmarkError as error:
            # Left pending: the next pass looks it up before trying again. One bad address
            # must not hold back everyone else's notices.
            summary.failures.append(f"{ledger_kind(row)} for {row['order_name']}: {error}")
            continue
        ledger.record_sent(key, now(), message_id)
        summary.sent += 1
    return summary
