"""Ground-truth counters for judging a pipeline run against the world."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from sandbox.faults import MALFORMED_SYSTEMS
from sandbox.order_lookup import SHOPIFY, WOOCOMMERCE, match_reference, order_key
from sandbox.pick_tasks_api import pick_task_stats
from sandbox.shopify_fulfillment_orders import SPLIT_ABOVE_LINES, count_by_status
from sandbox.shopify_refunds import effective_orders
from sandbox.timeutil import to_iso
from sandbox.world import opened, upgrade_world, world_now
from sandbox.zendesk_tickets import state_at


def _bookings_per_order(conn: sqlite3.Connection) -> tuple[Counter[str], int]:
    """Accepted bookings per order of either channel (its `order_lookup` key), as the
    warehouses match them, and how many match no order."""
    per_order: Counter[str] = Counter()
    unmatched = 0
    for row in conn.execute("SELECT order_reference FROM bookings"):
        key = match_reference(conn, row["order_reference"])
        if key is not None:
            per_order[key] += 1
        else:
            unmatched += 1
    return per_order, unmatched


def _zendesk(conn: sqlite3.Connection) -> dict[str, Any]:
    now = world_now(conn)
    reasons: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for row in conn.execute("SELECT * FROM zendesk_tickets ORDER BY id"):
        state = state_at(row, now)
        if state is not None:
            reasons[row["reason"]] += 1
            statuses[state[0]] += 1
    return {
        "tickets_total": sum(reasons.values()),
        "tickets_by_reason": dict(sorted(reasons.items())),
        "tickets_by_status": dict(sorted(statuses.items())),
    }


def _easypost(conn: sqlite3.Connection) -> dict[str, Any]:
    limit = to_iso(world_now(conn))
    due = conn.execute(
        "SELECT COUNT(*) AS total, COALESCE(SUM(delivered), 0) AS delivered FROM tracker_events"
        " WHERE at <= ?",
        (limit,),
    ).fetchone()
    latest = conn.execute(
        "SELECT e.status AS status, COUNT(*) AS n FROM tracker_events e JOIN ("
        " SELECT tracker_id, MAX(step) AS step FROM tracker_events WHERE at <= ? GROUP BY tracker_id"
        ") last ON last.tracker_id = e.tracker_id AND last.step = e.step GROUP BY e.status ORDER BY e.status",
        (limit,),
    )
    return {
        "trackers_total": int(conn.execute("SELECT COUNT(*) FROM trackers").fetchone()[0]),
        "events_total": int(due["total"]),
        "events_delivered": int(due["delivered"]),
        "events_pending": int(due["total"]) - int(due["delivered"]),
        "trackers_by_status": {r["status"]: r["n"] for r in latest},
    }


def _warehouses(conn: sqlite3.Connection) -> dict[str, int]:
    def rows(feed: str) -> int:
        return int(
            conn.execute("SELECT COALESCE(SUM(rows), 0) FROM feed_files WHERE feed = ?", (feed,)).fetchone()[
                0
            ]
        )

    totals = conn.execute(
        "SELECT COUNT(*) AS files, COALESCE(SUM(rows), 0) AS rows, COALESCE(SUM(malformed), 0) AS bad"
        " FROM feed_files"
    ).fetchone()
    return {
        "files_written": int(totals["files"]),
        "rows_written": int(totals["rows"]),
        "malformed_rows_written": int(totals["bad"]),
        "stock_rows": rows("stock"),
        "fulfilment_rows": rows("fulfilment"),
        "returns_rows": rows("returns"),
    }


def _channel_stock(conn: sqlite3.Connection) -> dict[str, Any]:
    """What the automation published to the sales channels: pushes and the quantities standing."""
    available: dict[str, dict[str, int]] = {}
    for row in conn.execute(
        "SELECT sku, location, available FROM shopify_inventory_levels ORDER BY sku, location"
    ):
        available.setdefault(row["sku"], {})[row["location"]] = int(row["available"])
    outcomes = {
        r["outcome"]: int(r["n"])
        for r in conn.execute("SELECT outcome, COUNT(*) AS n FROM shopify_inventory_pushes GROUP BY outcome")
    }
    updates = conn.execute("SELECT DISTINCT product_id, sku FROM woo_stock_updates")
    skus = {r["product_id"]: r["sku"] for r in updates}
    published = {
        skus.get(r["product_id"]) or f"product-{r['product_id']}": r["stock_quantity"]
        for r in conn.execute("SELECT product_id, stock_quantity FROM woo_product_stock")
    }
    return {
        "shopify": {
            "pushes": outcomes.get("applied", 0),
            "stale_rejections": outcomes.get("COMPARE_QUANTITY_STALE", 0),
            "adjustment_groups": int(
                conn.execute("SELECT COUNT(*) FROM shopify_inventory_groups").fetchone()[0]
            ),
            "available": available,
        },
        "woocommerce": {
            "pushes": int(conn.execute("SELECT COUNT(*) FROM woo_stock_updates").fetchone()[0]),
            "stock_quantity": dict(sorted(published.items())),
        },
    }


def _stripe_refunds(conn: sqlite3.Connection) -> dict[str, int]:
    """Refunds made through the Stripe API, and what the idempotency layer did."""
    made = conn.execute(
        "SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS pence FROM stripe_api_refunds"
    ).fetchone()
    outcomes = {
        r["outcome"]: int(r["n"])
        for r in conn.execute("SELECT outcome, COUNT(*) AS n FROM stripe_idempotency_log GROUP BY outcome")
    }
    return {
        "refunds_created": int(made["n"]),
        "amount_refunded": int(made["pence"]),
        "idempotent_replays": outcomes.get("replay", 0),
        "idempotency_mismatches": outcomes.get("mismatch", 0),
    }


def _postmark(conn: sqlite3.Connection) -> dict[str, Any]:
    """Transactional email accepted by Postmark, per Tag ("" for untagged)."""
    tags = {
        r["tag"] or "": int(r["n"])
        for r in conn.execute("SELECT tag, COUNT(*) AS n FROM postmark_messages GROUP BY tag ORDER BY tag")
    }
    return {"emails_sent": sum(tags.values()), "emails_by_tag": dict(sorted(tags.items()))}


def _faults(conn: sqlite3.Connection) -> dict[str, Any]:
    served = dict.fromkeys(MALFORMED_SYSTEMS, 0)
    for row in conn.execute("SELECT system, COUNT(*) AS n FROM malformed_served GROUP BY system"):
        served[row["system"]] = int(row["n"])
    return {"malformed_served": served}


def world_stats(data_dir: Path) -> dict[str, Any]:
    """Counts for the Shopify, Click & Drop, WooCommerce and Stripe sides of the world, for the
    helpdesk (Zendesk), the carrier's trackers (EasyPost) and the warehouses' file feeds, the
    malformed records running servers handed out (distinct records per system), and what the
    automation did through the APIs: stock published to the channels, Stripe refunds, email sent,
    pick tasks released to the 3PL."""
    upgrade_world(Path(data_dir))  # a world from before the newer systems reports them empty
    with opened(Path(data_dir)) as conn:

        def scalar(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        def grouped(column: str, table: str = "orders") -> dict[str, int]:
            rows = conn.execute(
                f"SELECT {column} AS k, COUNT(*) AS n FROM {table} GROUP BY {column} ORDER BY {column}"
            )
            return {r["k"]: r["n"] for r in rows}

        per_order, unmatched = _bookings_per_order(conn)
        served = effective_orders(conn)  # financial status as served, refunds included
        line_counts = {
            int(r["order_id"]): int(r["n"])
            for r in conn.execute("SELECT order_id, COUNT(*) AS n FROM line_items GROUP BY order_id")
        }
        by_fulfillment_order = count_by_status(served, line_counts)
        return {
            "clock": {"now": to_iso(world_now(conn))},
            "shopify": {
                "orders_total": scalar("SELECT COUNT(*) FROM orders"),
                "orders_by_financial_status": dict(
                    sorted(Counter(o["financial_status"] for o in served).items())
                ),
                "orders_by_fulfillment_status": grouped("fulfillment_status"),
                "orders_cancelled": scalar("SELECT COUNT(*) FROM orders WHERE cancelled_at IS NOT NULL"),
                "orders_paid_open_address_valid": scalar(
                    "SELECT COUNT(*) FROM orders WHERE financial_status = 'PAID' AND cancelled_at IS NULL"
                    " AND address_valid = 1 AND fulfillment_status = 'UNFULFILLED'"
                ),
                "orders_address_invalid": scalar("SELECT COUNT(*) FROM orders WHERE address_valid = 0"),
                "line_items_total": sum(line_counts.values()),
                "orders_large": sum(1 for n in line_counts.values() if n > SPLIT_ABOVE_LINES),
                "refunds_total": scalar("SELECT COUNT(*) FROM shopify_refunds"),
                "orders_partially_refunded": sum(
                    1 for o in served if o["financial_status"] == "PARTIALLY_REFUNDED"
                ),
                "fulfillment_orders_total": sum(by_fulfillment_order.values()),
                "fulfillment_orders_by_status": by_fulfillment_order,
            },
            "click_and_drop": {
                "bookings_accepted": scalar("SELECT COUNT(*) FROM bookings"),
                "bookings_accepted_api": scalar("SELECT COUNT(*) FROM bookings WHERE source = 'api'"),
                "bookings_accepted_manual": scalar("SELECT COUNT(*) FROM bookings WHERE source = 'manual'"),
                "bookings_rejected": scalar("SELECT COUNT(*) FROM rejected_bookings"),
                "idempotent_replays": scalar("SELECT COUNT(*) FROM idempotent_replays"),
                "duplicate_bookings": sum(n - 1 for n in per_order.values() if n > 1),
                "unmatched_bookings": unmatched,
            },
            "woocommerce": {
                "orders_total": scalar("SELECT COUNT(*) FROM woo_orders"),
                "orders_by_status": grouped("status", "woo_orders"),
                "orders_processing_address_valid": scalar(
                    "SELECT COUNT(*) FROM woo_orders WHERE status = 'processing' AND address_valid = 1"
                ),
                "refunds_total": scalar("SELECT COUNT(*) FROM woo_refunds"),
                "notes_total": scalar("SELECT COUNT(*) FROM woo_notes"),
            },
            "stripe": {
                "events_total": scalar("SELECT COUNT(*) FROM stripe_events"),
                "events_by_type": grouped("type", "stripe_events"),
            },
            "zendesk": _zendesk(conn),
            "easypost": _easypost(conn),
            "warehouses": _warehouses(conn),
            "faults": _faults(conn),
            "channel_stock": _channel_stock(conn),
            "stripe_refunds": _stripe_refunds(conn),
            "postmark": _postmark(conn),
            "pick_tasks": pick_task_stats(conn),
        }


def orders_missing_booking(data_dir: Path) -> list[str]:
    """References (as the customer quotes them: "#1001", "40012") of the orders of every channel
    that are paid, uncancelled and unsent with a valid address and no accepted Click & Drop
    booking: Shopify orders first, by number, then WooCommerce orders by id."""
    with opened(Path(data_dir)) as conn:
        per_order, _ = _bookings_per_order(conn)
        shopify = conn.execute(
            "SELECT id, name FROM orders WHERE financial_status = 'PAID' AND cancelled_at IS NULL"
            " AND address_valid = 1 ORDER BY number"
        ).fetchall()
        # processing: paid and not yet completed (sent) by the merchant.
        woo = conn.execute(
            "SELECT id FROM woo_orders WHERE status = 'processing' AND address_valid = 1 ORDER BY id"
        ).fetchall()
    missing = [r["name"] for r in shopify if order_key(SHOPIFY, r["id"]) not in per_order]
    return missing + [str(r["id"]) for r in woo if order_key(WOOCOMMERCE, r["id"]) not in per_order]
