"""The refund ledger: one row per refund orderloop requested for a cancelled order.

The key (order, payment, amount) doubles as Stripe's Idempotency-Key, so a retry after a
crash between Stripe's answer and the ledger write gets the original refund back.

DuckDB-specific: written with the duckdb driver; the SQL is also valid Postgres.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

LEDGER_DDL = """
create schema if not exists actions;
create table if not exists actions.refunds (
    idempotency_key varchar primary key,
    order_id varchar not null,
    payment_intent_id varchar not null,
    amount_minor_units bigint not null,
    status varchar not null,
    attempted_at timestamp not null,
    completed_at timestamp,
    refund_id varchar,
    failure_reason varchar
);
"""


def refund_key(order_id: str, payment_intent: str, amount: int) -> str:
    # Stripe keys are at most 255 characters; a hex digest is 64.
    return hashlib.sha256(f"stripe:refund:{order_id}:{payment_intent}:{amount}".encode()).hexdigest()


class RefundLedger:
    """Reads and writes ``actions.refunds`` on an open warehouse connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._conn = connection
        self._conn.execute(LEDGER_DDL)

    def status(self, key: str) -> str | None:
        query = "select status from actions.refunds where idempotency_key = ?"
        row = self._conn.execute(query, [key]).fetchone()
        return row[0] if row else None

    def record_pending(self, key: str, order_id: str, payment_intent: str, amount: int, at: datetime) -> None:
        self._conn.execute(
            "insert into actions.refunds (idempotency_key, order_id, payment_intent_id, amount_minor_units,"
            " status, attempted_at) values (?, ?, ?, ?, 'pending', ?)"
            " on conflict (idempotency_key) do nothing",
            [key, order_id, payment_intent, amount, at],
        )

    def record_outcome(self, key: str, at: datetime, refund_id: str | None, failure: str | None) -> None:
        self._conn.execute(
            "update actions.refunds set status = ?, completed_at = ?, refund_id = ?, failure_reason = ?"
            " where idempotency_key = ?",
            ["refunded" if refund_id else "failed", at, refund_id, failure, key],
        )
