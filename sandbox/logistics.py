"""Moving the logistics side of the world up to a moment: parcels picked and despatched by the
warehouses, their carrier scans, returns coming back and customers writing to the helpdesk.

Everything is derived from the channels and Click & Drop (never written back to them) and runs as
one time-ordered queue, as `woo_lifecycle` does: work due by `now` happens in order (so stock,
ticket ids and scans follow the clock), later work waits in `logistics_scheduled`. Each parcel,
order and ticket draws from its own stream (`streams.stream`), so adding this left the older
content of every seed as it was. Generation and the clock both call `sync_logistics`.

Parcels: every Click & Drop booking (manual history and API; labelled when booked, despatched at its
collection) and every WooCommerce order the merchant completed by hand before orderloop (posted
without Click & Drop; its Royal Mail number is derived from the order id and appears only in the
3PL feed and the tracker). A booking whose reference names no order still ships and is tracked, but
no warehouse picks it. An order the merchant released as a pick task (`pick_tasks`) is picked
at the warehouse the task names; the others as before.
"""

from __future__ import annotations

import heapq
import json
import random
import sqlite3
from datetime import datetime, time, timedelta
from typing import Any

from sandbox import warehouses
from sandbox.aftercare import plan_aftercare
from sandbox.order_lookup import WOOCOMMERCE, OrderInfo, all_order_keys, match_reference, order_info
from sandbox.pick_tasks import released_task
from sandbox.streams import stream
from sandbox.timeutil import LONDON, parse_iso, to_iso
from sandbox.trackers import event_id as scan_event_id
from sandbox.trackers import location as scan_location
from sandbox.trackers import plan_journey, step_dicts, tracker_id
from sandbox.tracking import tracking_number
from sandbox.working_days import add_working_days, london_datetime, next_collection
from sandbox.world import world_seed
from sandbox.zendesk_tickets import create_ticket

CARRIER_NAME = "Royal Mail"
OTHER_QUESTION_RATE = 0.02
WISMO_RATE_LATE = 0.2  # chance a customer chases an order not delivered when they expected it
WISMO_RATE_DELIVERED = 0.006  # "it says delivered but I haven't got it"
# Within one instant: the warehouse before the carrier, the carrier before the customer.
RANKS = {
    "pick": 1,
    "packed": 2,
    "despatched": 3,
    "scan": 4,
    "return_received": 5,
    "ticket": 6,
    "wismo_check": 7,
}


# (at, rank, key, serial, kind, payload): a heap entry; serial breaks ties so payloads never compare.
_Item = tuple[str, int, str, int, str, dict[str, Any]]


def _service(request: dict[str, Any], channel: str | None) -> str:
    """TPN24 or TPN48: the booking's service code if it names one, else the channel's default."""
    code = str((request.get("postageDetails") or {}).get("serviceCode") or "").upper()
    if code:
        return "TPN48" if "48" in code else "TPN24"
    return "TPN48" if channel == WOOCOMMERCE else "TPN24"


def _pick_times(rng: random.Random, earliest: datetime, despatch: datetime) -> tuple[datetime, datetime]:
    """pick_started and packed between `earliest` and the despatch, in warehouse hours when there is room."""
    end = despatch - timedelta(minutes=10)
    shift = london_datetime(despatch.astimezone(LONDON).date(), time(7, 0))
    start = max(earliest, shift) if shift < end - timedelta(minutes=20) else earliest
    room = (end - start).total_seconds()
    if room < 1200:  # no time to speak of: squeeze both in
        span = max((despatch - earliest).total_seconds(), 2)
        return earliest + timedelta(seconds=span * 0.3), earliest + timedelta(seconds=span * 0.6)
    picked = start + timedelta(seconds=rng.randint(0, int(min(room - 900, 3 * 3600))))
    packed = picked + timedelta(
        seconds=rng.randint(300, int(min(end - picked, timedelta(minutes=40)).total_seconds()))
    )
    return picked, packed


class Logistics:
    """One sync of the logistics side, inside the caller's write transaction."""

    def __init__(self, conn: sqlite3.Connection, seed: int, now: datetime):
        self.conn = conn
        self.seed = seed
        self.now = now
        self.limit = to_iso(now)
        self.queue: list[_Item] = []
        self.serial = 0
        self.counts = {"tracker_events": 0, "warehouse_events": 0, "returns": 0, "tickets": 0}
        self._orders: dict[str, OrderInfo | None] = {}
        self._plans: dict[str, tuple[str, list[dict[str, Any]]]] = {}

    def order(self, key: str) -> OrderInfo | None:
        """An order, read once per sync (the channels do not change while the logistics side runs)."""
        if key not in self._orders:
            self._orders[key] = order_info(self.conn, key)
        return self._orders[key]

    def plan(self, tracking: str) -> tuple[str, list[dict[str, Any]]]:
        """(tracker id, planned scans) of a parcel."""
        if tracking not in self._plans:
            row = self.conn.execute(
                "SELECT id, plan_json FROM trackers WHERE tracking_code = ?", (tracking,)
            ).fetchone()
            self._plans[tracking] = (row["id"], json.loads(row["plan_json"]))
        return self._plans[tracking]

    def schedule(self, at: datetime | str, kind: str, key: str, payload: dict[str, Any]) -> None:
        """Queue work for `at`: now if due, else in the world for a later sync."""
        stamp = at if isinstance(at, str) else to_iso(at)
        if stamp <= self.limit:
            self.serial += 1
            heapq.heappush(self.queue, (stamp, RANKS[kind], key, self.serial, kind, payload))
        else:
            self.conn.execute(
                "INSERT INTO logistics_scheduled(at, kind, key, payload_json) VALUES (?, ?, ?, ?)",
                (stamp, kind, key, json.dumps(payload, sort_keys=True)),
            )

    def run(self) -> dict[str, int]:
        """Everything due by `now`, in time order."""
        self._open_stock()
        due = self.conn.execute(
            "SELECT * FROM logistics_scheduled WHERE at <= ? ORDER BY at, id", (self.limit,)
        ).fetchall()
        self.conn.execute("DELETE FROM logistics_scheduled WHERE at <= ?", (self.limit,))
        for row in due:
            self.schedule(row["at"], row["kind"], row["key"], json.loads(row["payload_json"]))
        self._discover_parcels()
        self._discover_orders()
        while self.queue:
            at, _, _, _, kind, payload = heapq.heappop(self.queue)
            getattr(self, f"_on_{kind}")(parse_iso(at), payload)
        return self.counts

    # --- discovery -------------------------------------------------------------------------------

    def _open_stock(self) -> None:
        if self.conn.execute("SELECT 1 FROM logistics_state WHERE key = 'stock_opened_at'").fetchone():
            return
        placed = [parse_iso(at) for _, at in all_order_keys(self.conn)]
        first = min(placed) if placed else self.now
        opened_at = london_datetime(first.astimezone(LONDON).date(), time(0, 0))
        warehouses.open_stock(self.conn, self.seed, opened_at)
        self.conn.execute(
            "INSERT INTO logistics_state(key, value) VALUES ('stock_opened_at', ?)", (to_iso(opened_at),)
        )

    def _discover_parcels(self) -> None:
        conn = self.conn
        known = {r[0] for r in conn.execute("SELECT tracking_number FROM parcels")}
        for booking in conn.execute(
            "SELECT * FROM bookings WHERE created_on <= ? ORDER BY order_identifier", (self.limit,)
        ).fetchall():
            if booking["tracking_number"] in known:
                continue
            request = json.loads(booking["request_json"])
            key = match_reference(conn, booking["order_reference"])
            order = self.order(key) if key else None
            created = parse_iso(booking["created_on"])
            despatch = parse_iso(booking["shipped_on"]) if booking["shipped_on"] else next_collection(created)
            address = (request.get("recipient") or {}).get("address") or {}  # the label's, if it has one
            self._register(
                tracking=booking["tracking_number"],
                booking=booking["order_identifier"],
                order=order,
                labelled=created,
                despatch=despatch,
                earliest=created + timedelta(minutes=5) if booking["source"] == "api" else None,
                service=_service(request, order.channel if order else None),
                city=address.get("city") or (order.city if order else None),
                postcode=address.get("postcode") or (order.postcode if order else None),
            )
        for row in conn.execute(
            "SELECT id, completed_gmt FROM woo_orders WHERE completed_gmt IS NOT NULL AND completed_gmt <= ?"
            " ORDER BY id",
            (self.limit,),
        ).fetchall():
            tracking = tracking_number(self.seed, row["id"])
            if tracking in known:
                continue
            order = self.order(f"{WOOCOMMERCE}:{row['id']}")
            assert order is not None
            self._register(
                tracking=tracking,
                booking=None,
                order=order,
                labelled=None,
                despatch=parse_iso(row["completed_gmt"]),
                earliest=None,
                service="TPN48",
                city=order.city,
                postcode=order.postcode,
            )

    def _register(
        self,
        *,
        tracking: str,
        booking: int | None,
        order: OrderInfo | None,
        labelled: datetime | None,
        despatch: datetime,
        earliest: datetime | None,
        service: str,
        city: str | None,
        postcode: str | None,
    ) -> None:
        """A new parcel: its warehouse work, its label and its whole journey, planned now."""
        rng = stream("parcel", self.seed, tracking)
        picked = packed = None
        if order is not None:
            start = earliest or order.placed + timedelta(minutes=10)
            picked, packed = _pick_times(rng, min(start, despatch - timedelta(seconds=2)), despatch)
        label_at = labelled or packed or despatch
        task = released_task(self.conn, order.key if order else None, self.now)
        warehouse = task.warehouse if task else warehouses.primary_warehouse(postcode)
        self.conn.execute(
            "INSERT INTO parcels(tracking_number, booking_identifier, order_key, order_reference, warehouse,"
            " service, labelled_at, despatch_at, city, postcode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tracking,
                booking,
                order.key if order else None,
                order.reference if order else None,
                warehouse,
                service,
                to_iso(label_at),
                to_iso(despatch),
                city,
                postcode,
            ),
        )
        office = (city or "Local").strip().title() or "Local"
        steps, estimated = plan_journey(rng, label_at, despatch, service, office)
        tracker = tracker_id(self.seed, tracking)
        self.conn.execute(
            "INSERT INTO trackers(id, tracking_code, created_at, service, est_delivery_date, plan_json)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                tracker,
                tracking,
                to_iso(label_at),
                service,
                f"{estimated.isoformat()}T00:00:00Z",
                json.dumps(step_dicts(steps)),
            ),
        )
        self.schedule(steps[0].at, "scan", tracking, {"tracking": tracking, "step": 0})
        if order is not None and picked is not None and packed is not None:
            self.schedule(
                picked,
                "pick",
                tracking,
                {"tracking": tracking, "packed": to_iso(packed), "despatch": to_iso(despatch)},
            )

    def _discover_orders(self) -> None:
        conn = self.conn
        seen = {r[0] for r in conn.execute("SELECT key FROM logistics_seen WHERE kind = 'order'")}
        for key, placed_at in sorted(all_order_keys(conn), key=lambda item: (item[1], item[0])):
            if placed_at > self.limit or key in seen:
                continue
            conn.execute("INSERT INTO logistics_seen(kind, key) VALUES ('order', ?)", (key,))
            rng = stream("helpdesk", self.seed, key)
            placed = parse_iso(placed_at)
            asks, asks_after = rng.random(), rng.uniform(0.5, 96)
            expected_days = 4 if key.startswith(WOOCOMMERCE) else 3
            expected = add_working_days(placed.astimezone(LONDON).date(), expected_days)
            check = london_datetime(expected, time(9, 0)) + timedelta(minutes=rng.randint(0, 13 * 60))
            if asks < OTHER_QUESTION_RATE:
                self.schedule(
                    placed + timedelta(hours=asks_after), "ticket", key, {"order": key, "reason": "other"}
                )
            self.schedule(check, "wismo_check", key, {"order": key})

    # --- handlers --------------------------------------------------------------------------------

    def _parcel(self, tracking: str) -> sqlite3.Row:
        return self.conn.execute("SELECT * FROM parcels WHERE tracking_number = ?", (tracking,)).fetchone()

    def _warehouse_event(self, parcel: sqlite3.Row, event: str, at: datetime, labelled: bool) -> None:
        self.conn.execute(
            "INSERT INTO warehouse_events(warehouse, order_reference, event, occurred_at, carrier, service,"
            " tracking_number) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                parcel["warehouse"],
                parcel["order_reference"],
                event,
                to_iso(at),
                CARRIER_NAME if labelled else None,
                parcel["service"] if labelled else None,
                parcel["tracking_number"] if labelled else None,
            ),
        )
        self.counts["warehouse_events"] += 1

    def _on_pick(self, at: datetime, payload: dict[str, Any]) -> None:
        parcel = self._parcel(payload["tracking"])
        order = self.order(parcel["order_key"])
        assert order is not None
        task = released_task(self.conn, order.key, at)
        # A released pick task decides the site; without one the 3PL routes as it always has.
        chosen = task.warehouse if task else warehouses.route(self.conn, order.lines, parcel["warehouse"], at)
        if chosen != parcel["warehouse"]:
            self.conn.execute(
                "UPDATE parcels SET warehouse = ? WHERE tracking_number = ?",
                (chosen, parcel["tracking_number"]),
            )
            parcel = self._parcel(payload["tracking"])
        warehouses.pick(self.conn, self.seed, chosen, order.lines, at, order.reference)
        self._warehouse_event(parcel, "pick_started", at, labelled=False)
        self.schedule(payload["packed"], "packed", parcel["tracking_number"], payload)

    def _on_packed(self, at: datetime, payload: dict[str, Any]) -> None:
        parcel = self._parcel(payload["tracking"])
        self._warehouse_event(parcel, "packed", at, labelled=True)
        self.schedule(payload["despatch"], "despatched", parcel["tracking_number"], payload)

    def _on_despatched(self, at: datetime, payload: dict[str, Any]) -> None:
        self._warehouse_event(self._parcel(payload["tracking"]), "despatched", at, labelled=True)

    def _on_scan(self, at: datetime, payload: dict[str, Any]) -> None:
        tracking, index = payload["tracking"], payload["step"]
        parcel = self._parcel(tracking)
        tracker, steps = self.plan(tracking)
        step = steps[index]
        site = warehouses.WAREHOUSES[parcel["warehouse"]]
        origin = {"city": site.city, "state": site.county, "country": "GB", "zip": site.outward}
        postcode = (parcel["postcode"] or "").strip().upper()
        destination = {
            "city": (parcel["city"] or "").strip().title() or None,
            "state": None,
            "country": "GB",
            "zip": postcode.split(" ")[0] if postcode else None,
        }
        self.conn.execute(
            "INSERT INTO tracker_events(id, tracker_id, step, at, status, status_detail, message,"
            " location_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                scan_event_id(self.seed, tracking, index),
                tracker,
                index,
                step["at"],
                step["status"],
                step["status_detail"],
                step["message"],
                json.dumps(scan_location(step["place"], origin, destination)),
            ),
        )
        self.counts["tracker_events"] += 1
        if step["status"] == "delivered" and parcel["order_key"]:
            self._after_delivery(parcel, at)
        if index + 1 < len(steps):
            self.schedule(steps[index + 1]["at"], "scan", tracking, {"tracking": tracking, "step": index + 1})

    def _after_delivery(self, parcel: sqlite3.Row, at: datetime) -> None:
        key = parcel["order_key"]
        seen = self.conn.execute("SELECT 1 FROM logistics_seen WHERE kind = 'aftercare' AND key = ?", (key,))
        if seen.fetchone() is not None:
            return  # only the first parcel of an order to arrive prompts a follow-up
        self.conn.execute("INSERT INTO logistics_seen(kind, key) VALUES ('aftercare', ?)", (key,))
        order = self.order(key)
        plan = plan_aftercare(stream("aftercare", self.seed, key), order, at) if order else None
        if plan is None:
            return
        received = to_iso(plan.received_at) if plan.received_at else None
        self.schedule(
            plan.reported_at, "ticket", key, {"order": key, "reason": plan.reason, "settled": received}
        )
        if plan.received_at is not None:
            self.schedule(
                plan.received_at,
                "return_received",
                key,
                {
                    "warehouse": parcel["warehouse"],
                    "reference": parcel["order_reference"],
                    "tracking": parcel["tracking_number"],
                    "items": [list(item) for item in plan.items],
                },
            )

    def _on_return_received(self, at: datetime, payload: dict[str, Any]) -> None:
        for sku, quantity, condition, outcome in payload["items"]:
            self.conn.execute(
                "INSERT INTO returns(warehouse, order_reference, tracking_number, sku, quantity, condition,"
                " outcome, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    payload["warehouse"],
                    payload["reference"],
                    payload["tracking"],
                    sku,
                    quantity,
                    condition,
                    outcome,
                    to_iso(at),
                ),
            )
            if outcome == "restocked":
                warehouses.restock(self.conn, payload["warehouse"], sku, quantity, at, payload["reference"])
            self.counts["returns"] += 1

    def _on_ticket(self, at: datetime, payload: dict[str, Any]) -> None:
        order = self.order(payload["order"])
        if order is None:
            return
        settled = parse_iso(payload["settled"]) if payload.get("settled") else None
        rng = stream("ticket", self.seed, order.key, payload["reason"], to_iso(at))
        create_ticket(self.conn, rng, order, payload["reason"], at, settled)
        self.counts["tickets"] += 1

    def _on_wismo_check(self, at: datetime, payload: dict[str, Any]) -> None:
        order = self.order(payload["order"])
        if order is None or not order.waiting:
            return
        delivered = self.conn.execute(
            "SELECT 1 FROM tracker_events e JOIN trackers t ON t.id = e.tracker_id"
            " JOIN parcels p ON p.tracking_number = t.tracking_code"
            " WHERE p.order_key = ? AND e.status = 'delivered' AND e.at <= ? LIMIT 1",
            (order.key, to_iso(at)),
        ).fetchone()
        chance = WISMO_RATE_DELIVERED if delivered else WISMO_RATE_LATE
        if stream("wismo", self.seed, order.key).random() >= chance:
            return
        arrivals = []
        for row in self.conn.execute(
            "SELECT t.plan_json FROM trackers t JOIN parcels p ON p.tracking_number = t.tracking_code"
            " WHERE p.order_key = ?",
            (order.key,),
        ):
            arrivals += [s["at"] for s in json.loads(row["plan_json"]) if s["status"] == "delivered"]
        later = sorted(a for a in arrivals if a > to_iso(at))
        settled = parse_iso(later[0]) if later and not delivered else None
        rng = stream("ticket", self.seed, order.key, "wismo", to_iso(at))
        create_ticket(self.conn, rng, order, "wismo", at, settled)
        self.counts["tickets"] += 1


def sync_logistics(conn: sqlite3.Connection, now: datetime) -> dict[str, int]:
    """Bring parcels, stock, trackers, returns and tickets up to `now`; counts of what was added."""
    return Logistics(conn, world_seed(conn), now).run()
