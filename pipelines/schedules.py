"""Routine ingestion every two minutes and a nightly full refresh that rebuilds the
incremental marts from scratch.

Two minutes keeps the average time from a new order to its label under the 2-minute target
(half the interval, the ingest run, half the sensor interval and the act run:
``make bench``, docs/PERFORMANCE.md) while the two runs use about a third of the single
writer's time; a quieter shop can slow it down."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, RunConfig, ScheduleDefinition

from pipelines.assets.transformation import DbtBuildConfig
from pipelines.jobs import full_pass_job, ingest_job

ingest_schedule = ScheduleDefinition(
    name="ingest_every_two_minutes",
    job=ingest_job,
    cron_schedule="*/2 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
)

FULL_REFRESH = DbtBuildConfig(full_refresh=True)

nightly_full_refresh_schedule = ScheduleDefinition(
    name="nightly_full_refresh",
    job=full_pass_job,
    cron_schedule="30 2 * * *",
    execution_timezone="Europe/London",
    run_config=RunConfig(
        ops={
            "dbt_before_python": FULL_REFRESH,
            "dbt_before_actions": FULL_REFRESH,
            "dbt_after_actions": FULL_REFRESH,
        }
    ),
    default_status=DefaultScheduleStatus.RUNNING,
)
