"""The Dagster code location loaded by workspace.yaml."""

from __future__ import annotations

from dagster import Definitions

from orderloop.environment import configure_environment

configure_environment()

from pipelines.assets.actions import (  # noqa: E402
    cancellation_refunds,
    customer_notifications,
    label_bookings,
    pick_tasks,
    stock_pushes,
)
from pipelines.assets.ingestion import INGESTION_ASSETS  # noqa: E402
from pipelines.assets.order_files import order_file_lines  # noqa: E402
from pipelines.assets.publication import published_marts  # noqa: E402
from pipelines.assets.routing import order_routing  # noqa: E402
from pipelines.assets.rules import rule_versions  # noqa: E402
from pipelines.assets.transformation import (  # noqa: E402
    dbt_after_actions,
    dbt_before_actions,
    dbt_before_python,
    loaded_source_table_specs,
)
from pipelines.assets.validation import order_contact_checks  # noqa: E402
from pipelines.jobs import act_and_publish_job, full_pass_job, ingest_job  # noqa: E402
from pipelines.resources import build_resources  # noqa: E402
from pipelines.schedules import ingest_schedule, nightly_full_refresh_schedule  # noqa: E402
from pipelines.sensors import abandoned_run_sensor, label_booking_sensor  # noqa: E402

LOADERS = [*INGESTION_ASSETS, order_file_lines]

defs = Definitions(
    assets=[
        *LOADERS,
        rule_versions,
        # The rules' settings tables (rules.cutoffs, ...) are written by rule_versions.
        *loaded_source_table_specs([key for loader in [*LOADERS, rule_versions] for key in loader.keys]),
        dbt_before_python,
        order_contact_checks,
        order_routing,
        dbt_before_actions,
        label_bookings,
        stock_pushes,
        customer_notifications,
        cancellation_refunds,
        pick_tasks,
        dbt_after_actions,
        published_marts,
    ],
    jobs=[ingest_job, act_and_publish_job, full_pass_job],
    schedules=[ingest_schedule, nightly_full_refresh_schedule],
    sensors=[label_booking_sensor, abandoned_run_sensor],
    resources=build_resources(),
)
