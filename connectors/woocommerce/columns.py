"""Column hints for the WooCommerce tables staging reads.

dlt only creates a column once it has seen a non-null value, so a store without a paid,
completed or shipped-to-a-second-line order would otherwise have no such column. Money
comes from WooCommerce as strings and is typed decimal here. The ``*_gmt`` dates are UTC;
the dates without suffix are the store's local time with no offset, kept as text so they
cannot be mistaken for UTC timestamps.
"""

from __future__ import annotations

from typing import Any

from connectors.schema_hints import nullable_columns

_ADDRESS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode",
            "country", "phone")

ORDER_COLUMNS = nullable_columns(
    number="text",
    status="text",
    currency="text",
    date_created_gmt="timestamp",
    date_modified_gmt="timestamp",
    date_paid_gmt="timestamp",
    date_completed_gmt="timestamp",
    date_created="text",
    date_modified="text",
    date_paid="text",
    date_completed="text",
    total="decimal",
    total_tax="decimal",
    shipping_total="decimal",
    shipping_tax="decimal",
    discount_total="decimal",
    discount_tax="decimal",
    cart_tax="decimal",
    customer_id="bigint",
    customer_note="text",
    payment_method="text",
    payment_method_title="text",
    transaction_id="text",
    billing__email="text",
    billing__phone="text",
    billing__first_name="text",
    billing__last_name="text",
    **{f"shipping__{field}": "text" for field in _ADDRESS},
)
# An order read twice in one run (edited while the run paged, see paging.py) keeps its latest
# version when dlt merges the duplicates, not whichever it met first.
ORDER_COLUMNS["date_modified_gmt"]["dedup_sort"] = "desc"

ORDER_NESTED_HINTS: dict[Any, Any] = {
    "line_items": {
        "columns": nullable_columns(
            id="bigint",
            name="text",
            sku="text",
            product_id="bigint",
            variation_id="bigint",
            quantity="bigint",
            price="decimal",
            subtotal="decimal",
            subtotal_tax="decimal",
            total="decimal",
            total_tax="decimal",
        )
    },
    "shipping_lines": {"columns": nullable_columns(method_id="text", total="decimal", total_tax="decimal")},
    "fee_lines": {"columns": nullable_columns(name="text", total="decimal", total_tax="decimal")},
    "coupon_lines": {"columns": nullable_columns(code="text", discount="decimal", discount_tax="decimal")},
    # The order's own summary of its refunds; ``total`` is negative. Full refunds: ``order_refunds``.
    "refunds": {"columns": nullable_columns(id="bigint", reason="text", total="decimal")},
}

NOTE_COLUMNS = nullable_columns(
    order_id="bigint",
    note="text",
    author="text",
    customer_note="bool",
    date_created_gmt="timestamp",
    date_created="text",
)

REFUND_COLUMNS = nullable_columns(
    order_id="bigint",
    amount="decimal",
    reason="text",
    refunded_by="bigint",
    refunded_payment="bool",
    date_created_gmt="timestamp",
    date_created="text",
)
