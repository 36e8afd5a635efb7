"""Refund cancelled orders (``refund_queue``) through Stripe, each exactly once.

For each owed refund: skip it if the ledger says refunded or failed (a refusal needs a
person: it is an exception, not something to hammer); otherwise write pending and ask
Stripe with the ledger key as Idempotency-Key. A pending row from a crashed pass is simply
asked again: Stripe replays the original refund instead of refunding twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.stripe.refunds import StripeRefunds
from orderloop.decision_clock import decision_now
from pipelines.actions.refund_ledger import RefundLedger, refund_key


@dataclass
class RefundSummary:
    refunded: int = 0
    replayed: int = 0
    already_done: int = 0
    failures: list[str] = field(default_factory=list)



def refund_cancelled_orders(
    queue: Iterable[Mapping[str, Any]],
    ledger: RefundLedger,
    stripe: StripeRefunds,
    now: Callable[[], datetime] = decision_now,
) -> RefundSummary:
    """Request every owed refund once; safe to call any number of times."""
    summary = RefundSummary()
    for row in queue:
        amount = int(row["amount_minor_units"])
        key = refund_key(row["order_id"], row["payment_intent_id"], amount)
        if ledger.status(key) in ("refunded", "failed"):
            summary.already_done += 1
            continue
        ledger.record_pending(key, row["order_id"], row["payment_intent_id"], amount, now())
        outcome = stripe.refund(row["payment_intent_id"], amount, key, row["order_name"])
        ledger.record_outcome(key, now(), outcome.refund_id, outcome.failure)
        if outcome.failure:
            summary.failures.append(f"{row['order_name']}: {outcome.failure}")
        elif outcome.replayed:
            summary.replayed += 1
        else:
            summary.refunded += 1
    return summary
