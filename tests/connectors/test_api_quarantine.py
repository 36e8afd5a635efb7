"""Malformed records served by the sandbox's APIs are quarantined with a reason; everything else loads."""

from __future__ import annotations

import pytest

from connectors.destination import warehouse_pipeline
from connectors.stripe import stripe_source
from connectors.zendesk import zendesk_source
from orderloop.sandbox_mode import sources_pointing_at
from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from tests.connectors.support import warehouse_scalar

# WooCommerce is not here yet: its dependent notes/refunds resources cannot take a
# quarantined parent record; a malformed order currently lands with dlt variant columns.
SOURCES = {
    # system: (build source, main table, stats of the records the sandbox holds)
    "stripe": (lambda: stripe_source(event_types=[]), "events", lambda s: s["stripe"]["events_total"]),
    "zendesk": (lambda: zendesk_source(), "tickets", lambda s: s["zendesk"]["tickets_total"]),
}


@pytest.mark.parametrize("system", sorted(SOURCES))
def test_malformed_records_are_quarantined_and_the_rest_loads(world, system):
    build, table, total = SOURCES[system]
    faults = FaultConfig(malformed_every=4, systems=(system,))
    with SandboxServer(world.sandbox, faults=faults) as server, sources_pointing_at(server.url):
        pipeline = warehouse_pipeline(system, world.warehouse, world.dlt_pipelines)
        pipeline.run(build())
        pipeline.run(build())  # a re-run neither loads nor quarantines anything twice
    stats = world_stats(world.sandbox)
    malformed = stats["faults"]["malformed_served"][system]
    assert malformed > 0
    quarantined = warehouse_scalar(world, f"select count(*) from raw_{system}.quarantine")
    loaded = warehouse_scalar(world, f"select count(*) from raw_{system}.{table}")
    assert quarantined == malformed
    assert loaded + quarantined == total(stats)
    reasons = warehouse_scalar(world, f"select count(*) from raw_{system}.quarantine where reason is null")
    assert reasons == 0
