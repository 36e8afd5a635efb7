"""The action ledger: one row per attempted action, keyed by a deterministic idempotency key.

Exactly once works in three steps: write ``pending`` before calling the outside system,
call it with an idempotency reference it honours, then record the answer. A crash
between the call and the record leaves ``pending``; the next run calls again with the
same reference and the outside system returns the original result instead of a second
one.

DuckDB-specific: the ledger is written with the duckdb driver (``insert ... on conflict``
is also valid Postgres). A warehouse on another engine needs this module's SQL ported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb

LEDGER_DDL = """
create schema if not exists actions;
create table if not exists actions.label_bookings (
    idempotency_key varchar primary key,
    order_id varchar not null,
    order_reference varchar not null,
    address_fingerprint varchar not null,
    status varchar not null,
    attempted_at timestamp not null,
    completed_at timestamp,
    carrier_order_identifier bigint,
    tracking_number varchar,
    failure_reason varchar,
    rule_version varchar not null
);
-- Added after the first release: ledgers created before get the column on first use.
alter table actions.label_bookings add column if not exists carrier_created_at timestamp;
"""


def label_booking_key(order_id: str, address_fingerprint: str) -> str:
    """Same order and same address give the same key; a corrected address gives a new one."""
    return hashlib.sha256(f"click_and_drop:label:{order_id}:{address_fingerprint}".encode()).hexdigest()


@dataclass(frozen=True)
class LedgerEntry:
    idempotency_key: str
    order_id: str
    status: str


class LabelBookingLedger:
    """Reads and writes ``actions.label_bookings`` on an open warehouse connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._conn = connection
        self._conn.execute(LEDGER_DDL)

    def entry(self, key: str) -> LedgerEntry | None:
        row = self._conn.execute(
            "select idempotency_key, order_id, status from actions.label_bookings where idempotency_key = ?",
            [key],
        ).fetchone()
        return LedgerEntry(*row) if row else None

    def has_booked(self, order_id: str) -> bool:
        """An order with an accepted label never gets another, whatever its address does."""
        row = self._conn.execute(
            "select 1 from actions.label_bookings where order_id = ? and status = 'booked' limit 1",
            [order_id],
        ).fetchone()
        return row is not None

    def record_pending(
        self, key: str, order_id: str, reference: str, fingerprint: str, rule_version: str, at: datetime
    ) -> None:
        self._conn.execute(
            """
            insert into actions.label_bookings
                (idempotency_key, order_id, order_reference, address_fingerprint, status,
                 attempted_at, rule_version)
            values (?, ?, ?, ?, 'pending', ?, ?)
            on conflict (idempotency_key) do nothing
            """,
            [key, order_id, reference, fingerprint, at, rule_version],
        )

    def record_booked(
        self,
        key: str,
        at: datetime,
        carrier_order_identifier: int | None,
        tracking_number: str | None,
        carrier_created_at: datetime | None = None,
    ) -> None:
        """``carrier_created_at``: the carrier's own time of the booking, which the order's
        lifecycle uses (``at`` is when this ledger heard of it)."""
        self._conn.execute(
            """
            update actions.label_bookings
            set status = 'booked', completed_at = ?, carrier_order_identifier = ?, tracking_number = ?,
                failure_reason = null, carrier_created_at = ?
            where idempotency_key = ?
            """,
            [at, carrier_order_identifier, tracking_number, carrier_created_at, key],
        )

    def record_failed(self, key: str, at: datetime, reason: str) -> None:
        self._conn.execute(
            """
            update actions.label_bookings
            set status = 'failed', completed_at = ?, failure_reason = ?
            where idempotency_key = ?
            """,
            [at, reason, key],
        )

    def counts(self) -> dict[str, int]:
        rows = self._conn.execute(
            "select status, count(*) from actions.label_bookings group by status"
        ).fetchall()
        return {status: count for status, count in rows}
