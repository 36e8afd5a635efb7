"""The label-booking sensor: when a new label queue is built, book and publish.

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
