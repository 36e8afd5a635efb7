"""Book Click & Drop labels for the orders in ``label_booking_queue``, each exactly once.

Queued orders are taken in the priorities' order (rules/priorities.yaml: express first,
then the oldest). For each: hold it if the rules in force say so (rules/holds.yaml: an open
payment review, a fraud risk score above the maximum, a contact that failed validation;
rules/labels.yaml: no stock routed); skip it if the ledger shows a
booked label, or a rejection for the same address (a corrected address gets a new key and
so a new attempt); otherwise write ``pending``, call Click & Drop with the queue's
``order_reference`` as ``orderReference`` (which Click & Drop treats as idempotent; the
Shopify name or ``<channel>:<order number>``, unique across channels), and record the
tracking number or the rejection, with the rule version that decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.click_and_drop import ClickAndDropClient
from orderloop.decision_clock import decision_now
from orderloop.rule_sets import HoldRules, LabelRules, PriorityRules, in_force, label_rules
from pipelines.actions.ledger import LabelBookingLedger, label_booking_key

# Every parcel is booked as one standard parcel until products carry weights.
DEFAULT_PACKAGE = {"weightInGrams": 750, "packageFormatIdentifier": "parcel"}


@dataclass
class BookingSummary:
    """What one pass of the action did, for run metadata and the CLI."""

    booked: int = 0
    rejected: int = 0
    skipped_already_booked: int = 0
    skipped_already_rejected: int = 0
    held_invalid_address: int = 0
    held_invalid_phone: int = 0
    held_payment_review: int = 0
    held_fraud_score: int = 0
    held_no_stock: int = 0
    rejections: list[str] = field(default_factory=list)



def service_for(row: Mapping[str, Any], rules: LabelRules) -> str:
    """The channel's service when the rules say so and the channel has one, else the default."""
    if rules.use_channel_service and row.get("channel_service_code"):
        return str(row["channel_service_code"])
    return rules.default_service


def fraud_score_above(row: Mapping[str, Any], holds: HoldRules) -> bool:
    """The payment's risk score is above the rules' maximum and no person approved its review."""
    score = row.get("fraud_risk_score")
    if holds.max_fraud_score is None or score is None or row.get("is_payment_review_approved"):
        return False
    return int(score) > holds.max_fraud_score


def hold_reason(row: Mapping[str, Any], rules: LabelRules, holds: HoldRules) -> str | None:
    """Why the rules hold this order back from a label now, or None. A payment in doubt is
    named first: until it is settled the order may not be sent at all."""
    if holds.hold_payment_review and row.get("has_open_payment_review"):
        return "payment_review"
    if fraud_score_above(row, holds):
        return "fraud_score"
    if holds.invalid_address and not row.get("is_address_valid"):
        return "invalid_address"
    if holds.invalid_phone and not row.get("is_phone_valid"):
        return "invalid_phone"
    if rules.require_stock and not row.get("is_routed_with_stock"):
        return "no_stock"
    return None


def in_priority_order(
    queue: Iterable[Mapping[str, Any]], priorities: PriorityRules
) -> list[Mapping[str, Any]]:
    """Express orders first when the priorities say so, then the oldest, then by order id."""

    def key(row: Mapping[str, Any]) -> tuple:
        express_rank = 0 if priorities.express_first and row.get("is_express") else 1
        return (express_rank, row["placed_at"], row["order_id"])

    return sorted(queue, key=key)


def click_and_drop_order(row: Mapping[str, Any], rules: LabelRules) -> dict[str, Any]:
    """A CreateOrderRequest for one queued order (Click & Drop API v1)."""

    def money(value: Any) -> float:
        return float(Decimal(str(value or 0)).quantize(Decimal("0.01")))

    placed_at = row["placed_at"]
    return {
        "orderReference": row["order_reference"],
        "recipient": {
            "address": {
                "fullName": row.get("ship_to_name"),
                "addressLine1": row.get("ship_to_address1"),
                "addressLine2": row.get("ship_to_address2"),
                "city": row.get("ship_to_city"),
                "postcode": row.get("ship_to_postcode"),
                "countryCode": row.get("ship_to_country_code"),
            },
            "emailAddress": row.get("email"),
        },
        "orderDate": placed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subtotal": money(row.get("subtotal_amount")),
        "shippingCostCharged": money(row.get("shipping_amount")),
        "total": money(row.get("total_amount")),
        "currencyCode": row.get("currency_code") or "GBP",
        "packages": [DEFAULT_PACKAGE],
        "postageDetails": {"serviceCode": service_for(row, rules)},
        "tags": [{"key": "orderloopRuleVersion", "value": rules.version}],
    }


def book_labels(
    queue: Iterable[Mapping[str, Any]],
    ledger: LabelBookingLedger,
    client: ClickAndDropClient,
    now: Callable[[], datetime] = decision_now,
    rules: LabelRules | None = None,
    holds: HoldRules | None = None,
    priorities: PriorityRules | None = None,
) -> BookingSummary:
    """Book every queued order that needs a label; safe to call any number of times.
    ``rules``, ``holds``, ``priorities``: the rules to apply (default: those in force now)."""
    rules = rules or label_rules(now())
    holds = holds or in_force(HoldRules, now())
    priorities = priorities or in_force(PriorityRules, now())
    summary = BookingSummary()
    for row in in_priority_order(queue, priorities):
        order_id = row["order_id"]
        held = hold_reason(row, rules, holds)
        if held is not None:
            setattr(summary, f"held_{held}", getattr(summary, f"held_{held}") + 1)
            continue
        key = label_booking_key(order_id, row["address_fingerprint"])
        if ledger.has_booked(order_id):
            summary.skipped_already_booked += 1
            continue
        entry = ledger.entry(key)
        if entry is not None and entry.status == "failed":
            summary.skipped_already_rejected += 1
            continue
        if entry is None:
            ledger.record_pending(
                key, order_id, row["order_reference"], row["address_fingerprint"], rules.version, now()
            )
        # A transport error propagates and leaves 'pending': the next run retries with the
        # same orderReference, which Click & Drop answers with the original booking.
        result = client.create_order(click_and_drop_order(row, rules))
        if result.accepted:
            ledger.record_booked(
                key, now(), result.order_identifier, result.tracking_number, result.created_on
            )
            summary.booked += 1
        else:
            reason = result.failure_reason or "rejected"
            ledger.record_failed(key, now(), reason)
            summary.rejected += 1
            summary.rejections.append(f"{row['order_reference']}: {reason}")
    return summary
