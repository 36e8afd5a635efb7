"""The pick-task ledger: one row per order released (or being released) to a warehouse.

Keyed per order, warehouse and what is picked (``pick_task_key``), so a retry finds its row and a
changed order is a new task. Batches are recorded too (``actions.pick_task_batches``): the exact
request, written before it is sent, with its Idempotency-Key. A crash between the 3PL's answer and
the outcome write leaves the batch ``pending``; the next pass sends the stored request again with
the same key, and the 3PL replays its original answer instead of releasing anything twice.

DuckDB-specific: written with the duckdb driver; the SQL is also valid Postgres.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

LEDGER_DDL = """
create schema if not exists actions;
create table if not exists actions.pick_task_ledger (
    idempotency_key varchar primary key,
    order_id varchar not null,
    order_reference varchar not null,
    warehouse_id varchar not null,
    lines_fingerprint varchar not null,
    routing_rule_version varchar,
    batch_key varchar not null,
    batch_reference varchar not null,
    status varchar not null,
    attempted_at timestamp not null,
    completed_at timestamp,
    outcome varchar,
    held_by_batch varchar,
    failure_reason varchar
);
create table if not exists actions.pick_task_batches (
    batch_key varchar primary key,
    batch_reference varchar not null,
    warehouse_id varchar not null,
    order_count integer not null,
    request_json varchar not null,
    status varchar not null,
    created_at timestamp not null,
    completed_at timestamp,
    replayed boolean,
    failure_reason varchar
);
"""

# Statuses after which an order is never sent again: the 3PL holds it, or picked it already.
SETTLED = ("released", "declined")


def pick_task_key(order_id: str, warehouse: str, lines_fingerprint: str) -> str:
    return hashlib.sha256(f"3pl:pick_task:{order_id}:{warehouse}:{lines_fingerprint}".encode()).hexdigest()


def batch_key(warehouse: str, order_keys: Iterable[str]) -> str:
    """The batch's Idempotency-Key: the same orders for the same site give the same key."""
    joined = ",".join(sorted(order_keys))
    return hashlib.sha256(f"3pl:pick_batch:{warehouse}:{joined}".encode()).hexdigest()


@dataclass(frozen=True)
class PendingBatch:
    batch_key: str
    batch_reference: str
    warehouse_id: str
    request: dict[str, Any]


@dataclass(frozen=True)
class TaskIntent:
    """One order of a batch about to be sent."""

    key: str
    order_id: str
    order_reference: str
    warehouse_id: str
    lines_fingerprint: str
    routing_rule_version: str | None


class PickTaskLedger:
    """Reads and writes ``actions.pick_task_ledger`` and ``actions.pick_task_batches``."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._conn = connection
        self._conn.execute(LEDGER_DDL)

    def status(self, key: str) -> str | None:
        row = self._conn.execute(
            "select status from actions.pick_task_ledger where idempotency_key = ?", [key]
        ).fetchone()
        return row[0] if row else None

    def is_settled(self, order_id: str) -> bool:
        """Released (to any warehouse) or declined: an order is released once, whatever routing does later."""
        row = self._conn.execute(
            "select 1 from actions.pick_task_ledger where order_id = ? and status in ('released', 'declined')"
            " limit 1",
            [order_id],
        ).fetchone()
        return row is not None

    def pending_batches(self) -> list[PendingBatch]:
        rows = self._conn.execute(
            "select batch_key, batch_reference, warehouse_id, request_json from actions.pick_task_batches"
            " where status = 'pending' order by created_at, batch_key"
        ).fetchall()
        return [PendingBatch(key, ref, site, json.loads(body)) for key, ref, site, body in rows]

    def record_pending(
        self,
        key: str,
        reference: str,
        warehouse: str,
        request: dict[str, Any],
        intents: list[TaskIntent],
        at: datetime,
    ) -> None:
        """The intent, before the call: the exact request and a pending row per order, atomically."""
        self._conn.execute("begin transaction")
        try:
            self._conn.execute(
                "insert into actions.pick_task_batches (batch_key, batch_reference, warehouse_id,"
                " order_count, request_json, status, created_at) values (?, ?, ?, ?, ?, 'pending', ?)"
                " on conflict (batch_key) do nothing",
                [key, reference, warehouse, len(intents), json.dumps(request), at],
            )
            for task in intents:
                self._conn.execute(
                    """
                    insert into actions.pick_task_ledger
                        (idempotency_key, order_id, order_reference, warehouse_id, lines_fingerprint,
                         routing_rule_version, batch_key, batch_reference, status, attempted_at)
                    values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
                    on conflict (idempotency_key) do update set
                        batch_key = excluded.batch_key, batch_reference = excluded.batch_reference,
                        status = 'pending', attempted_at = excluded.attempted_at, completed_at = null,
                        outcome = null, held_by_batch = null, failure_reason = null
                    """,
                    [task.key, task.order_id, task.order_reference, task.warehouse_id, task.lines_fingerprint,
                     task.routing_rule_version, key, reference, at],
                )
            self._conn.execute("commit")
        except BaseException:
            self._conn.execute("rollback")
            raise

    def record_order(
        self,
        key: str,
        status: str,
        at: datetime,
        outcome: str | None,
        held_by: str | None,
        failure: str | None,
    ) -> None:
        self._conn.execute(
            "update actions.pick_task_ledger set status = ?, completed_at = ?, outcome = ?,"
            " held_by_batch = ?, failure_reason = ? where idempotency_key = ?",
            [status, at, outcome, held_by, failure, key],
        )

    def record_batch(self, key: str, status: str, at: datetime, replayed: bool, failure: str | None) -> None:
        self._conn.execute(
            "update actions.pick_task_batches set status = ?, completed_at = ?, replayed = ?,"
            " failure_reason = ? where batch_key = ?",
            [status, at, replayed, failure, key],
        )

    def keys_of_batch(self, key: str) -> dict[str, str]:
        """order_reference -> ledger key of the orders sent in a batch."""
        rows = self._conn.execute(
            "select order_reference, idempotency_key from actions.pick_task_ledger where batch_key = ?", [key]
        ).fetchall()
        return dict(rows)

    def counts(self) -> dict[str, int]:
        rows = self._conn.execute(
            "select status, count(*) from actions.pick_task_ledger group by status"
        ).fetchall()
        return {status: count for status, count in rows}
