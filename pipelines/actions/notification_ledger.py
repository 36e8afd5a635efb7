"""The notification ledger: one row per customer notification, keyed by (kind, order) and,
for exception notices, the exception occurrence.

``pending`` is written before Postmark is called (``attempted_at`` set on every attempt) and
``sent`` after. Postmark has no idempotency key, so a ``pending`` row found on a later pass means a
crash may have come after the send: once its last attempt is old enough for Postmark to have indexed
it, the action searches Postmark by the key it put in the message's metadata before sending again.
``refused`` (with Postmark's ``error``) is final: a message Postmark would refuse on every resend.

DuckDB-specific: written with the duckdb driver; the SQL is also valid Postgres.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

LEDGER_DDL = """
create schema if not exists actions;
create table if not exists actions.notifications (
    idempotency_key varchar primary key,
    kind varchar not null,
    order_id varchar not null,
    recipient_hash varchar not null,
    status varchar not null,
    attempted_at timestamp not null,
    completed_at timestamp,
    message_id varchar,
    rule_version varchar,
    error varchar
);
alter table actions.notifications add column if not exists error varchar;
"""


def notification_key(kind: str, order_id: str, occurrence: str | None = None) -> str:
    """The idempotency key of one notice. ``occurrence`` (the exception id) separates the
    notices of different exceptions of one order; kinds without one keep their old keys."""
    suffix = f":{occurrence}" if occurrence else ""
    return hashlib.sha256(f"postmark:{kind}:{order_id}{suffix}".encode()).hexdigest()


@dataclass(frozen=True)
class PendingNotice:
    """One notice about to be sent: what ``record_pending`` takes, for ``record_pending_many``."""

    key: str
    kind: str
    order_id: str
    recipient: str
    rule_version: str | None = None


def _recipient_hash(recipient: str) -> str:
    # The address itself stays in the raw layer; the ledger keeps a hash to audit by.
    return hashlib.sha256(recipient.strip().lower().encode()).hexdigest()


class NotificationLedger:
    """Reads and writes ``actions.notifications`` on an open warehouse connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._conn = connection
        self._conn.execute(LEDGER_DDL)

    def status(self, key: str) -> str | None:
        row = self._conn.execute(
            "select status from actions.notifications where idempotency_key = ?", [key]
        ).fetchone()
        return row[0] if row else None

    def statuses(self, keys: Sequence[str]) -> dict[str, str]:
        """The status of each of ``keys`` the ledger holds, in one query (a pass reads a block of
        its queue at a time: one query per notice was most of the action's own time)."""
        if not keys:
            return {}
        return dict(
            self._conn.execute(
                "select idempotency_key, status from actions.notifications"
                " where idempotency_key in (select unnest(?::varchar[]))",
                [list(keys)],
            ).fetchall()
        )

    def attempted_at(self, key: str) -> datetime | None:
        """When the notice was last handed to Postmark (None: never)."""
        row = self._conn.execute(
            "select attempted_at from actions.notifications where idempotency_key = ?", [key]
        ).fetchone()
        return row[0] if row else None

    def record_pending(
        self,
        key: str,
        kind: str,
        order_id: str,
        recipient: str,
        at: datetime,
        rule_version: str | None = None,
    ) -> None:
        """``rule_version``: the notification rules that decided to send it."""
        self.record_pending_many([PendingNotice(key, kind, order_id, recipient, rule_version)], at)

    def record_pending_many(self, notices: Sequence[PendingNotice], at: datetime) -> None:
        """Write pending for every notice of a batch in one statement (all or none), before the
        batch is sent. A key already pending keeps its row but gets ``at`` as its last attempt, so a
        resend is not looked up before Postmark has had time to index it; any other row is kept."""
        if not notices:
            return
        rows = ", ".join(["(?, ?, ?, ?, 'pending', ?::timestamp, ?)"] * len(notices))
        params: list[object] = []
        for notice in notices:
            params += [notice.key, notice.kind, notice.order_id, _recipient_hash(notice.recipient), at,
                       notice.rule_version]
        self._conn.execute(
            "insert into actions.notifications (idempotency_key, kind, order_id, recipient_hash, status,"
            f" attempted_at, rule_version) values {rows} on conflict (idempotency_key) do update"
            " set attempted_at = excluded.attempted_at where notifications.status = 'pending'",
            params,
        )

    def rule_version(self, key: str) -> str | None:
        row = self._conn.execute(
            "select rule_version from actions.notifications where idempotency_key = ?", [key]
        ).fetchone()
        return row[0] if row else None

    def record_sent(self, key: str, at: datetime, message_id: str) -> None:
        self.record_sent_many([(key, message_id)], at)

    def record_sent_many(self, sent: Sequence[tuple[str, str]], at: datetime) -> None:
        """Record ``(key, message_id)`` pairs as sent in one statement (a batch's answer at once)."""
        if not sent:
            return
        rows = ", ".join(["(?, ?, ?::timestamp)"] * len(sent))
        params: list[object] = []
        for key, message_id in sent:
            params += [key, message_id, at]
        self._conn.execute(
            "update actions.notifications as n set status = 'sent', completed_at = v.completed_at,"
            f" message_id = v.message_id from (values {rows}) as v(idempotency_key, message_id, completed_at)"
            " where n.idempotency_key = v.idempotency_key",
            params,
        )

    def record_refused_many(self, refused: Sequence[tuple[str, str]], at: datetime) -> None:
        """Record ``(key, error)`` pairs as refused for good in one statement: Postmark would refuse
        the same message on every resend, so later passes skip it instead of searching and resending."""
        if not refused:
            return
        rows = ", ".join(["(?, ?, ?::timestamp)"] * len(refused))
        params: list[object] = []
        for key, error in refused:
            params += [key, error, at]
        self._conn.execute(
            "update actions.notifications as n set status = 'refused', completed_at = v.completed_at,"
            f" error = v.error from (values {rows}) as v(idempotency_key, error, completed_at)"
            " where n.idempotency_key = v.idempotency_key and n.status = 'pending'",
            params,
        )
