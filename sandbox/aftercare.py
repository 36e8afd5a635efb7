"""What customers do once a parcel has arrived: about 3% ask to return something, about 1% report
damage. Each writes to the helpdesk; most returns (and half of the damaged items) come back to the
warehouse that sent them, where they are restocked or written off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sandbox.order_lookup import OrderInfo
from sandbox.timeutil import LONDON
from sandbox.working_days import add_working_days, london_datetime

RETURN_RATE = 0.03
DAMAGE_RATE = 0.008
CONDITIONS = ["as_new", "opened", "damaged"]


@dataclass(frozen=True)
class Aftercare:
    """A return request or damage report and what reaches the warehouse (nothing if `received_at` is None)."""

    reason: str
    reported_at: datetime
    received_at: datetime | None
    items: tuple[tuple[str, int, str, str], ...]  # sku, quantity, condition, outcome


def _received(rng: random.Random, sent_after: datetime) -> datetime:
    day = add_working_days(sent_after.astimezone(LONDON).date(), rng.randint(2, 6))
    return london_datetime(day, time(9, 0)) + timedelta(minutes=rng.randint(0, 420))


def plan_aftercare(rng: random.Random, order: OrderInfo, delivered_at: datetime) -> Aftercare | None:
    """The customer's follow-up to a delivered order, if any (always the same draws per order)."""
    roll, sends_back, reported_offset = rng.random(), rng.random(), rng.random()
    if not order.lines:
        return None
    if roll < RETURN_RATE:
        reported = delivered_at + timedelta(hours=24 + reported_offset * 11 * 24)
        if sends_back >= 0.9:
            return Aftercare("return", reported, None, ())
        chosen = order.lines if rng.random() < 0.3 else (rng.choice(order.lines),)
        items = []
        for sku, quantity in chosen:
            condition = rng.choices(CONDITIONS, weights=[55, 35, 10])[0]
            restocked = condition == "as_new" or (condition == "opened" and rng.random() < 0.7)
            items.append((sku, quantity, condition, "restocked" if restocked else "written_off"))
        return Aftercare("return", reported, _received(rng, reported), tuple(items))
    if roll < RETURN_RATE + DAMAGE_RATE:
        reported = delivered_at + timedelta(hours=1 + reported_offset * 47)
        if sends_back >= 0.5:
            return Aftercare("damaged", reported, None, ())
        sku, _ = rng.choice(order.lines)
        return Aftercare("damaged", reported, _received(rng, reported), ((sku, 1, "damaged", "written_off"),))
    return None
