"""Helpdesk tickets, Zendesk Support style: who writes in about which order, and how each ticket
moves from new to closed.

A ticket is planned whole when the customer writes in: the agent picks it up in office hours (open),
replies and waits (pending), the customer may answer (open again), the agent solves it when the
matter is settled (parcel delivered, return received...) and Zendesk's default automation closes it
four days later. Its status and `updated_at` at any moment are read from that plan, so the export
shows a ticket again each time it moves.

Two custom ticket fields carry the link to the shop: `ORDER_FIELD_ID` holds the order reference
(`#1001` for Shopify, `40012` for WooCommerce) and `REASON_FIELD_ID` one of `REASON_VALUES`.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from datetime import datetime, time, timedelta
from typing import Any

from sandbox.order_lookup import OrderInfo
from sandbox.stripe_events import unix
from sandbox.timeutil import LONDON, parse_iso, to_iso
from sandbox.working_days import add_working_days, is_working_day, london_datetime

ORDER_FIELD_ID = 360000000001
REASON_FIELD_ID = 360000000002
REASON_VALUES = {"wismo": "where_is_my_order", "damaged": "damaged", "return": "return", "other": "other"}
TICKET_TYPES = {"wismo": "question", "damaged": "incident", "return": "task", "other": "question"}
AGENT_IDS = (379000000011, 379000000012)
GROUP_ID = 379100000001
BRAND_ID = 379200000001
TICKET_FORM_ID = 379300000001
SUPPORT_ADDRESS = "support@orderloop-sandbox.zendesk.com"
SUBJECTS = {
    "wismo": [
        "Where is my order {ref}?",
        "Order {ref} hasn't arrived",
        "Still waiting for my parcel ({ref})",
    ],
    "damaged": ["Order {ref} arrived damaged", "Broken item in my parcel ({ref})"],
    "return": ["Return request for order {ref}", "I'd like to return part of order {ref}"],
    "other": ["Question about order {ref}", "Can I change my order {ref}?", "Invoice for order {ref}"],
}
BODIES = {
    "wismo": "Hi, I placed order {ref} on {placed} and it still hasn't arrived. Where is it?",
    "damaged": "Hello, my parcel for order {ref} arrived but one of the items is broken. Photos attached.",
    "return": "Hi, I'd like to return something from order {ref} - it isn't quite what I expected.",
    "other": "Hi, I have a question about order {ref}. Could someone get back to me please?",
}


def requester_id(email: str) -> int:
    """A stable Zendesk user id for a customer's email address."""
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    return 381000000000 + int(digest, 16) % 1_000_000_000


def agent_pickup(rng: random.Random, after: datetime) -> datetime:
    """When an agent next looks at the queue: soon in office hours (09:00-17:30 London, working days),
    otherwise the next working morning."""
    local = after.astimezone(LONDON)
    if is_working_day(local.date()) and time(9, 0) <= local.time() < time(17, 0):
        return after + timedelta(minutes=rng.randint(10, 240))
    day = (
        local.date()
        if is_working_day(local.date()) and local.time() < time(9, 0)
        else add_working_days(local.date(), 1)
    )
    return london_datetime(day, time(9, 0)) + timedelta(minutes=rng.randint(0, 150))


def plan_steps(
    rng: random.Random, created: datetime, settled: datetime | None
) -> list[tuple[datetime, str, int | None]]:
    """(at, status, assignee) from creation to closure; `settled` is when the matter is resolved."""
    agent = rng.choice(AGENT_IDS)
    steps: list[tuple[datetime, str, int | None]] = [(created, "new", None)]
    picked = agent_pickup(rng, created)
    steps.append((picked, "open", agent))
    last = picked + timedelta(minutes=rng.randint(2, 12))
    steps.append((last, "pending", agent))
    if rng.random() < 0.5:  # the customer answers, the agent replies again
        answered = last + timedelta(minutes=rng.randint(60, 20 * 60))
        steps.append((answered, "open", agent))
        last = agent_pickup(rng, answered)
        steps.append((last, "pending", agent))
    target = settled if settled is not None else last + timedelta(hours=rng.randint(20, 96))
    solved = max(agent_pickup(rng, target), last + timedelta(minutes=5))
    steps.append((solved, "solved", agent))
    steps.append((solved + timedelta(days=4, minutes=rng.randint(0, 59)), "closed", agent))
    return steps


def create_ticket(
    conn: sqlite3.Connection,
    rng: random.Random,
    order: OrderInfo,
    reason: str,
    created: datetime,
    settled: datetime | None,
) -> int:
    """Insert a ticket with the next id (ids follow creation, as Zendesk's do)."""
    ticket_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM zendesk_tickets").fetchone()[0])
    ref = order.reference
    local = order.placed.astimezone(LONDON)
    placed = f"{local.day} {local:%B}"
    name = f"{order.first_name} {order.last_name}".strip() or "Customer"
    email = order.email or f"customer{order.order_id}@example.com"
    subject = rng.choice(SUBJECTS[reason]).format(ref=ref)
    description = BODIES[reason].format(ref=ref, placed=placed) + f"\n\nThanks,\n{order.first_name or name}"
    days_waiting = (created - order.placed).days
    priority = {"damaged": "high", "other": "low"}.get(reason, "high" if days_waiting >= 6 else "normal")
    if rng.random() < 0.55:
        via = {
            "channel": "email",
            "source": {
                "from": {"address": email, "name": name},
                "to": {"address": SUPPORT_ADDRESS, "name": "Orderloop Sandbox Store"},
                "rel": None,
            },
        }
        recipient, external_id = SUPPORT_ADDRESS, None
    else:
        via = {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}}
        recipient, external_id = None, f"{order.channel}-order-{order.order_id}"
    tags = sorted({reason, order.channel})
    steps = [[to_iso(at), status, agent] for at, status, agent in plan_steps(rng, created, settled)]
    conn.execute(
        "INSERT INTO zendesk_tickets(id, order_key, order_reference, reason, created_at, subject,"
        " description, priority, type, tags_json, via_json, recipient, requester_id, external_id, steps_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ticket_id,
            order.key,
            ref,
            REASON_VALUES[reason],
            to_iso(created),
            subject,
            description,
            priority,
            TICKET_TYPES[reason],
            json.dumps(tags),
            json.dumps(via),
            recipient,
            requester_id(email),
            external_id,
            json.dumps(steps),
        ),
    )
    return ticket_id


def state_at(row: sqlite3.Row, moment: datetime) -> tuple[str, str, int | None] | None:
    """(status, updated_at, assignee) of a ticket at `moment`; None if it does not exist yet."""
    current = None
    limit = to_iso(moment)
    for at, status, agent in json.loads(row["steps_json"]):
        if at > limit:
            break
        current = (status, at, agent)
    return current


def render_ticket(row: sqlite3.Row, moment: datetime, base_url: str) -> dict[str, Any]:
    """The Ticket object as Zendesk's export returns it, as it stood at `moment`."""
    state = state_at(row, moment)
    assert state is not None
    status, updated, agent = state
    fields = [
        {"id": ORDER_FIELD_ID, "value": row["order_reference"]},
        {"id": REASON_FIELD_ID, "value": row["reason"]},
    ]
    return {
        "url": f"{base_url}/api/v2/tickets/{row['id']}.json",
        "id": row["id"],
        "external_id": row["external_id"],
        "via": json.loads(row["via_json"]),
        "created_at": row["created_at"],
        "updated_at": updated,
        "generated_timestamp": unix(parse_iso(updated)),
        "type": row["type"],
        "subject": row["subject"],
        "raw_subject": row["subject"],
        "description": row["description"],
        "priority": row["priority"],
        "status": status,
        "recipient": row["recipient"],
        "requester_id": row["requester_id"],
        "submitter_id": row["requester_id"],
        "assignee_id": agent,
        "organization_id": None,
        "group_id": GROUP_ID,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": json.loads(row["tags_json"]),
        "custom_fields": fields,
        "fields": [dict(f) for f in fields],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "followup_ids": [],
        "ticket_form_id": TICKET_FORM_ID,
        "brand_id": BRAND_ID,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }
