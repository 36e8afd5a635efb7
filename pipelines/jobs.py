"""Jobs: routine ingestion, acting on what it found, and one whole pass."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from pipelines.assets.actions import (
    cancellation_refunds,
    customer_notifications,
    label_bookings,
    pick_tasks,
    stock_pushes,
)
from pipelines.assets.ingestion import INGESTION_ASSETS
from pipelines.assets.order_files import order_file_lines
from pipelines.assets.publication import published_marts
from pipelines.assets.routing import order_routing
from pipelines.assets.rules import rule_versions
from pipelines.assets.transformation import dbt_after_actions, dbt_before_actions, dbt_before_python
from pipelines.assets.validation import order_contact_checks

INGESTION = AssetSelection.assets(
    *INGESTION_ASSETS,
    order_file_lines,
    rule_versions,
    dbt_before_python,
    order_contact_checks,
    order_routing,
    dbt_before_actions,
)
ACTIONS_AND_MARTS = AssetSelection.assets(
    label_bookings,
    stock_pushes,
    customer_notifications,
    cancellation_refunds,
    pick_tasks,
    dbt_after_actions,
    published_marts,
)

# The schedule runs this; a materialized queue then wakes the action sensor.
ingest_job = define_asset_job(
    "ingest_job", selection=INGESTION, description="Load sources, build action queues."
)

act_and_publish_job = define_asset_job(
    "act_and_publish_job",
    selection=ACTIONS_AND_MARTS,
    description="Run the actions, rebuild the marts that read their ledger, publish for dashboards.",
)

full_pass_job = define_asset_job(
    "full_pass_job",
    selection=INGESTION | ACTIONS_AND_MARTS,
    description="One pass of the whole loop; what `orderloop run` executes.",
)
