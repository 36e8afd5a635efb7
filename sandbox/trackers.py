"""Carrier trackers, EasyPost style: each despatched parcel's journey, planned when its label exists,
and the Tracker / Event objects EasyPost would send about it.

Statuses only move forward in `STATUS_RANK` (a failed attempt ranks with out-for-delivery, so a
redelivery after it is not a step back); `delivered` and `return_to_sender` are final. Tracked 24
arrives the next working day after collection, Tracked 48 the second; about one in seven parcels is a
day or more late, ~2% meet a failed attempt (then redelivered, or returned to sender) and ~1.5% wait
at the delivery office for collection.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sandbox.stable_ids import hex_digest
from sandbox.timeutil import LONDON, to_iso
from sandbox.working_days import add_working_days, london_datetime

CARRIER = "RoyalMail"
STATUS_RANK = {
    "unknown": -1,
    "pre_transit": 0,
    "in_transit": 1,
    "out_for_delivery": 2,
    "failure": 2,
    "available_for_pickup": 3,
    "delivered": 4,
    "return_to_sender": 4,
}
FINAL_STATUSES = {"delivered", "return_to_sender"}
SERVICE_NAMES = {"TPN24": "Royal Mail Tracked 24", "TPN48": "Royal Mail Tracked 48"}
NOMINAL_DAYS = {"TPN24": 1, "TPN48": 2}


@dataclass(frozen=True)
class Step:
    """One tracking scan. `place` is where it happened: none, origin, office or destination."""

    at: str
    status: str
    status_detail: str
    message: str
    place: str


def tracker_id(seed: int, tracking_code: str) -> str:
    """`trk_` + 32 hex characters, stable per parcel."""
    return f"trk_{hex_digest(seed, 'trk', tracking_code)}"


def event_id(seed: int, tracking_code: str, step: int) -> str:
    """`evt_` + 32 hex characters, stable per scan."""
    return f"evt_{hex_digest(seed, 'evt', tracking_code, step)}"


def public_url(tracker: str) -> str:
    """EasyPost's public tracking page address (base64 of `v1:<tracker id>`)."""
    return f"https://track.easypost.com/{base64.b64encode(f'v1:{tracker}'.encode()).decode()}"


def _at(day: date, hour: int, minute: int, rng: random.Random, spread_minutes: int) -> datetime:
    return london_datetime(day, time(hour, minute)) + timedelta(minutes=rng.randint(0, spread_minutes))


def plan_journey(
    rng: random.Random, labelled_at: datetime, despatch_at: datetime, service: str, office: str
) -> tuple[list[Step], date]:
    """Every scan the parcel will get, in order, and the date the carrier first estimates."""
    steps: list[tuple[datetime, str, str, str, str]] = [
        (labelled_at, "pre_transit", "label_created", "Sender preparing item - label created", "none")
    ]
    received = despatch_at + timedelta(minutes=rng.randint(60, 270))
    steps.append((received, "in_transit", "received_at_origin_facility", "Item received", "origin"))
    collected = despatch_at.astimezone(LONDON).date()
    nominal = NOMINAL_DAYS.get(service, 1)
    late = rng.choices([0, 1, 2, 3], weights=[85, 11, 3, 1])[0]
    estimated = add_working_days(collected, nominal)
    arrival = add_working_days(collected, nominal + late)
    day = add_working_days(collected, 1)
    while day < arrival:
        detail, message = (
            ("in_transit", "Item in transit")
            if day < estimated
            else ("delayed", "Item delayed - we're working to get it to you as soon as possible")
        )
        steps.append((_at(day, 3, 0, rng, 150), "in_transit", detail, message, "origin"))
        day = add_working_days(day, 1)
    steps.append(
        (
            _at(arrival, 4, 30, rng, 90),
            "in_transit",
            "arrived_at_destination",
            f"Item arrived at {office} Delivery Office",
            "office",
        )
    )
    out = _at(arrival, 6, 30, rng, 150)
    steps.append((out, "out_for_delivery", "out_for_delivery", "Out for delivery", "office"))
    attempt = out + timedelta(minutes=rng.randint(60, 480))
    roll = rng.random()
    if roll < 0.02:
        steps.append(
            (
                attempt,
                "failure",
                "delivery_exception",
                "Delivery attempted - no one was available, we'll try again",
                "destination",
            )
        )
        next_day = add_working_days(arrival, 1)
        if rng.random() < 0.7:
            again = _at(next_day, 6, 30, rng, 150)
            steps.append((again, "out_for_delivery", "out_for_delivery", "Out for delivery", "office"))
            steps.append(
                (
                    again + timedelta(minutes=rng.randint(60, 420)),
                    "delivered",
                    "arrived_at_destination",
                    "Delivered",
                    "destination",
                )
            )
        else:
            steps.append(
                (
                    _at(next_day, 9, 0, rng, 180),
                    "return_to_sender",
                    "return",
                    "Item being returned to sender",
                    "office",
                )
            )
    elif roll < 0.035:
        steps.append(
            (
                attempt,
                "available_for_pickup",
                "arrived_at_pickup_location",
                f"Something for You card left - available for collection at {office} Delivery Office",
                "office",
            )
        )
        collect_day = add_working_days(arrival, rng.randint(1, 4))
        steps.append(
            (
                _at(collect_day, 10, 0, rng, 420),
                "delivered",
                "arrived_at_destination",
                f"Collected from {office} Delivery Office",
                "office",
            )
        )
    else:
        message = rng.choices(
            ["Delivered", "Delivered to neighbour", "Delivered to safe place"], [80, 12, 8]
        )[0]
        steps.append((attempt, "delivered", "arrived_at_destination", message, "destination"))
    ordered: list[Step] = []
    previous = None
    for moment, status, detail, message, place in steps:
        if previous is not None and moment <= previous:
            moment = previous + timedelta(minutes=rng.randint(1, 20))
        previous = moment
        ordered.append(Step(to_iso(moment), status, detail, message, place))
    return ordered, estimated


def step_dicts(steps: list[Step]) -> list[dict[str, str]]:
    """JSON-ready plan."""
    return [
        {
            "at": s.at,
            "status": s.status,
            "status_detail": s.status_detail,
            "message": s.message,
            "place": s.place,
        }
        for s in steps
    ]


def location(place: str, origin: dict[str, Any], destination: dict[str, Any]) -> dict[str, Any]:
    """The TrackingLocation of a scan."""
    if place == "origin":
        return {"object": "TrackingLocation", **origin}
    if place in ("office", "destination"):
        return {"object": "TrackingLocation", **destination}
    return {"object": "TrackingLocation", "city": None, "state": None, "country": None, "zip": None}


def tracking_detail(event: dict[str, Any]) -> dict[str, Any]:
    """One TrackingDetail from a stored scan."""
    return {
        "object": "TrackingDetail",
        "message": event["message"],
        "description": None,
        "status": event["status"],
        "status_detail": event["status_detail"],
        "datetime": event["at"],
        "source": CARRIER,
        "carrier_code": None,
        "tracking_location": event["location"],
    }


def render_tracker(tracker: dict[str, Any], scans: list[dict[str, Any]]) -> dict[str, Any]:
    """The Tracker as it stood after the last of `scans` (oldest first, at least one)."""
    last = scans[-1]
    origin = next((s["location"] for s in scans if s["location"]["city"]), None)
    delivered = last["status"] in FINAL_STATUSES
    attempts = [s["at"] for s in scans if s["status"] in ("failure", "available_for_pickup", "delivered")]
    return {
        "id": tracker["id"],
        "object": "Tracker",
        "mode": "test",
        "tracking_code": tracker["tracking_code"],
        "status": last["status"],
        "status_detail": last["status_detail"],
        "created_at": tracker["created_at"],
        "updated_at": last["at"],
        "signed_by": None,
        "weight": None,
        "est_delivery_date": tracker["est_delivery_date"],
        "shipment_id": None,
        "carrier": CARRIER,
        "tracking_details": [tracking_detail(s) for s in scans],
        "carrier_detail": {
            "object": "CarrierDetail",
            "service": SERVICE_NAMES.get(tracker["service"], tracker["service"]),
            "container_type": None,
            "est_delivery_date_local": None,
            "est_delivery_time_local": None,
            "origin_location": origin["city"].upper() if origin else None,
            "origin_tracking_location": origin,
            "destination_location": None,
            "destination_tracking_location": None,
            "guaranteed_delivery_date": None,
            "alternate_identifier": None,
            "initial_delivery_attempt": attempts[0] if attempts else None,
        },
        "finalized": delivered,
        "is_return": False,
        "public_url": public_url(tracker["id"]),
        "fees": [],
    }


def render_event(
    seed: int, tracker: dict[str, Any], scans: list[dict[str, Any]], previous_status: str, url: str
) -> dict[str, Any]:
    """The webhook Event announcing the last of `scans`."""
    last = scans[-1]
    return {
        "object": "Event",
        "id": last["id"],
        "mode": "test",
        "description": "tracker.updated",
        "created_at": last["at"],
        "updated_at": last["at"],
        "previous_attributes": {"status": previous_status},
        "pending_urls": [url],
        "completed_urls": [],
        "user_id": f"user_{hex_digest(seed, 'easypost-user')}",
        "status": "pending",
        "result": render_tracker(tracker, scans),
    }
