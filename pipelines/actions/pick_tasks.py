"""Release ``pick_task_queue`` to the warehouses as pick batches, each order exactly once.

Per pass: first send again every batch the ledger still has ``pending`` (a crash came between the
call and the outcome write), with its stored request and Idempotency-Key, so the 3PL replays its
answer instead of releasing twice. Then, per warehouse, batch the orders the ledger has not settled,
in pick-path order, with a pick list and a packing slip per order (PDF); write the intent, send,
record each order's outcome. A refusal that names an order keeps that order aside (``failed``, with
the 3PL's reason) and sends the rest of the batch again without it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.three_pl import BatchOutcome, PickBatchClient
from orderloop.decision_clock import decision_now
from pipelines.actions.pick_batches import PickOrder, batches_by_warehouse, orders_from_queue
from pipelines.actions.pick_task_ledger import PickTaskLedger, TaskIntent, batch_key, pick_task_key
from pipelines.documents.packing_slip import render_packing_slip
from pipelines.documents.pick_list import render_pick_list

NOT_PICKED_TWICE = "the warehouse had already picked it before the task arrived"


@dataclass
class PickTaskSummary:
    batches_sent: int = 0
    replayed_batches: int = 0
    recovered_batches: int = 0
    released: int = 0
    already_released: int = 0
    declined: int = 0
    already_done: int = 0
    set_aside: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)



def _b64(document: bytes) -> str:
    return base64.b64encode(document).decode("ascii")


def batch_request(
    reference: str, warehouse: str, orders: Sequence[PickOrder], at: datetime
) -> dict[str, Any]:
    """The 3PL's pick-batch body: orders with their lines in pick-path order, and the documents."""
    return {
        "batch_reference": reference,
        "pick_list_pdf": _b64(render_pick_list(reference, warehouse, orders, at)),
        "orders": [
            {
                "order_reference": order.order_reference,
                "lines": [
                    {"sku": line.sku, "quantity": line.quantity, "location": line.bin_location}
                    for line in order.lines
                ],
                "packing_slip_pdf": _b64(render_packing_slip(order, reference, at)),
            }
            for order in orders
        ],
    }


def release_pick_tasks(
    queue: Iterable[Mapping[str, Any]],
    ledger: PickTaskLedger,
    client: PickBatchClient,
    now: Callable[[], datetime] = decision_now,
) -> PickTaskSummary:
    """Release every ready order not yet released; safe to call any number of times."""
    summary = PickTaskSummary()
    for pending in ledger.pending_batches():
        outcome = client.release(pending.warehouse_id, pending.request, pending.batch_key)
        summary.recovered_batches += 1
        _settle(ledger, pending.batch_key, outcome, now(), summary)

    orders, aside = orders_from_queue(queue)
    summary.set_aside = [f"{item.order_reference}: {item.reason}" for item in aside]
    todo = []
    for order in orders:
        key = pick_task_key(order.order_id, order.warehouse_id, order.lines_fingerprint)
        if ledger.is_settled(order.order_id) or ledger.status(key) in ("failed", "pending"):
            summary.already_done += 1
            continue
        todo.append(order)
    for warehouse, batch in batches_by_warehouse(todo):
        _send(warehouse, batch, ledger, client, now, summary)
    return summary


def _send(
    warehouse: str,
    orders: list[PickOrder],
    ledger: PickTaskLedger,
    client: PickBatchClient,
    now: Callable[[], datetime],
    summary: PickTaskSummary,
) -> None:
    while orders:
        intents = [
            TaskIntent(
                pick_task_key(o.order_id, warehouse, o.lines_fingerprint),
                o.order_id,
                o.order_reference,
                warehouse,
                o.lines_fingerprint,
                o.routing_rule_version,
            )
            for o in orders
        ]
        key = batch_key(warehouse, [intent.key for intent in intents])
        reference = f"PB-{warehouse.upper()}-{key[:12]}"
        at = now()
        request = batch_request(reference, warehouse, orders, at)
        ledger.record_pending(key, reference, warehouse, request, intents, at)
        outcome = client.release(warehouse, request, key)
        resend = _settle(ledger, key, outcome, now(), summary)
        orders = [o for o in orders if o.order_reference in resend]


def _settle(
    ledger: PickTaskLedger, key: str, outcome: BatchOutcome, at: datetime, summary: PickTaskSummary
) -> set[str]:
    """Record the 3PL's answer to a batch; the orders to send again (those a refusal was not about)."""
    keys = ledger.keys_of_batch(key)
    if outcome.failure is None:
        ledger.record_batch(key, "sent", at, outcome.replayed, None)
        if outcome.replayed:
            summary.replayed_batches += 1
        else:
            summary.batches_sent += 1
        for release in outcome.releases:
            order_key = keys[release.order_reference]
            if release.outcome == "already_picked":
                ledger.record_order(order_key, "declined", at, release.outcome, None, NOT_PICKED_TWICE)
                summary.declined += 1
                continue
            ledger.record_order(order_key, "released", at, release.outcome, release.batch_reference, None)
            if release.outcome == "already_released":
                summary.already_released += 1
            else:
                summary.released += 1
        return set()
    ledger.record_batch(key, "refused", at, False, outcome.failure)
    at_fault = outcome.refused_order if outcome.refused_order in keys else None
    for reference, order_key in keys.items():
        if at_fault is None or reference == at_fault:
            ledger.record_order(order_key, "failed", at, None, None, outcome.failure)
            summary.failures.append(f"{reference}: {outcome.failure}")
        else:
            reason = f"batch refused because of {at_fault}"
            ledger.record_order(order_key, "withdrawn", at, None, None, reason)
    return set() if at_fault is None else set(keys) - {at_fault}
