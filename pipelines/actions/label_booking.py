"""Book Click & Drop labels for the orders in ``label_booking_queue``, each exactly once.

For each queued order: skip it if the ledger shows a booked label, or a rejection for
the same address (a corrected address gets a new key and so a new attempt); otherwise
write ``pending``, call Click & Drop with the order name as ``orderReference`` (which
Click & Drop treats as idempotent), and record the tracking number or the rejection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.click_and_drop import ClickAndDropClient
from pipelines.actions.label_rules import DEFAULT_PACKAGE, RULE_VERSION, SERVICE_CODE
from pipelines.actions.ledger import LabelBookingLedger, label_booking_key


@dataclass
class BookingSummary:
    """What one pass of the action did, for run metadata and the CLI."""

    booked: int = 0
    rejected: int = 0
    skipped_already_booked: int = 0
    skipped_already_rejected: int = 0
    rejections: list[str] = field(default_factory=list)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def click_and_drop_order(row: Mapping[str, Any]) -> dict[str, Any]:
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
        "postageDetails": {"serviceCode": row.get("service_code") or SERVICE_CODE},
        "tags": [{"key": "orderloopRuleVersion", "value": RULE_VERSION}],
    }


def book_labels(
    queue: Iterable[Mapping[str, Any]],
    ledger: LabelBookingLedger,
    client: ClickAndDropClient,
    now: Callable[[], datetime] = _utc_now,
) -> BookingSummary:
    """Book every queued order that needs a label; safe to call any number of times."""
    summary = BookingSummary()
    for row in queue:
        order_id = row["order_id"]
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
                key, order_id, row["order_reference"], row["address_fingerprint"], RULE_VERSION, now()
            )
        # A transport error propagates and leaves 'pending': the next run retries with the
        # same orderReference, which Click & Drop answers with the original booking.
        result = client.create_order(click_and_drop_order(row))
        if result.accepted:
            ledger.record_booked(key, now(), result.order_identifier, result.tracking_number)
            summary.booked += 1
        else:
            reason = result.failure_reason or "rejected"
            ledger.record_failed(key, now(), reason)
            summary.rejected += 1
            summary.rejections.append(f"{row['order_reference']}: {reason}")
    return summary
