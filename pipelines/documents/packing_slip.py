"""The packing slip of one order: where it goes and what is in the parcel."""

from __future__ import annotations

from datetime import datetime

from pipelines.actions.pick_batches import PickOrder
from pipelines.documents.pdf_page import heading, label_line, new_document, table, to_bytes

HEADINGS = ["SKU", "Qty", "Location"]
WIDTHS = [100, 30, 50]


def render_packing_slip(order: PickOrder, batch_reference: str, at: datetime) -> bytes:
    """One PDF for the packer to put in the parcel."""
    pdf = new_document(f"Packing slip {order.order_reference}", at)
    heading(pdf, f"Packing slip - order {order.order_reference}")
    if order.placed_at is not None:
        label_line(pdf, f"Ordered: {order.placed_at:%Y-%m-%d}")
    label_line(pdf, f"Service: {order.service_code or '-'}    Batch: {batch_reference}")
    pdf.ln(3)
    label_line(pdf, "Ship to:", bold=True)
    address = order.ship_to
    for part in (address.name, address.address1, address.address2, address.city, address.postcode,
                 address.country_code):
        if part:
            label_line(pdf, part)
    rows = [[line.sku, line.quantity, line.bin_location] for line in order.lines]
    table(pdf, HEADINGS, rows, WIDTHS)
    return to_bytes(pdf)
