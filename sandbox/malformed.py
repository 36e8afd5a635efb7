"""Malformed records: what real APIs now and then hand out in breach of their own documentation, served
on purpose when `FaultConfig.malformed_every=k` is set on a running server (off by default).

Which records: the k-th, 2k-th, ... record of a system in creation order (WooCommerce orders by id,
Stripe events by their sequence, Zendesk tickets by id, Shopify orders by id). That is a property of
the record, not of the request, so the same records are broken, the same way, in every listing, page
and single fetch that serves them, and a re-run sees exactly what the first run saw. How, alternating
per system (the first broken record takes the first shape):

| System | Shapes |
|---|---|
| woocommerce (orders) | `date_created_gmt` "0000-00-00T00:00:00" (WordPress's zero date); `total` "" |
| stripe (events) | `created` missing; `data.object` null |
| zendesk (tickets) | `created_at` "not-a-date"; `id` null |
| shopify (orders, GraphQL) | `createdAt` "not-a-date"; `totalPriceSet.shopMoney.amount` "" |

Filters, sorting and cursors keep working on the record's real values. Every record served broken is
logged once, by its real id (Shopify: the order's gid), in the world's `malformed_served`, which
`stats` counts. Shopify orders are broken as they are resolved, so `orders` and `order(id:)` serve
them alike, and only the fields a query selects show it (a query without `createdAt` or
`totalPriceSet` gets a well-formed answer, though the order is still logged as served broken).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.faults import FaultConfig
from sandbox.world import opened

Record = dict[str, Any]
WOO_ZERO_DATE = "0000-00-00T00:00:00"


def _woo_zero_date(order: Record) -> None:
    order["date_created_gmt"] = WOO_ZERO_DATE


def _woo_empty_total(order: Record) -> None:
    order["total"] = ""


def _stripe_no_created(event: Record) -> None:
    event.pop("created", None)


def _stripe_null_object(event: Record) -> None:
    event["data"] = {**event.get("data", {}), "object": None}


def _zendesk_bad_date(ticket: Record) -> None:
    ticket["created_at"] = "not-a-date"


def _zendesk_null_id(ticket: Record) -> None:
    ticket["id"] = None


def _shopify_bad_date(order: Record) -> None:
    order["createdAt"] = "not-a-date"


def _shopify_empty_total(order: Record) -> None:
    bag = order["totalPriceSet"]
    order["totalPriceSet"] = {**bag, "shopMoney": {**bag["shopMoney"], "amount": ""}}


SHAPES: dict[str, tuple[tuple[str, Callable[[Record], None]], ...]] = {
    "woocommerce": (("date_created_gmt_zero", _woo_zero_date), ("total_empty", _woo_empty_total)),
    "stripe": (("created_missing", _stripe_no_created), ("data_object_null", _stripe_null_object)),
    "zendesk": (("created_at_invalid", _zendesk_bad_date), ("id_null", _zendesk_null_id)),
    "shopify": (("created_at_invalid", _shopify_bad_date), ("total_amount_empty", _shopify_empty_total)),
}
# (table, column giving creation order) per system.
SOURCES = {
    "woocommerce": ("woo_orders", "id"),
    "stripe": ("stripe_events", "seq"),
    "zendesk": ("zendesk_tickets", "id"),
    "shopify": ("orders", "id"),
}


class Malformer:
    """Breaks one system's chosen records as they are served, and logs them in the world."""

    def __init__(self, data_dir: Path, system: str, every: int):
        if system not in SHAPES:
            raise ValueError(f"no malformed shapes for {system}")
        if every < 1:
            raise ValueError("every must be >= 1")
        self.data_dir = Path(data_dir)
        self.system = system
        self.every = every

    @classmethod
    def configured(cls, config: FaultConfig | None, system: str, data_dir: Path) -> Malformer | None:
        """The malformer `config` asks for on `system`, or None."""
        if (
            config is None
            or config.malformed_every is None
            or system not in config.systems
            or system not in SHAPES
        ):
            return None
        return cls(data_dir, system, config.malformed_every)

    def shape(self, ordinal: int) -> tuple[str, Callable[[Record], None]] | None:
        """How the `ordinal`-th record (1-based, creation order) is broken, if it is."""
        if ordinal % self.every:
            return None
        shapes = SHAPES[self.system]
        return shapes[(ordinal // self.every - 1) % len(shapes)]

    def ordinals(self, conn: sqlite3.Connection, keys: Sequence[int]) -> dict[int, int]:
        """Creation-order position of each record key."""
        table, column = SOURCES[self.system]
        found: dict[int, int] = {}
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = conn.execute(
                f"SELECT k, n FROM (SELECT {column} AS k, ROW_NUMBER() OVER (ORDER BY {column}) AS n"
                f" FROM {table}) WHERE k IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update({int(r[0]): int(r[1]) for r in rows})
        return found

    def apply(
        self, conn: sqlite3.Connection, items: Sequence[tuple[int, str, Record]]
    ) -> list[tuple[str, str]]:
        """Break, in place, the chosen records among `items` (creation key, real record id, served
        record); returns (record id, shape) of those broken."""
        positions = self.ordinals(conn, [key for key, _, _ in items])
        broken = []
        for key, record_id, record in items:
            chosen = self.shape(positions[key]) if key in positions else None
            if chosen is not None:
                name, breaker = chosen
                breaker(record)
                broken.append((record_id, name))
        return broken

    def log(self, broken: Sequence[tuple[str, str]]) -> None:
        """Remember which records were served broken (each record once)."""
        if not broken:
            return
        at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        with opened(self.data_dir, write=True) as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO malformed_served(system, record_id, shape, first_served_at)"
                " VALUES (?, ?, ?, ?)",
                [(self.system, record_id, shape, at) for record_id, shape in broken],
            )
