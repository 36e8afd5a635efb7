"""The stock push ledger: one row per quantity change pushed to a channel.

Like the label ledger: ``pending`` is written before the channel is called and ``done``
after. The key is deterministic for the transition (channel, SKU, location, from, to) and
how many pushes of that SKU-location are done before it, so a retry after a crash (or after a
skip) reuses it, while the same transition made again later (4 to 3, ..., 4 to 3 once more)
gets a key and a row of its own: every push the channel received has its own ledger row.

DuckDB-specific: written with the duckdb driver; the SQL is also valid Postgres.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

LEDGER_DDL = """
create schema if not exists actions;
create table if not exists actions.stock_pushes (
    idempotency_key varchar primary key,
    channel varchar not null,
    sku varchar not null,
    location varchar not null,
    from_quantity bigint,
    to_quantity bigint not null,
    status varchar not null,
    attempted_at timestamp not null,
    completed_at timestamp,
    outcome varchar
);
"""
# WooCommerce keeps one quantity per product: its rows use this location.
ALL_LOCATIONS = "all"


def stock_push_key(
    channel: str, sku: str, location: str, from_quantity: int | None, to_quantity: int, done_before: int = 0
) -> str:
    """The push's key; ``done_before``: pushes of this SKU-location already done (the first push's
    key is the bare transition, as it always was)."""
    transition = f"{channel}:stock:{sku}:{location}:{from_quantity}:{to_quantity}"
    if done_before:
        transition += f":after:{done_before}"
    return hashlib.sha256(transition.encode()).hexdigest()


class StockPushLedger:
    """Reads and writes ``actions.stock_pushes`` on an open warehouse connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._conn = connection
        self._conn.execute(LEDGER_DDL)

    def last_pushed(self, channel: str, sku: str, location: str) -> int | None:
        """The quantity the channel was last set to by orderloop (None: never pushed)."""
        row = self._conn.execute(
            "select to_quantity from actions.stock_pushes where channel = ? and sku = ? and location = ?"
            " and status = 'done' order by completed_at desc limit 1",
            [channel, sku, location],
        ).fetchone()
        return int(row[0]) if row else None

    def pushes_done(self, channel: str, sku: str, location: str) -> int:
        """How many pushes of this SKU-location are done: tells a repeated transition apart."""
        row = self._conn.execute(
            "select count(*) from actions.stock_pushes where channel = ? and sku = ? and location = ?"
            " and status = 'done'",
            [channel, sku, location],
        ).fetchone()
        return int(row[0]) if row else 0

    def status(self, key: str) -> str | None:
        row = self._conn.execute(
            "select status from actions.stock_pushes where idempotency_key = ?", [key]
        ).fetchone()
        return row[0] if row else None

    def record_pending(
        self,
        key: str,
        channel: str,
        sku: str,
        location: str,
        from_quantity: int | None,
        to_quantity: int,
        at: datetime,
    ) -> None:
        self._conn.execute(
            "insert into actions.stock_pushes (idempotency_key, channel, sku, location, from_quantity,"
            " to_quantity, status, attempted_at) values (?, ?, ?, ?, ?, ?, 'pending', ?)"
            # A skipped push tried again is in flight again: a crash now must leave it pending.
            " on conflict (idempotency_key) do update set status = 'pending'"
            " where actions.stock_pushes.status = 'skipped'",
            [key, channel, sku, location, from_quantity, to_quantity, at],
        )

    def record_done(self, key: str, at: datetime, outcome: str) -> None:
        self._conn.execute(
            "update actions.stock_pushes set status = 'done', completed_at = ?, outcome = ?"
            " where idempotency_key = ?",
            [at, outcome, key],
        )

    def record_skipped(self, key: str, at: datetime, outcome: str) -> None:
        """A push that could not apply (unknown SKU or location, a person changed the level)."""
        self._conn.execute(
            "update actions.stock_pushes set status = 'skipped', completed_at = ?, outcome = ?"
            " where idempotency_key = ?",
            [at, outcome, key],
        )
