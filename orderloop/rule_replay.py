"""``orderloop rules dry-run``: replay recent decisions under a candidate rule set and report
what would change, without acting.

It reads the built warehouse read-only and decides everything twice, once under the current
rules and once under the candidate, each decision under the version in force at the
decision's time (so a candidate version whose effective date is later than a decision
changes nothing about it):

- routing: the open orders, re-planned now against the stock on hand with the allocation
  function (priorities, routing, cut-offs);
- label booking: the orders of the label queue placed in the window, at the time their label
  was booked (the ledger) or now if it was not, with the booking functions (holds, labels) on
  the queue's rows, which carry every fact a hold reads (contact checks, stock, the payment's
  fraud risk score and open review), so a candidate ``max_fraud_score`` replays like any hold;
- exceptions: the exceptions opened in the window, at their opening time (owners and holds);
- stock: what each channel may publish now (safety stock, channel allocation).

DuckDB-specific: it opens the warehouse file with the duckdb driver, read-only.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from orderloop.rule_sets import (
    ChannelAllocationRules,
    CutoffRules,
    ExceptionOwnerRules,
    HoldRules,
    LabelRules,
    PriorityRules,
    RoutingRules,
    RuleError,
    RuleSet,
    RuleVersion,
    SafetyStockRules,
    load_rule_set,
)
from pipelines.actions.label_booking import hold_reason, service_for
from pipelines.routing.allocation import route_orders
from pipelines.routing.inputs import RoutingInputs, cutoff_windows, read_routing_inputs

EXAMPLES = 5
RuleSets = dict[str, RuleSet]


def candidate_rule_sets(candidate: Path, current: RuleSets) -> RuleSets:
    """The current rule sets with those the candidate (a rules file or a folder of them) replaces."""
    candidate = Path(candidate)
    if candidate.is_dir():
        paths = sorted(candidate.glob("*.yaml"))
        if not paths:
            raise RuleError(f"{candidate}: no rules files (*.yaml) in the folder")
    elif candidate.is_file():
        paths = [candidate]
    else:
        raise RuleError(f"{candidate}: no such rules file or folder")
    replaced: dict[str, RuleSet] = {}
    for path in paths:
        rule_set = load_rule_set(path)
        if rule_set.rule_set in replaced:
            raise RuleError(f"{path}: rule set {rule_set.rule_set!r} is in another candidate file too")
        replaced[rule_set.rule_set] = rule_set
    return {**current, **replaced}


def _in_force(rule_sets: RuleSets, name: str, at: datetime) -> RuleVersion:
    return rule_sets[name].in_force(at)


@dataclass(frozen=True)
class Change:
    """One decision that differs: the order (or SKU) and what each rule set decides."""

    reference: str
    current: str
    candidate: str


@dataclass
class ReplayReport:
    """What would change, by kind of change, with how many decisions were replayed."""

    days: int
    since: datetime
    as_of: datetime
    replayed: Counter = field(default_factory=Counter)
    changes: dict[str, list[Change]] = field(default_factory=lambda: defaultdict(list))

    def count(self, kind: str) -> int:
        return len(self.changes.get(kind, []))

    def format(self) -> str:
        lines = [
            f"Dry run over the last {self.days} days of data (since {self.since:%Y-%m-%d %H:%M} UTC,"
            f" data as of {self.as_of:%Y-%m-%d %H:%M} UTC). Nothing was changed.",
            "Replayed: " + ", ".join(f"{n} {what}" for what, n in self.replayed.items()) + ".",
            "",
        ]
        for kind in CHANGE_KINDS:
            items = self.changes.get(kind, [])
            lines.append(f"{kind}: {len(items)}")
            for change in items[:EXAMPLES]:
                lines.append(f"  {change.reference}: {change.current} -> {change.candidate}")
            if len(items) > EXAMPLES:
                lines.append(f"  ... and {len(items) - EXAMPLES} more")
        if not any(self.changes.values()):
            lines += ["", "The candidate changes no decision in this window."]
        return "\n".join(lines)


ROUTED_DIFFERENTLY = "orders routed differently"
HOLDS_RAISED = "label holds raised (labels booked later)"
HOLDS_CLEARED = "label holds cleared (labels booked earlier)"
HOLD_REASON_CHANGED = "label holds for another reason"
SERVICE_CHANGED = "labels booked with another service"
EXCEPTION_HOLDS_RAISED = "exception holds raised (fulfilment held)"
EXCEPTION_HOLDS_CLEARED = "exception holds cleared (fulfilment no longer held)"
OWNERS_CHANGED = "exception owners changed"
PUBLISHED_STOCK_CHANGED = "published stock changed (SKU and channel)"
CHANGE_KINDS = (
    ROUTED_DIFFERENTLY, HOLDS_RAISED, HOLDS_CLEARED, HOLD_REASON_CHANGED, SERVICE_CHANGED,
    EXCEPTION_HOLDS_RAISED, EXCEPTION_HOLDS_CLEARED, OWNERS_CHANGED, PUBLISHED_STOCK_CHANGED,
)


def _table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0] > 0


def _routing_plan(
    conn: duckdb.DuckDBPyConnection, inputs: RoutingInputs, rule_sets: RuleSets, now: datetime
) -> dict[str, tuple]:
    routing = _in_force(rule_sets, "routing", now)
    priorities = _in_force(rule_sets, "priorities", now)
    cutoffs = _in_force(rule_sets, "cutoffs", now)
    assert isinstance(routing, RoutingRules) and isinstance(priorities, PriorityRules)
    assert isinstance(cutoffs, CutoffRules)
    windows = cutoff_windows(conn, inputs.as_of, cutoffs)
    routes = route_orders(inputs.orders, inputs.lines, inputs.stock, windows, routing, priorities)
    plan: dict[str, list] = defaultdict(list)
    for row in routes.sort("line_id").iter_rows(named=True):
        plan[row["order_id"]].append(f"{row['sku']} {row['warehouse_id'] or 'backordered'}")
    return {order_id: tuple(lines) for order_id, lines in plan.items()}


def _replay_routing(
    conn: duckdb.DuckDBPyConnection, inputs: RoutingInputs, report: ReplayReport, current: RuleSets,
    candidate: RuleSets, now: datetime, names: dict[str, str],
) -> None:
    before = _routing_plan(conn, inputs, current, now)
    after = _routing_plan(conn, inputs, candidate, now)
    recent = inputs.orders.filter(
        pl.col("payment_secured_at").is_null() | (pl.col("payment_secured_at") >= report.since)
    )["order_id"].to_list()
    report.replayed["open orders routed"] = len(recent)
    for order_id in sorted(recent, key=lambda o: names.get(o, o)):
        if before.get(order_id) != after.get(order_id):
            report.changes[ROUTED_DIFFERENTLY].append(
                Change(names.get(order_id, order_id), "; ".join(before.get(order_id, ())),
                       "; ".join(after.get(order_id, ())))
            )


def _label_decision(row: dict, rule_sets: RuleSets, at: datetime) -> tuple[str, str | None]:
    """('held', reason) or ('book', service) under the rules in force at ``at``."""
    labels, holds = _in_force(rule_sets, "labels", at), _in_force(rule_sets, "holds", at)
    assert isinstance(labels, LabelRules) and isinstance(holds, HoldRules)
    held = hold_reason(row, labels, holds)
    return ("held", held) if held else ("book", service_for(row, labels))


def _describe(decision: tuple[str, str | None]) -> str:
    return f"held ({decision[1]})" if decision[0] == "held" else f"book {decision[1]}"


def _replay_labels(
    conn: duckdb.DuckDBPyConnection, report: ReplayReport, current: RuleSets, candidate: RuleSets,
    now: datetime,
) -> None:
    booked_at: dict[str, datetime] = {}
    if _table_exists(conn, "actions", "label_bookings"):
        booked_at = dict(conn.execute(
            "select order_id, min(attempted_at) from actions.label_bookings group by order_id"
        ).fetchall())
    cursor = conn.execute(
        "select * from marts.label_booking_queue where placed_at >= ? order by order_reference",
        [report.since],
    )
    columns = [c[0] for c in cursor.description]
    rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    report.replayed["label decisions"] = len(rows)
    for row in rows:
        # The moment orderloop decided: when it booked (ledger, UTC), else now.
        at = booked_at.get(row["order_id"]) or now
        before, after = _label_decision(row, current, at), _label_decision(row, candidate, at)
        if before == after:
            continue
        if before[0] == "held" and after[0] == "book":
            kind = HOLDS_CLEARED
        elif before[0] == "book" and after[0] == "held":
            kind = HOLDS_RAISED
        elif before[0] == "held":
            kind = HOLD_REASON_CHANGED
        else:
            kind = SERVICE_CHANGED
        report.changes[kind].append(Change(row["order_reference"], _describe(before), _describe(after)))


def _replay_exceptions(
    conn: duckdb.DuckDBPyConnection, report: ReplayReport, current: RuleSets, candidate: RuleSets
) -> None:
    rows = conn.execute(
        """
        select coalesce(orders.order_name, exceptions.order_id), exceptions.reason, exceptions.opened_at
        from marts.fct_exceptions as exceptions
        left join marts.fct_orders as orders on orders.order_id = exceptions.order_id
        where exceptions.opened_at >= ?
        order by exceptions.opened_at, exceptions.exception_id
        """,
        [report.since],
    ).fetchall()
    report.replayed["exceptions"] = len(rows)
    for reference, reason, opened_at in rows:
        before = _in_force(current, "exception_owners", opened_at)
        after = _in_force(candidate, "exception_owners", opened_at)
        assert isinstance(before, ExceptionOwnerRules) and isinstance(after, ExceptionOwnerRules)
        was, will = before.reasons.get(reason), after.reasons.get(reason)
        label = f"{reference} {reason}"
        if was is None or will is None:
            if was != will:
                report.changes[OWNERS_CHANGED].append(
                    Change(label, was.owner if was else "no rule", will.owner if will else "no rule")
                )
            continue
        if was.owner != will.owner:
            report.changes[OWNERS_CHANGED].append(Change(label, was.owner, will.owner))
        if was.holds_fulfilment != will.holds_fulfilment:
            kind = EXCEPTION_HOLDS_RAISED if will.holds_fulfilment else EXCEPTION_HOLDS_CLEARED
            report.changes[kind].append(
                Change(label, "holds" if was.holds_fulfilment else "does not hold",
                       "holds" if will.holds_fulfilment else "does not hold")
            )


def _published(positions: list[tuple], rule_sets: RuleSets, at: datetime) -> dict[tuple, int]:
    """What each channel may publish per SKU, as stock_to_publish computes it."""
    safety = _in_force(rule_sets, "safety_stock", at)
    allocation = _in_force(rule_sets, "channel_allocation", at)
    assert isinstance(safety, SafetyStockRules) and isinstance(allocation, ChannelAllocationRules)
    per_sku = {(s.warehouse_id, s.sku): s.units for s in safety.per_sku}
    published: dict[tuple, int] = defaultdict(int)
    for warehouse_id, sku, on_hand, reserved in positions:
        kept = per_sku.get((warehouse_id, sku), safety.default_units)
        available = max(on_hand - reserved - kept, 0)
        for channel, share in allocation.shares.items():
            published[(sku, channel)] += math.floor(available * share / 100)
    return published


def _replay_stock(
    conn: duckdb.DuckDBPyConnection, report: ReplayReport, current: RuleSets, candidate: RuleSets
) -> None:
    as_of = report.as_of
    positions = conn.execute(
        "select warehouse_id, sku, on_hand, reserved from marts.fct_stock_positions"
    ).fetchall()
    before, after = _published(positions, current, as_of), _published(positions, candidate, as_of)
    report.replayed["SKU and channel quantities"] = len(before.keys() | after.keys())
    for sku, channel in sorted(before.keys() | after.keys()):
        was, will = before.get((sku, channel), 0), after.get((sku, channel), 0)
        if was != will:
            report.changes[PUBLISHED_STOCK_CHANGED].append(Change(f"{sku} on {channel}", str(was), str(will)))


def replay(
    warehouse: Path,
    current: RuleSets,
    candidate: RuleSets,
    days: int = 7,
    now: datetime | None = None,
) -> ReplayReport:
    """Decide the last ``days`` of decisions under both rule sets; never writes anything."""
    if not Path(warehouse).exists():
        raise FileNotFoundError(f"{warehouse}: no warehouse yet; run `orderloop run` first")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        # The outside world's newest change (orders, stock counts), as routing plans at: not
        # orderloop's own actions, which happen at the wall clock's time.
        inputs = read_routing_inputs(conn)
        report = ReplayReport(days=days, since=inputs.as_of - timedelta(days=days), as_of=inputs.as_of)
        names = dict(
            conn.execute("select order_id, order_name from intermediate.int_orders_unioned").fetchall()
        )
        _replay_routing(conn, inputs, report, current, candidate, now, names)
        _replay_labels(conn, report, current, candidate, now)
        _replay_exceptions(conn, report, current, candidate)
        _replay_stock(conn, report, current, candidate)
    return report

