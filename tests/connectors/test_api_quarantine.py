"""Malformed records served by the sandbox's APIs are quarantined with a reason; everything else loads."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from connectors.destination import warehouse_pipeline
from connectors.stripe import stripe_source
from connectors.zendesk import zendesk_source
from orderloop.sandbox_mode import sources_pointing_at
from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from tests.connectors.support import warehouse_scalar

# WooCommerce is kept aside by staging instead (see the last test): its dependent
# notes/refunds resources cannot take a quarantined parent record.
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


def test_malformed_woocommerce_orders_are_kept_aside_by_staging(world, tmp_path):
    """WooCommerce's dependent resources cannot take a quarantined parent, so the malformed
    order lands raw and staging keeps it out of the lifecycle, with a reason."""
    import os
    import subprocess

    from connectors.woocommerce import woocommerce_source
    from orderloop.paths import DBT_PROJECT_DIR

    faults = FaultConfig(malformed_every=4, systems=("woocommerce",))
    with SandboxServer(world.sandbox, faults=faults) as server, sources_pointing_at(server.url):
        warehouse_pipeline("woocommerce", world.warehouse, world.dlt_pipelines).run(woocommerce_source())
    env = {**os.environ, "ORDERLOOP_WAREHOUSE": str(world.warehouse)}
    dbt = [str(Path(sys.executable).parent / "dbt"), "build", "--select", "staging.woocommerce",
           "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(tmp_path / "target")]
    result = subprocess.run(dbt, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:]
    stats = world_stats(world.sandbox)
    malformed = stats["faults"]["malformed_served"]["woocommerce"]
    kept_aside = warehouse_scalar(world, "select count(*) from staging.stg_woocommerce__quarantined_orders")
    staged = warehouse_scalar(world, "select count(*) from staging.stg_woocommerce__orders")
    assert kept_aside == malformed > 0
    assert staged + kept_aside == stats["woocommerce"]["orders_total"]
