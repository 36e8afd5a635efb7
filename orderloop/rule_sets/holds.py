"""Hold rules (rules/holds.yaml): what keeps an order from getting a carrier label."""

from __future__ import annotations

from orderloop.rule_sets.versioning import RuleVersion


class HoldRules(RuleVersion):
    """Each hold keeps a queued order from a label while its condition lasts; the order is
    booked on the first pass after the condition clears (a corrected contact passes its
    check). The exception itself is listed whatever the hold says.

    Payment review and fraud score are not label holds: the label queue holds only paid
    Shopify orders, and the one source with reviews and risk scores (Stripe) pays
    WooCommerce orders, which are not booked yet. A payment_review exception's hold on
    fulfilment is the exception_owners rule's holds_fulfilment."""

    # The delivery address failed validation (postcode, required fields).
    invalid_address: bool
    # The phone number is not a valid number (the carrier cannot text delivery updates).
    invalid_phone: bool
