"""Turning ``pick_task_queue`` rows into orders to release, batched per warehouse in pick-path order.

Pick-path order is the order of bin locations: each site numbers its locations along the route a
picker walks (Leeds ``A01`` to ``E08``, Bristol ``BR-001`` up), so sorting by location is walking the
aisles once. An order whose rows cannot make a usable task (no bin location, no address to print)
is set aside with the reason, not sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# A batch is what one picker's trolley run can take; more orders than this go in further batches.
MAX_ORDERS_PER_BATCH = 40


@dataclass(frozen=True)
class PickLine:
    line_id: str
    sku: str
    quantity: int
    bin_location: str


@dataclass(frozen=True)
class ShipTo:
    name: str
    address1: str
    address2: str | None
    city: str
    postcode: str
    country_code: str


@dataclass(frozen=True)
class PickOrder:
    """One order as released to one warehouse: its lines in pick-path order and where it goes."""

    order_id: str
    order_reference: str
    channel: str
    placed_at: datetime | None
    service_code: str | None
    warehouse_id: str
    routing_rule_version: str | None
    ship_to: ShipTo
    lines: tuple[PickLine, ...]

    @property
    def lines_fingerprint(self) -> str:
        """What is picked, so a changed order (a line added or removed) is a new task."""
        content = "|".join(f"{line.sku}x{line.quantity}" for line in sorted(self.lines, key=lambda x: x.sku))
        return hashlib.sha256(content.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SetAside:
    order_reference: str
    reason: str


def _problem(rows: list[Mapping[str, Any]]) -> str | None:
    first = rows[0]
    if not (first.get("ship_to_name") and first.get("ship_to_address1") and first.get("ship_to_postcode")):
        return "no complete delivery address for the packing slip"
    for row in rows:
        if not row.get("bin_location"):
            return f"{row['sku']} has no bin location at {row['warehouse_id']} (never counted there)"
        if int(row.get("quantity") or 0) < 1:
            return f"line {row['line_id']} ({row['sku']}) has quantity {row.get('quantity')}"
    if len({row["warehouse_id"] for row in rows}) != 1:
        return "its lines are routed to more than one warehouse"
    return None


def orders_from_queue(queue: Iterable[Mapping[str, Any]]) -> tuple[list[PickOrder], list[SetAside]]:
    """Group queue rows into orders (lines in pick-path order); bad ones set aside with the reason."""
    by_order: dict[str, list[Mapping[str, Any]]] = {}
    for row in queue:
        by_order.setdefault(str(row["order_id"]), []).append(row)
    orders, aside = [], []
    for order_id, rows in by_order.items():
        first = rows[0]
        problem = _problem(rows)
        if problem is not None:
            aside.append(SetAside(str(first["order_reference"]), problem))
            continue
        lines = tuple(
            sorted(
                (PickLine(str(r["line_id"]), r["sku"], int(r["quantity"]), r["bin_location"]) for r in rows),
                key=lambda line: (line.bin_location, line.sku, line.line_id),
            )
        )
        orders.append(
            PickOrder(
                order_id=order_id,
                order_reference=str(first["order_reference"]),
                channel=first.get("channel") or "",
                placed_at=first.get("placed_at"),
                service_code=first.get("service_code"),
                warehouse_id=first["warehouse_id"],
                routing_rule_version=first.get("routing_rule_version"),
                ship_to=ShipTo(
                    first["ship_to_name"],
                    first["ship_to_address1"],
                    first.get("ship_to_address2"),
                    first.get("ship_to_city") or "",
                    first["ship_to_postcode"],
                    first.get("ship_to_country_code") or "",
                ),
                lines=lines,
            )
        )
    return orders, aside


def batches_by_warehouse(orders: Iterable[PickOrder]) -> list[tuple[str, list[PickOrder]]]:
    """(warehouse, orders) batches: per warehouse, orders by their first bin, then reference."""
    per_site: dict[str, list[PickOrder]] = {}
    for order in orders:
        per_site.setdefault(order.warehouse_id, []).append(order)
    batches = []
    for warehouse in sorted(per_site):
        ordered = sorted(per_site[warehouse], key=lambda o: (o.lines[0].bin_location, o.order_reference))
        for start in range(0, len(ordered), MAX_ORDERS_PER_BATCH):
            batches.append((warehouse, ordered[start : start + MAX_ORDERS_PER_BATCH]))
    return batches


def pick_path(orders: Iterable[PickOrder]) -> list[tuple[PickLine, PickOrder]]:
    """Every line of a batch in the order a picker walks them."""
    stops = [(line, order) for order in orders for line in order.lines]
    return sorted(stops, key=lambda stop: (stop[0].bin_location, stop[0].sku, stop[1].order_reference))
