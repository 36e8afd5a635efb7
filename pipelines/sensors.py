"""Sensors: the label-booking sensor, and the one that clears runs whose worker died.

Label booking: when a new label queue is built, book and publish.

The cursor is the storage id of the last queue materialization handled and the run key
is derived from it, so a repeated or retried tick never starts a second booking run for
the same queue (and the ledger makes each booking happen once even if it did).
"""

from dagster import (
    AssetRecordsFilter,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines.assets.actions import LABEL_BOOKING_QUEUE_KEY
from pipelines.jobs import act_and_publish_job
from pipelines.run_recovery import fail_abandoned_runs


@sensor(job=act_and_publish_job, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def label_booking_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    after = int(context.cursor) if context.cursor else None
    result = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=LABEL_BOOKING_QUEUE_KEY, after_storage_id=after),
        limit=1,
        ascending=False,
    )
    if not result.records:
        return SkipReason("label_booking_queue has not been rebuilt since the last booking run")
    latest = result.records[0].storage_id
    return SensorResult(
        run_requests=[
            RunRequest(run_key=f"label_booking_queue:{latest}", tags={"queue_storage_id": str(latest)})
        ],
        cursor=str(latest),
    )


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def abandoned_run_sensor(context: SensorEvaluationContext) -> SkipReason:
    """Fail runs whose worker was killed, so the DuckDB pool and the run queue move on."""
    failed = fail_abandoned_runs(context.instance)
    for run_id in failed:
        context.log.warning(f"run {run_id} lost its worker: marked failed, pool slot freed")
    return SkipReason(f"{len(failed)} abandoned run(s) failed" if failed else "no abandoned runs")
