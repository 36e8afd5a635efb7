"""Hold rules (rules/holds.yaml): what keeps an order from getting a carrier label."""

from __future__ import annotations

from pydantic import Field

from orderloop.rule_sets.versioning import RuleVersion


class HoldRules(RuleVersion):
    """Each hold keeps a queued order from a label while its condition lasts; the order is
    booked on the first pass after the condition clears (a corrected contact passes its
    check, a person closes the payment's review). The exception itself is listed whatever
    the hold says.

    The payment holds read Stripe (label_booking_queue.fraud_risk_score and
    has_open_payment_review), so they apply to the orders Stripe pays (WooCommerce); a
    payment_review exception's hold on fulfilment (picking) is the exception_owners rule's
    holds_fulfilment. Versions before the payment holds existed leave them off."""

    # The delivery address failed validation (postcode, required fields).
    invalid_address: bool
    # The phone number is not a valid number (the carrier cannot text delivery updates).
    invalid_phone: bool
    # Hold an order whose payment Radar scored above this (outcome.risk_score, 0-100), unless
    # a person approved a review of the payment; None: no fraud-score hold.
    max_fraud_score: int | None = Field(default=None, ge=0, le=100)
    # Hold an order while a Stripe review of its payment is open (opened, not yet closed).
    hold_payment_review: bool = False
