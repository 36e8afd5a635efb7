"""Routine ingestion. In the demo it runs every five minutes; a real shop can slow it down."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from pipelines.jobs import ingest_job

ingest_schedule = ScheduleDefinition(
    name="ingest_every_five_minutes",
    job=ingest_job,
    cron_schedule="*/5 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
)
