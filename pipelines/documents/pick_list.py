"""The pick list of a batch: every line to pick, in pick-path (bin location) order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pipelines.actions.pick_batches import PickOrder, pick_path
from pipelines.documents.pdf_page import heading, label_line, new_document, table, to_bytes

HEADINGS = ["Stop", "Location", "SKU", "Qty", "Order"]
WIDTHS = [15, 30, 65, 15, 45]


def render_pick_list(
    batch_reference: str, warehouse: str, orders: Sequence[PickOrder], at: datetime
) -> bytes:
    """One PDF for the picker: a row per order line, walking the locations once."""
    pdf = new_document(f"Pick list {batch_reference}", at)
    heading(pdf, f"Pick list {batch_reference}")
    label_line(pdf, f"Warehouse: {warehouse}")
    label_line(pdf, f"Released: {at:%Y-%m-%d %H:%M} UTC")
    units = sum(line.quantity for order in orders for line in order.lines)
    label_line(pdf, f"Orders: {len(orders)}    Units: {units}")
    rows = [
        [stop, line.bin_location, line.sku, line.quantity, order.order_reference]
        for stop, (line, order) in enumerate(pick_path(orders), start=1)
    ]
    table(pdf, HEADINGS, rows, WIDTHS)
    return to_bytes(pdf)
