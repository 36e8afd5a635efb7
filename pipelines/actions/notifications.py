"""Send the customer notifications in ``notification_queue``, each exactly once.

For each due (kind, order): skip it if the ledger says sent; if the ledger says pending (a
pass crashed around the send), look the message up in Postmark by its orderloop key and
record it instead of sending again; otherwise write pending, send, record sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.postmark import PostmarkClient, PostmarkError
from pipelines.actions.notification_ledger import NotificationLedger, notification_key
from pipelines.notifications.rendering import render


@dataclass
class NotificationSummary:
    sent: int = 0
    already_sent: int = 0
    recovered: int = 0
    failures: list[str] = field(default_factory=list)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def send_notifications(
    queue: Iterable[Mapping[str, Any]],
    ledger: NotificationLedger,
    client: PostmarkClient,
    now: Callable[[], datetime] = _utc_now,
) -> NotificationSummary:
    """Send every due notification not yet sent; safe to call any number of times."""
    summary = NotificationSummary()
    for row in queue:
        key = notification_key(row["kind"], row["order_id"])
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
        else:
            ledger.record_pending(key, row["kind"], row["order_id"], row["email"], now())
        subject, text = render(row["kind"], dict(row))
        try:
            message_id = client.send(row["email"], subject, text, tag=row["kind"], key=key)
        except PostmarkError as error:
            # Left pending: the next pass looks it up before trying again. One bad address
            # must not hold back everyone else's notices.
            summary.failures.append(f"{row['kind']} for {row['order_name']}: {error}")
            continue
        ledger.record_sent(key, now(), message_id)
        summary.sent += 1
    return summary
