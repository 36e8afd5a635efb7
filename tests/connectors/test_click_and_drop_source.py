"""Click & Drop shipments loaded back from the sandbox's GET /orders, incrementally."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs

import duckdb

from connectors.click_and_drop.source import click_and_drop_source
from connectors.destination import warehouse_pipeline
from sandbox.request_log import requests_seen
from sandbox.stats import world_stats


def _shipments(paths) -> int:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute("select count(*) from raw_click_and_drop.shipments").fetchone()[0]


def test_loads_every_accepted_booking_once_with_tracking(world, sandbox_url):
    pipeline = warehouse_pipeline("click_and_drop", world.warehouse, world.dlt_pipelines)
    pipeline.run(click_and_drop_source(page_size=25))
    accepted = world_stats(world.sandbox)["click_and_drop"]["bookings_accepted"]
    assert accepted > 25, "enough bookings to need several pages"
    assert _shipments(world) == accepted
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        missing = conn.execute(
            "select count(*) from raw_click_and_drop.shipments where tracking_number is null"
        ).fetchone()[0]
    assert missing == 0

    first_run = requests_seen(world.sandbox, system="click_and_drop")
    pipeline.run(click_and_drop_source(page_size=25))
    assert _shipments(world) == accepted, "a second run duplicates nothing"
    second_run = requests_seen(world.sandbox, system="click_and_drop", after_id=first_run[-1]["id"])
    start = parse_qs(second_run[0]["query"])["startDateTime"][0]
    newest = max(datetime.fromisoformat(r.replace("Z", "+00:00")) for r in _created_on(world))
    # The second run asks only for the last week before the newest shipment it has (the lookback).
    assert datetime.fromisoformat(start.replace("Z", "+00:00")) == newest - timedelta(days=7)


def _created_on(paths) -> list[str]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        rows = conn.execute("select strftime(created_on at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ')"
                            " from raw_click_and_drop.shipments").fetchall()
    return [row[0] for row in rows]
