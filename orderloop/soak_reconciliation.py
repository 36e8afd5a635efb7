"""The soak's verdict: the warehouse judged against the simulated world, the world's own records
being the witness (``sandbox.stats`` and the tables behind it).

Lost: an order the sandbox holds that is neither in ``fct_orders`` nor in a quarantine table with
its reason. Duplicated: an order id in ``fct_orders`` more than once; an effect in an outside system
that happened twice (a second Click & Drop booking for an order, a second Stripe refund of an order,
a second Postmark email for one ledger key, an order released to a 3PL twice) or that the action's
ledger does not know of (the trace a repeated call leaves). Nothing refused is silent: every
quarantined row is counted with its reason.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb


def _trailing_id(value: Any) -> str:
    """An order id as the sandbox numbers it, whatever form the warehouse keeps ("gid://.../123")."""
    found = re.search(r"(\d+)$", str(value))
    return found.group(1) if found else str(value)


def _world(sandbox_dir: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{Path(sandbox_dir) / 'world.sqlite'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _quarantine(wh: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Every quarantine table's rows, per table and reason, and the record ids they hold."""
    tables = wh.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_name like '%quarantine%' and table_schema not like '%staging%' order by 1, 2"
    ).fetchall()
    per_table: dict[str, Any] = {}
    ids: set[str] = set()
    for schema, table in tables:
        columns = {c[0] for c in wh.execute(f'describe "{schema}"."{table}"').fetchall()}
        if "reason" not in columns:
            continue
        reasons = dict(wh.execute(
            f'select reason, count(*) from "{schema}"."{table}" group by 1 order by 2 desc'
        ).fetchall())
        per_table[f"{schema}.{table}"] = {"rows": sum(reasons.values()), "by_reason": reasons}
        if "record_id" in columns:
            ids |= {_trailing_id(r[0]) for r in wh.execute(f'select record_id from "{schema}"."{table}"')}
    return {"rows": sum(t["rows"] for t in per_table.values()), "by_table": per_table, "record_ids": ids}


def _orders(
    world: sqlite3.Connection, wh: duckdb.DuckDBPyConnection, quarantined: set[str]
) -> dict[str, Any]:
    sandbox = {("shopify", str(r[0])) for r in world.execute("select id from orders")}
    sandbox |= {("woocommerce", str(r[0])) for r in world.execute("select id from woo_orders")}
    rows = wh.execute(
        "select channel, order_id from marts.fct_orders where channel in ('shopify', 'woocommerce')"
    ).fetchall()
    in_warehouse = Counter((channel, _trailing_id(order_id)) for channel, order_id in rows)
    missing = sorted(sandbox - set(in_warehouse))
    lost = [key for key in missing if key[1] not in quarantined]
    return {
        "in_sandbox": len(sandbox),
        "in_warehouse": len(in_warehouse),
        "quarantined": len(missing) - len(lost),
        "lost": len(lost),
        "lost_examples": [f"{c}:{i}" for c, i in lost[:10]],
        "duplicated_in_warehouse": sum(n - 1 for n in in_warehouse.values() if n > 1),
        "not_in_sandbox": len(set(in_warehouse) - sandbox),
    }


def _records(
    world: sqlite3.Connection, wh: duckdb.DuckDBPyConnection, quarantined: set[str]
) -> dict[str, Any]:
    """The other pulled records, each system's as it would list them now: every Stripe event of a
    type the connector asks for and every Zendesk ticket that exists, against the raw tables."""
    from datetime import timedelta

    from connectors.stripe import DEFAULT_EVENT_TYPES
    from sandbox.world import world_now
    from sandbox.zendesk_api import QUIET_SECONDS
    from sandbox.zendesk_tickets import state_at

    cutoff = world_now(world) - timedelta(seconds=QUIET_SECONDS)
    types = ", ".join("?" * len(DEFAULT_EVENT_TYPES))
    held = {
        "stripe_events": {str(r[0]) for r in world.execute(
            f"select id from stripe_events where type in ({types})", DEFAULT_EVENT_TYPES)},
        "zendesk_tickets": {str(r["id"]) for r in world.execute("select * from zendesk_tickets")
                            if state_at(r, cutoff) is not None},
    }
    raw = {"stripe_events": "raw_stripe.events", "zendesk_tickets": "raw_zendesk.tickets"}
    tallies = {}
    for name, table in raw.items():
        stored = Counter(str(r) for r in _ledger(wh, f"select id from {table}"))
        lost = sorted(held[name] - set(stored) - quarantined)
        tallies[name] = {"in_sandbox": len(held[name]), "in_warehouse": len(stored), "lost": len(lost),
                         "lost_examples": lost[:10],
                         "duplicated_in_warehouse": sum(n - 1 for n in stored.values() if n > 1)}
    return tallies


def _ledger(wh: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    try:
        return [r[0] for r in wh.execute(sql).fetchall()]
    except duckdb.CatalogException:  # an action that never ran has no ledger table yet
        return []


def _effects(
    world: sqlite3.Connection, wh: duckdb.DuckDBPyConnection, stats: dict[str, Any]
) -> dict[str, Any]:
    """Per action: effects in the outside system, what its ledger recorded, and the duplicates."""
    booking = stats["click_and_drop"]
    booked = _ledger(wh, "select order_id from actions.label_bookings where status = 'booked'")
    labels = {
        "effects": booking["bookings_accepted_api"],
        "ledger": len(booked),
        "duplicates": booking["duplicate_bookings"] + sum(n - 1 for n in Counter(booked).values() if n > 1),
        "unmatched": booking["unmatched_bookings"],
    }
    made = world.execute("select id, order_id from stripe_api_refunds")
    refunds_made = {r["id"]: r["order_id"] for r in made}
    refund_ids = set(_ledger(wh, "select refund_id from actions.refunds where refund_id is not null"))
    refunds = {
        "effects": len(refunds_made),
        "ledger": len(refund_ids),
        "duplicates": sum(n - 1 for n in Counter(refunds_made.values()).values() if n > 1),
        "unknown_to_ledger": len(set(refunds_made) - refund_ids),
    }
    sent: dict[str, str] = {}
    per_key: Counter[str] = Counter()
    for row in world.execute("select message_id, body_json from postmark_messages"):
        key = (json.loads(row["body_json"]).get("Metadata") or {}).get("orderloop_key", row["message_id"])
        per_key[key] += 1
        sent[row["message_id"]] = key
    message_ids = set(
        _ledger(wh, "select message_id from actions.notifications where message_id is not null")
    )
    emails = {
        "effects": len(sent),
        "ledger": len(message_ids),
        "duplicates": sum(n - 1 for n in per_key.values() if n > 1),
        "unknown_to_ledger": len(set(sent) - message_ids),
    }
    channel = stats["channel_stock"]
    done = Counter(_ledger(wh, "select channel from actions.stock_pushes where status = 'done'"))
    # A push Shopify refused as stale (compare quantity) changed nothing: not an effect (it is
    # reported apart). A WooCommerce stock update is a PUT of a quantity, which the client may
    # repeat when its answer was lost: the same quantity set again at the same moment is one
    # effect, repeated harmlessly.
    woo_sets = world.execute(
        "select count(*), count(distinct product_id || ':' || coalesce(stock_quantity, -1) || ':' || at)"
        " from woo_stock_updates"
    ).fetchone()
    applied = {"shopify": channel["shopify"]["pushes"], "woocommerce": woo_sets[1]}
    stock = {
        "effects": sum(applied.values()),
        "ledger": sum(done.values()),
        "per_channel": {name: {"effects": n, "ledger": done[name]} for name, n in applied.items()},
        "unknown_to_ledger": sum(max(0, n - done[name]) for name, n in applied.items()),
        "idempotent_repeats": woo_sets[0] - woo_sets[1],
        "refused_as_stale": channel["shopify"]["stale_rejections"],
    }
    released = _ledger(wh, "select order_id from actions.pick_task_ledger where status = 'released'")
    picks = stats["pick_tasks"]
    pick_tasks = {
        "effects": picks["orders_released"],
        "ledger": len(set(released)),
        "duplicates": sum(n - 1 for n in Counter(released).values() if n > 1)
        + picks["idempotency_mismatches"],
        "unknown_to_ledger": max(0, picks["orders_released"] - len(set(released))),
        "duplicates_the_3pl_ignored": picks["duplicate_orders_ignored"],
    }
    effects = {"labels": labels, "refunds": refunds, "emails": emails, "stock_pushes": stock,
               "pick_tasks": pick_tasks}
    ledgers = {"labels": "label_bookings", "refunds": "refunds", "emails": "notifications",
               "stock_pushes": "stock_pushes", "pick_tasks": "pick_task_ledger"}
    for action, table in ledgers.items():  # what is left pending or failed, and why it may be
        statuses = f"select status || ': ' || count(*) from actions.{table} group by status order by 1"
        effects[action]["ledger_statuses"] = _ledger(wh, statuses)
    return effects


def reconcile(sandbox_dir: Path, warehouse: Path) -> dict[str, Any]:
    """The reconciliation report, with ``problems``: each loss or duplicate found, in words."""
    from sandbox.stats import orders_missing_booking, world_stats

    stats = world_stats(sandbox_dir)
    missing_booking = orders_missing_booking(sandbox_dir)
    with duckdb.connect(str(warehouse), read_only=True) as wh, _world(sandbox_dir) as world:
        quarantine = _quarantine(wh)
        quarantined_ids = quarantine.pop("record_ids")
        orders = _orders(world, wh, quarantined_ids)
        records = _records(world, wh, quarantined_ids)
        effects = _effects(world, wh, stats)
        held = set(_ledger(wh, "select order_name from marts.fct_orders where order_name is not null"
                               " and order_id not in (select order_id from actions.label_bookings)"))
    problems = []
    if orders["lost"]:
        problems.append(f"{orders['lost']} sandbox orders are neither in the warehouse nor quarantined"
                        f" (e.g. {', '.join(orders['lost_examples'])})")
    if orders["duplicated_in_warehouse"]:
        problems.append(f"{orders['duplicated_in_warehouse']} orders are in fct_orders more than once")
    for name, tally in records.items():
        if tally["lost"]:
            problems.append(f"{tally['lost']} {name.replace('_', ' ')} are neither in the warehouse nor"
                            f" quarantined (e.g. {', '.join(tally['lost_examples'])})")
        if tally["duplicated_in_warehouse"]:
            problems.append(f"{tally['duplicated_in_warehouse']} {name.replace('_', ' ')} stored twice")
    for action, tally in effects.items():
        for what in ("duplicates", "unknown_to_ledger", "unmatched"):
            if tally.get(what):
                problems.append(f"{action}: {tally[what]} {what.replace('_', ' ')}")
    return {
        "orders": orders,
        "records": records,
        "effects": effects,
        "duplicate_effects": sum(
            t.get("duplicates", 0) + t.get("unknown_to_ledger", 0) for t in effects.values()
        ),
        "orders_missing_booking": len(missing_booking),
        "orders_missing_booking_never_attempted": sorted(set(missing_booking) & held)[:20],
        "orders_missing_booking_examples": missing_booking[:20],
        "quarantine": quarantine,
        "world": {"shopify_orders": stats["shopify"]["orders_total"],
                  "woocommerce_orders": stats["woocommerce"]["orders_total"],
                  "stripe_events": stats["stripe"]["events_total"],
                  "zendesk_tickets": stats["zendesk"]["tickets_total"],
                  "tracker_events": stats["easypost"]["events_total"],
                  "warehouse_feed_rows": stats["warehouses"]["rows_written"],
                  "malformed_feed_rows": stats["warehouses"]["malformed_rows_written"]},
        "problems": problems,
    }


def format_reconciliation(run: dict[str, Any]) -> str:
    """The report as a person reads it at the end of the soak."""
    rec, faults, passes = run["reconciliation"], run["faults"], run["passes"]
    orders = rec["orders"]
    kinds = ", ".join(f"{kind} {n}" for kind, n in faults["by_kind"].items())
    lines = [
        "",
        f"Reconciliation after {passes['total']} passes ({passes['failed']} failed),"
        f" {run['wall_seconds']:.0f} s:",
        f"  orders: {orders['in_sandbox']} in the sandbox, {orders['in_warehouse']} in fct_orders,"
        f" {orders['quarantined']} quarantined, lost {orders['lost']},"
        f" duplicated {orders['duplicated_in_warehouse']}",
        *(f"  {name.replace('_', ' ')}: {t['in_sandbox']} in the sandbox, {t['in_warehouse']} in the"
          f" warehouse, lost {t['lost']}, duplicated {t['duplicated_in_warehouse']}"
          for name, t in rec.get("records", {}).items()),
        f"  faults injected: {faults['injected']} ({kinds}); retried: {faults['retried']}",
        f"  quarantined rows: {rec['quarantine']['rows']}",
    ]
    for action, tally in rec["effects"].items():
        lines.append(f"  {action}: {tally['effects']} in the outside system, {tally['ledger']} in the ledger,"
                     f" duplicates {tally.get('duplicates', 0)}, unknown to the ledger"
                     f" {tally.get('unknown_to_ledger', 0)}")
    lines.append(f"  orders paid and unsent without a booking: {rec['orders_missing_booking']}")
    lines.append(f"  duplicate effects: {rec['duplicate_effects']}; lost orders: {orders['lost']}")
    return "\n".join(lines)
