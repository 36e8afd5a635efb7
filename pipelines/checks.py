"""Freshness checks on the sources: a source no pass has loaded for a while is flagged.

The schedule loads every source every five minutes, so a source that has not been
materialized for `SOURCE_FRESHNESS` is stuck (an API down, a failing run) and its check
fails in the Dagster UI. dbt's tests appear as asset checks of the models they test
(dagster-dbt's default).
"""

from __future__ import annotations

from datetime import timedelta

from dagster import build_last_update_freshness_checks, build_sensor_for_freshness_checks

from pipelines.assets.ingestion import INGESTION_ASSETS
from pipelines.assets.order_files import order_file_lines

SOURCE_FRESHNESS = timedelta(minutes=30)

source_freshness_checks = build_last_update_freshness_checks(
    assets=[*INGESTION_ASSETS, order_file_lines],
    lower_bound_delta=SOURCE_FRESHNESS,
)

freshness_sensor = build_sensor_for_freshness_checks(
    freshness_checks=source_freshness_checks,
    name="source_freshness_sensor",
)
