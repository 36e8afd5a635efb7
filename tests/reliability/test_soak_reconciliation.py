"""The soak's reconciliation can fail: an order lost, an order twice in the warehouse, an email sent
twice or a refund the ledger does not know of are each reported. (The soak itself runs only under
`make soak`: `python -m orderloop.soak`.)"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from orderloop.soak_reconciliation import reconcile
from sandbox.generator import generate_world


@pytest.fixture
def world_and_warehouse(tmp_path: Path) -> tuple[Path, Path]:
    """A small world (busy enough for a few tickets), and a warehouse holding every one of its orders,
    Stripe events and Zendesk tickets once, with empty ledgers."""
    world = tmp_path / "sandbox"
    generate_world(world, days=3, seed=3, now=datetime(2026, 11, 18, 12, tzinfo=UTC), orders_per_day=60)
    warehouse = tmp_path / "warehouse.duckdb"
    with sqlite3.connect(world / "world.sqlite") as conn:
        orders = [("shopify", f"gid://shopify/Order/{r[0]}") for r in conn.execute("select id from orders")]
        orders += [("woocommerce", str(r[0])) for r in conn.execute("select id from woo_orders")]
        events = [(r[0],) for r in conn.execute("select id from stripe_events")]
        tickets = [(r[0],) for r in conn.execute("select id from zendesk_tickets")]
    with duckdb.connect(str(warehouse)) as wh:
        for schema in ("marts", "actions", "raw_stripe", "raw_zendesk"):
            wh.execute(f"create schema {schema}")
        wh.execute("create table raw_stripe.events (id varchar)")
        wh.executemany("insert into raw_stripe.events values (?)", events)
        wh.execute("create table raw_zendesk.tickets (id bigint)")
        wh.executemany("insert into raw_zendesk.tickets values (?)", tickets)
        wh.execute("create table marts.fct_orders (channel varchar, order_id varchar, order_name varchar)")
        wh.executemany("insert into marts.fct_orders values (?, ?, null)", orders)
        wh.execute(
            "create table actions.notifications (idempotency_key varchar, status varchar, message_id varchar)"
        )
    return world, warehouse


def test_a_warehouse_holding_every_order_once_reconciles(world_and_warehouse):
    world, warehouse = world_and_warehouse
    report = reconcile(world, warehouse)
    assert report["problems"] == []
    assert report["orders"]["lost"] == report["orders"]["duplicated_in_warehouse"] == 0
    assert report["orders"]["in_sandbox"] == report["orders"]["in_warehouse"] > 0
    for name in ("stripe_events", "zendesk_tickets"):
        assert report["records"][name]["in_sandbox"] > 0 and report["records"][name]["lost"] == 0


def test_a_lost_stripe_event_and_a_ticket_stored_twice_each_fail_it(world_and_warehouse):
    world, warehouse = world_and_warehouse
    with duckdb.connect(str(warehouse)) as wh:
        lost = wh.execute("select id from raw_stripe.events where id like 'evt_%' limit 1").fetchone()[0]
        wh.execute("delete from raw_stripe.events where id = ?", [lost])
        wh.execute("insert into raw_zendesk.tickets select * from raw_zendesk.tickets limit 1")
    report = reconcile(world, warehouse)
    assert report["records"]["stripe_events"]["lost_examples"] == [lost]
    assert report["records"]["zendesk_tickets"]["duplicated_in_warehouse"] == 1
    assert len(report["problems"]) == 2


def test_a_lost_order_a_doubled_order_and_a_doubled_email_each_fail_it(world_and_warehouse):
    world, warehouse = world_and_warehouse
    with duckdb.connect(str(warehouse)) as wh:
        woo = "select order_id from marts.fct_orders where channel = 'woocommerce' limit 1"
        lost = wh.execute(woo).fetchone()
        wh.execute("delete from marts.fct_orders where order_id = ?", lost)
        wh.execute(
            "insert into marts.fct_orders select * from marts.fct_orders where channel = 'shopify' limit 1"
        )
        wh.execute("insert into actions.notifications values ('k1', 'sent', 'm1')")
    with sqlite3.connect(world / "world.sqlite") as conn:
        body = json.dumps({"Metadata": {"orderloop_key": "k1"}})
        for message in ("m1", "m2"):  # the same email twice; the ledger knows only the first
            conn.execute(
                "insert into postmark_messages (message_id, submitted_at, message_stream, tag, body_json)"
                " values (?, '2026-11-18T12:00:00Z', 'outbound', 'despatched', ?)",
                (message, body),
            )
    report = reconcile(world, warehouse)
    assert report["orders"]["lost"] == 1 and report["orders"]["lost_examples"] == [f"woocommerce:{lost[0]}"]
    assert report["orders"]["duplicated_in_warehouse"] == 1
    assert report["effects"]["emails"]["duplicates"] == 1
    assert report["effects"]["emails"]["unknown_to_ledger"] == 1
    assert len(report["problems"]) == 4 and report["duplicate_effects"] == 2
