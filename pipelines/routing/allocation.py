"""Sequential stock allocation: which warehouse ships each line of each open order.

Orders are taken one at a time because each allocation uses up stock the next order can no
longer have, which is what SQL's set-at-a-time model expresses badly. The rules
(rules/priorities.yaml and rules/routing.yaml; every row records the routing version that
decided it):

1. Express services first (priorities' ``express_first``), then the order whose payment was
   secured earliest.
2. Prefer one warehouse that can ship the whole order; among those, one whose cut-off for
   the order's service is still ahead today (``prefer_cutoff_ahead``), then the
   warehouse's routing priority.
3. Split across warehouses only when no single warehouse can ship the whole order; each
   line then goes to the best warehouse (same preference) that has it.
4. A line no warehouse has enough of is backordered (no warehouse; its reason says what is
   missing), and the order waits for stock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import polars as pl

from orderloop.rule_sets import PriorityRules, RoutingRules

ROUTE_SCHEMA = {
    "order_id": pl.Utf8,
    "line_id": pl.Utf8,
    "sku": pl.Utf8,
    "quantity": pl.Int64,
    "warehouse_id": pl.Utf8,
    "home_warehouse_id": pl.Utf8,
    "decision": pl.Utf8,
    "reason": pl.Utf8,
    "rule_version": pl.Utf8,
}


@dataclass(frozen=True)
class WarehouseChoice:
    """How attractive a warehouse is for one service: lower sorts first."""

    warehouse_id: str
    cutoff_ahead: bool
    priority: int

    def rank(self, prefer_cutoff_ahead: bool = True) -> tuple[bool, int, str]:
        return (prefer_cutoff_ahead and not self.cutoff_ahead, self.priority, self.warehouse_id)

    def why(self) -> str:
        timing = "cut-off still ahead today" if self.cutoff_ahead else "ships with the next working day"
        return f"{self.warehouse_id} ({timing}, priority {self.priority})"


def route_orders(
    orders: pl.DataFrame,
    lines: pl.DataFrame,
    stock: pl.DataFrame,
    windows: pl.DataFrame,
    rules: RoutingRules,
    priorities: PriorityRules,
) -> pl.DataFrame:
    """One routing row per order line, under ``rules``, orders taken in ``priorities``' order.

    orders: order_id, service_code, is_express, payment_secured_at
    lines: order_id, line_id, sku, quantity
    stock: warehouse_id, sku, on_hand
    windows: warehouse_id, service_code, cutoff_ahead, routing_priority
    """
    available: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in stock.iter_rows(named=True):
        available[row["warehouse_id"]][row["sku"]] += int(row["on_hand"] or 0)
    choices: dict[str, list[WarehouseChoice]] = defaultdict(list)
    for row in windows.iter_rows(named=True):
        choices[row["service_code"]].append(
            WarehouseChoice(row["warehouse_id"], bool(row["cutoff_ahead"]), int(row["routing_priority"]))
        )
    all_warehouses = sorted({w.warehouse_id for ws in choices.values() for w in ws})
    lines_by_order: dict[str, list[dict]] = defaultdict(list)
    for line in lines.sort("line_id").iter_rows(named=True):
        lines_by_order[line["order_id"]].append(line)

    if priorities.express_first:
        order_by = ["is_express", "payment_secured_at", "order_id"]
        queue = orders.sort(order_by, descending=[True, False, False])
    else:
        queue = orders.sort(["payment_secured_at", "order_id"])
    routes: list[dict] = []
    for order in queue.iter_rows(named=True):
        order_lines = lines_by_order.get(order["order_id"], [])
        if not order_lines:
            continue
        ranked = sorted(
            choices.get(order["service_code"])
            or [WarehouseChoice(w, False, 99) for w in all_warehouses],
            key=lambda choice: choice.rank(rules.prefer_cutoff_ahead),
        )
        routes.extend(_route_one(order_lines, ranked, available, rules.version))
    return pl.DataFrame(routes, schema=ROUTE_SCHEMA)


def _needs(order_lines: list[dict]) -> dict[str, int]:
    needed: dict[str, int] = defaultdict(int)
    for line in order_lines:
        if line["sku"]:
            needed[line["sku"]] += int(line["quantity"] or 0)
    return needed


def _route_one(
    order_lines: list[dict],
    ranked: list[WarehouseChoice],
    available: dict[str, dict[str, int]],
    version: str,
) -> list[dict]:
    needed = _needs(order_lines)
    whole = next(
        (w for w in ranked if all(available[w.warehouse_id][sku] >= qty for sku, qty in needed.items())), None
    )
    if whole is not None:
        for sku, qty in needed.items():
            available[whole.warehouse_id][sku] -= qty
        reason = f"whole order from {whole.why()}"
        decision = "single_warehouse"
        return [_row(line, whole.warehouse_id, decision, reason, ranked, version) for line in order_lines]

    rows = []
    for line in order_lines:
        sku, qty = line["sku"], int(line["quantity"] or 0)
        if not sku:
            rows.append(_row(line, None, "backordered", "the line has no SKU to allocate", ranked, version))
            continue
        chosen = next((w for w in ranked if available[w.warehouse_id][sku] >= qty), None)
        if chosen is None:
            have = ", ".join(f"{w.warehouse_id} {available[w.warehouse_id][sku]}" for w in ranked)
            reason = f"needs {qty} of {sku}; in stock: {have}"
            rows.append(_row(line, None, "backordered", reason, ranked, version))
            continue
        available[chosen.warehouse_id][sku] -= qty
        reason = f"no warehouse has the whole order; line from {chosen.why()}"
        rows.append(_row(line, chosen.warehouse_id, "split", reason, ranked, version))
    # Lines that all came from one warehouse (the rest backordered) are not a split shipment.
    if len({r["warehouse_id"] for r in rows if r["warehouse_id"]}) == 1:
        for r in rows:
            if r["decision"] == "split":
                r["decision"] = "single_warehouse"
    return rows


def _row(
    line: dict,
    warehouse_id: str | None,
    decision: str,
    reason: str,
    ranked: list[WarehouseChoice],
    version: str,
) -> dict:
    """home_warehouse_id is the order's first choice: where a backordered line is awaited."""
    return {
        "order_id": line["order_id"],
        "line_id": str(line["line_id"]),
        "sku": line["sku"],
        "quantity": int(line["quantity"] or 0),
        "warehouse_id": warehouse_id,
        "home_warehouse_id": ranked[0].warehouse_id if ranked else None,
        "decision": decision,
        "reason": reason,
        "rule_version": version,
    }
