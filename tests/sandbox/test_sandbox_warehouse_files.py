"""The 3PL's CSV file drops: layout, contents, incremental writing and deliberately broken rows."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sandbox_testkit import Client, booking_item, make_world, rows

from sandbox.cli import main
from sandbox.clock import advance
from sandbox.server import SandboxServer
from sandbox.stats import orders_missing_booking, world_stats
from sandbox.timeutil import LONDON
from sandbox.warehouse_files import write_feeds

HEADERS = {
    "stock": ["sku", "location", "on_hand", "counted_at"],
    "fulfilment": ["order_reference", "event", "occurred_at", "carrier", "service", "tracking_number"],
    "returns": ["order_reference", "sku", "quantity", "condition", "outcome", "received_at"],
}
TIME_COLUMN = {"stock": "counted_at", "fulfilment": "occurred_at", "returns": "received_at"}


def warehouse_world(path: Path) -> Path:
    """Twelve days of seed 8: long enough for returns to have reached both warehouses."""
    return make_world(path, seed=8, days=12)


def read(landing: Path, relative: str) -> tuple[list[str], list[dict[str, str]]]:
    with (landing / relative).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def problem(feed: str, row: dict[str, str]) -> str | None:
    """Why a row breaks the feed contract (as a loader would check it), or None."""
    try:
        datetime.fromisoformat(row[TIME_COLUMN[feed]])
    except ValueError:
        return "time"
    if feed == "stock" and int(row["on_hand"]) < 0:
        return "on_hand"
    if feed == "fulfilment":
        if row["event"] not in {"pick_started", "packed", "despatched"}:
            return "event"
        if row["event"] == "despatched" and not row["tracking_number"]:
            return "tracking"
    return None


def all_files(landing: Path) -> dict[str, bytes]:
    return {str(p.relative_to(landing)): p.read_bytes() for p in sorted(landing.rglob("*.csv"))}


def test_both_warehouses_write_three_feeds(tmp_path: Path) -> None:
    world, landing = warehouse_world(tmp_path / "w"), tmp_path / "landing"
    result = write_feeds(world, landing)
    files = result["files"]
    assert {tuple(f.split("/")[:2]) for f in files} == {
        (w, feed) for w in ("leeds", "bristol") for feed in HEADERS
    }
    assert all(
        re.fullmatch(r"(leeds|bristol)/(stock|fulfilment|returns)/\d{8}T\d{6}Z\.csv", f) for f in files
    )
    assert sorted(files) == sorted(all_files(landing))
    counts = {feed: 0 for feed in HEADERS}
    offsets = set()
    parcels = {r["tracking_number"]: r for r in rows(world, "SELECT * FROM parcels")}
    for relative in files:
        warehouse, feed, _ = relative.split("/")
        header, records = read(landing, relative)
        assert header == HEADERS[feed] and records
        counts[feed] += len(records)
        for record in records:
            assert problem(feed, record) is None, record
            offsets.add(datetime.fromisoformat(record[TIME_COLUMN[feed]]).tzinfo is not None)
        if feed == "stock":
            counted = datetime.strptime(relative[-20:-4], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            assert len(records) == 40 and counted.astimezone(LONDON).hour == 6  # 06:00 London, BST or not
        if feed == "fulfilment":
            for record in records:
                if record["event"] == "pick_started":
                    continue
                parcel = parcels[record["tracking_number"]]
                assert (record["carrier"], record["service"]) == ("Royal Mail", parcel["service"])
                assert (
                    parcel["order_reference"] == record["order_reference"]
                    and parcel["warehouse"] == warehouse
                )
        if feed == "returns":
            for record in records:
                assert record["condition"] in {"as_new", "opened", "damaged"}
                assert record["outcome"] in {"restocked", "written_off"} and int(record["quantity"]) >= 1
    assert offsets == {True, False}  # most rows carry an offset, some are London wall-clock time
    assert counts == {f"{feed}": result[f"{feed}_rows"] for feed in HEADERS}
    assert result["rows_written"] == sum(counts.values()) and result["malformed_rows_written"] == 0
    stock = [r for f in files if "/stock/" in f for r in read(landing, f)[1]]
    assert any(r["on_hand"] == "0" for r in stock)  # stockouts happen
    events = [r for f in files if "/fulfilment/" in f for r in read(landing, f)[1]]
    despatched = {r["order_reference"] for r in events if r["event"] == "despatched"}
    shop_orders = {
        r["name"] for r in rows(world, "SELECT name FROM orders WHERE fulfillment_status = 'FULFILLED'")
    }
    assert shop_orders <= despatched and any(not ref.startswith("#") for ref in despatched)
    stats = world_stats(world)["warehouses"]
    assert stats == {key: result[key] for key in stats} and stats["files_written"] == len(files)


def test_only_new_files_are_written(tmp_path: Path) -> None:
    world, landing = warehouse_world(tmp_path / "w"), tmp_path / "landing"
    first = write_feeds(world, landing)
    before = all_files(landing)
    assert write_feeds(world, landing)["files_written"] == 0 and all_files(landing) == before

    name = orders_missing_booking(world)[0]
    with SandboxServer(world) as server:
        booked = Client(server).book([booking_item(name)]).json()["createdOrders"][0]
    advance(world, 20)  # collected at 16:00, then the next morning's count
    second = write_feeds(world, landing)
    after = all_files(landing)
    assert {k: after[k] for k in before} == before  # old files untouched
    assert sorted(set(after) - set(before)) == sorted(second["files"]) and second["files_written"] > 0
    stock = [f for f in second["files"] if "/stock/" in f]
    assert sorted(stock) == ["bristol/stock/20261105T060000Z.csv", "leeds/stock/20261105T060000Z.csv"]
    new_events = [
        (f.split("/")[0], r) for f in second["files"] if "/fulfilment/" in f for r in read(landing, f)[1]
    ]
    assert [r["event"] for _, r in new_events] == ["pick_started", "packed", "despatched"]
    assert {r["order_reference"] for _, r in new_events} == {name}
    assert new_events[-1][1]["tracking_number"] == booked["trackingNumber"]
    old_refs = {
        r["order_reference"] for f in first["files"] if "/fulfilment/" in f for r in read(landing, f)[1]
    }
    assert name not in old_refs
    assert (
        world_stats(world)["warehouses"]["files_written"] == first["files_written"] + second["files_written"]
    )


@pytest.mark.parametrize("every", [1, 7])
def test_malformed_rows(tmp_path: Path, every: int) -> None:
    world, landing = warehouse_world(tmp_path / "w"), tmp_path / "landing"
    result = write_feeds(world, landing, malformed_every=every)
    found: dict[str, int] = {}
    for relative in result["files"]:
        feed = relative.split("/")[1]
        for record in read(landing, relative)[1]:
            kind = problem(feed, record)
            if kind:
                found[kind] = found.get(kind, 0) + 1
    assert result["malformed_rows_written"] == result["rows_written"] // every == sum(found.values())
    assert set(found) == {"time", "on_hand", "event", "tracking"}
    assert world_stats(world)["warehouses"]["malformed_rows_written"] == result["malformed_rows_written"]


def test_files_are_deterministic_and_the_cli_writes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results: list[dict[str, Any]] = []
    for name in ("a", "b"):
        world = warehouse_world(tmp_path / name)
        assert main(["--data-dir", str(world), "write-feeds", "--landing", str(tmp_path / f"{name}-landing"),
                     "--malformed-every", "9"]) == 0  # fmt: skip
        results.append(json.loads(capsys.readouterr().out))
    assert results[0] == results[1] and results[0]["malformed_rows_written"] > 0
    assert all_files(tmp_path / "a-landing") == all_files(tmp_path / "b-landing")
    other = write_feeds(make_world(tmp_path / "c", seed=9, days=12), tmp_path / "c-landing")
    assert all_files(tmp_path / "c-landing") != all_files(tmp_path / "a-landing") and other["files_written"]
