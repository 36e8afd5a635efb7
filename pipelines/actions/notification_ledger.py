"""The notification ledger: one row per customer notification, keyed by (kind, order) and,
for exception notices, the exception occurrence.

``pending`` is written before Postmark is called and ``sent`` after. Postmark has no
idempotency key, so a ``pending`` row found on a later pass means a crash may have come
after the send: the action searches Postmark by the key it put in the message's metadata
before sending again.

DuckDB-specific: written with the duckdb driver; the SQL is also valid Postgres.
"""

from __future__ import annotations

import hashlib
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
    rule_version varchar
);
"""


def notification_key(kind: str, order_id: str, occurrence: str | None = None) -> str:
    """The idempotency key of one notice. ``occurrence`` (the exception id) separates the
    notices of different exceptions of one order; kinds without one keep their old keys."""
    suffix = f":{occurrence}" if occurrence else ""
    return hashlib.sha256(f"postmark:{kind}:{order_id}{suffix}".encode()).hexdigest()


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
        # The address itself stays in the raw layer; the ledger keeps a hash to audit by.
        recipient_hash = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()
        self._conn.execute(
            "insert into actions.notifications (idempotency_key, kind, order_id, recipient_hash, status,"
            " attempted_at, rule_version) values (?, ?, ?, ?, 'pending', ?, ?)"
            " on conflict (idempotency_key) do nothing",
            [key, kind, order_id, recipient_hash, at, rule_version],
        )

    def rule_version(self, key: str) -> str | None:
        row = self._conn.execute(
            "select rule_version from actions.notifications where idempotency_key = ?", [key]
        ).fetchone()
        return row[0] if row else None

    def record_sent(self, key: str, at: datetime, message_id: str) -> None:
        self._conn.execute(
            "update actions.notifications set status = 'sent', completed_at = ?, message_id = ?"
            " where idempotency_key = ?",
            [at, message_id, key],
        )
