"""The 3PL's file drops: per warehouse, CSV stock snapshots, fulfilment updates and returns received.

`write_feeds` writes whatever happened since its last call, as new files only (an old file is never
rewritten; a name already taken gets a `-<n>` suffix), and records in the world what it wrote:

    <landing>/<warehouse>/stock/<stamp>.csv       sku,location,on_hand,counted_at (06:00 London daily)
    <landing>/<warehouse>/fulfilment/<stamp>.csv  order_reference,event,occurred_at,carrier,service,
                                                  tracking_number
    <landing>/<warehouse>/returns/<stamp>.csv     order_reference,sku,quantity,condition,outcome,received_at

`<stamp>` is `YYYYMMDDTHHMMSSZ` (UTC): the count time for stock, the world clock for the other two.
Times are ISO 8601 as the sites write them: Leeds in London time with an offset, Bristol in UTC, and
about one row in seven with no offset at all (London time), as real 3PL exports do. With
`malformed_every=k` every k-th row of a call is written broken (negative on_hand, an unknown event,
a despatch without tracking number, or a timestamp that is not one), as the real ones sometimes are.
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sandbox.timeutil import LONDON, parse_iso, to_iso
from sandbox.warehouses import WAREHOUSES, bin_location, catalogue_skus, stock_at
from sandbox.working_days import london_datetime
from sandbox.world import opened, upgrade_world, world_now

HEADERS = {
    "stock": ["sku", "location", "on_hand", "counted_at"],
    "fulfilment": ["order_reference", "event", "occurred_at", "carrier", "service", "tracking_number"],
    "returns": ["order_reference", "sku", "quantity", "condition", "outcome", "received_at"],
}
COUNT_TIME = time(6, 0)
SITE_TIME_STYLE = {"leeds": "offset", "bristol": "utc"}
BAD_TIMES = ["04/11/2026 06:00", "2026-11-31T25:61:00", "not recorded", "2026-11-04 6am"]
UNKNOWN_EVENTS = ["picked", "dispatched", "shipped"]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def format_time(moment: datetime, warehouse: str, *identity: object) -> str:
    """A time as the site writes it; about one row in seven has no offset (London wall-clock time)."""
    digest = hashlib.sha256(":".join(str(p) for p in (warehouse, *identity)).encode()).digest()
    local = moment.astimezone(LONDON)
    if digest[0] % 7 == 0:
        return local.strftime("%Y-%m-%dT%H:%M:%S")
    if SITE_TIME_STYLE[warehouse] == "offset":
        return local.isoformat(timespec="seconds")
    return to_iso(moment)


class _Breaker:
    """Counts rows across one call and breaks every k-th one."""

    def __init__(self, every: int | None):
        self.every = every
        self.rows = 0
        self.broken = 0

    def __call__(self, feed: str, row: list[Any]) -> tuple[list[Any], bool]:
        self.rows += 1
        if self.every is None or self.rows % self.every:
            return row, False
        kinds = {"stock": ["on_hand", "time"], "returns": ["time"]}.get(feed, ["event", "time"])
        if feed == "fulfilment" and row[1] == "despatched":
            kinds = ["tracking", "event", "time"]
        kind = kinds[self.broken % len(kinds)]
        bad = list(row)
        if kind == "on_hand":
            bad[2] = -max(int(bad[2]), 1)
        elif kind == "tracking":
            bad[5] = ""
        elif kind == "event":
            bad[1] = UNKNOWN_EVENTS[self.broken % len(UNKNOWN_EVENTS)]
        else:
            bad[3 if feed == "stock" else 2 if feed == "fulfilment" else 5] = BAD_TIMES[
                self.broken % len(BAD_TIMES)
            ]
        self.broken += 1
        return bad, True


def _write_file(landing: Path, warehouse: str, feed: str, stamp: str, rows: list[list[Any]]) -> str:
    folder = landing / warehouse / feed
    folder.mkdir(parents=True, exist_ok=True)
    name, suffix = f"{stamp}.csv", 1
    while True:
        try:
            with (folder / name).open("x", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(HEADERS[feed])
                writer.writerows(rows)
            return f"{warehouse}/{feed}/{name}"
        except FileExistsError:
            name, suffix = f"{stamp}-{suffix}.csv", suffix + 1


def _counts_due(conn: sqlite3.Connection, warehouse: str, now: datetime) -> list[datetime]:
    opened_row = conn.execute("SELECT value FROM logistics_state WHERE key = 'stock_opened_at'").fetchone()
    if opened_row is None:
        return []
    last = conn.execute(
        "SELECT MAX(counted_at) FROM feed_files WHERE warehouse = ? AND feed = 'stock'", (warehouse,)
    ).fetchone()[0]
    if last is not None:
        day = parse_iso(last).astimezone(LONDON).date() + timedelta(days=1)
    else:
        day = parse_iso(opened_row[0]).astimezone(LONDON).date()
    due = []
    while (moment := london_datetime(day, COUNT_TIME)) <= now:
        due.append(moment)
        day += timedelta(days=1)
    return due


def _record(
    conn: sqlite3.Connection,
    warehouse: str,
    feed: str,
    path: str,
    now: datetime,
    counted: datetime | None,
    rows: int,
    broken: int,
) -> int:
    cursor = conn.execute(
        "INSERT INTO feed_files(warehouse, feed, path, written_at, counted_at, rows, malformed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (warehouse, feed, path, to_iso(now), to_iso(counted) if counted else None, rows, broken),
    )
    return int(cursor.lastrowid or 0)


def write_feeds(data_dir: Path, landing: Path, malformed_every: int | None = None) -> dict[str, Any]:
    """Write both warehouses' new stock, fulfilment and returns files under `landing`; counts and the
    relative paths of the files written."""
    if malformed_every is not None and malformed_every < 1:
        raise ValueError("malformed_every must be >= 1")
    upgrade_world(Path(data_dir))
    landing = Path(landing)
    breaker = _Breaker(malformed_every)
    totals = {"stock_rows": 0, "fulfilment_rows": 0, "returns_rows": 0}
    files: list[str] = []
    with opened(Path(data_dir), write=True) as conn:
        now = world_now(conn)
        skus = catalogue_skus(conn)
        for warehouse in WAREHOUSES:
            for counted in _counts_due(conn, warehouse, now):
                levels = stock_at(conn, warehouse, counted)
                rows, broken = [], 0
                for index, sku in enumerate(skus):
                    row = [
                        sku,
                        bin_location(warehouse, index),
                        levels.get(sku, 0),
                        format_time(counted, warehouse, "stock", sku, to_iso(counted)),
                    ]
                    row, bad = breaker("stock", row)
                    rows.append(row)
                    broken += bad
                path = _write_file(landing, warehouse, "stock", _stamp(counted), rows)
                _record(conn, warehouse, "stock", path, now, counted, len(rows), broken)
                files.append(path)
                totals["stock_rows"] += len(rows)

            events = conn.execute(
                "SELECT * FROM warehouse_events WHERE warehouse = ? AND file_id IS NULL AND occurred_at <= ?"
                " ORDER BY occurred_at, id",
                (warehouse, to_iso(now)),
            ).fetchall()
            if events:
                rows, broken = [], 0
                for event in events:
                    row = [
                        event["order_reference"],
                        event["event"],
                        format_time(parse_iso(event["occurred_at"]), warehouse, "fulfilment", event["id"]),
                        event["carrier"] or "",
                        event["service"] or "",
                        event["tracking_number"] or "",
                    ]
                    row, bad = breaker("fulfilment", row)
                    rows.append(row)
                    broken += bad
                path = _write_file(landing, warehouse, "fulfilment", _stamp(now), rows)
                file_id = _record(conn, warehouse, "fulfilment", path, now, None, len(rows), broken)
                conn.executemany(
                    "UPDATE warehouse_events SET file_id = ? WHERE id = ?",
                    [(file_id, e["id"]) for e in events],
                )
                files.append(path)
                totals["fulfilment_rows"] += len(rows)

            received = conn.execute(
                "SELECT * FROM returns WHERE warehouse = ? AND file_id IS NULL AND received_at <= ?"
                " ORDER BY received_at, id",
                (warehouse, to_iso(now)),
            ).fetchall()
            if received:
                rows, broken = [], 0
                for item in received:
                    row = [
                        item["order_reference"],
                        item["sku"],
                        item["quantity"],
                        item["condition"],
                        item["outcome"],
                        format_time(parse_iso(item["received_at"]), warehouse, "returns", item["id"]),
                    ]
                    row, bad = breaker("returns", row)
                    rows.append(row)
                    broken += bad
                path = _write_file(landing, warehouse, "returns", _stamp(now), rows)
                file_id = _record(conn, warehouse, "returns", path, now, None, len(rows), broken)
                conn.executemany(
                    "UPDATE returns SET file_id = ? WHERE id = ?", [(file_id, r["id"]) for r in received]
                )
                files.append(path)
                totals["returns_rows"] += len(rows)
    return {
        "files_written": len(files),
        "rows_written": breaker.rows,
        "malformed_rows_written": breaker.broken,
        **totals,
        "files": files,
    }
