"""Freshness of the sources: a source no pass has loaded for a while is flagged.

The schedule loads every source every two minutes, so a source not materialized for
`SOURCE_FAIL_AFTER` is stuck (an API down, failing runs) and shows as failing freshness in
the Dagster UI (a warning from `SOURCE_WARN_AFTER`). dbt's tests appear as asset checks of
the models they test (dagster-dbt's default).
"""

from __future__ import annotations

from datetime import timedelta

from dagster import FreshnessPolicy

SOURCE_WARN_AFTER = timedelta(minutes=15)
SOURCE_FAIL_AFTER = timedelta(minutes=30)
SOURCE_FRESHNESS = FreshnessPolicy.time_window(fail_window=SOURCE_FAIL_AFTER, warn_window=SOURCE_WARN_AFTER)
