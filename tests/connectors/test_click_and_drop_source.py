"""Click & Drop shipments loaded back from the sandbox's GET /orders, incrementally."""

from __future__ import annotations

import duckdb

from connectors.click_and_drop.source import click_and_drop_source
from connectors.destination import warehouse_pipeline
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

    pipeline.run(click_and_drop_source(page_size=25))
    assert _shipments(world) == accepted, "a second run duplicates nothing"
