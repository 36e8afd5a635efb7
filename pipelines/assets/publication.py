"""The published read-only copy of the marts, the last step of every pass."""

from datetime import UTC, datetime

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

from pipelines.assets.actions import (
    cancellation_refunds,
    customer_notifications,
    label_bookings,
    stock_pushes,
)
from pipelines.assets.ingestion import WRITER_POOL
from pipelines.assets.transformation import dbt_after_actions
from pipelines.check_results import collect_check_results
from pipelines.publishing import publish_marts
from pipelines.resources import WarehouseResource


def code_location_graph() -> BaseAssetGraph:
    """Every asset and check of the code location. Not the run's job: it holds only its selection
    (act_and_publish_job has no source assets), and a job executed in process (``orderloop run``)
    has no repository on its context."""
    from pipelines.definitions import defs  # late: the definitions import this module

    return defs.resolve_asset_graph()


@asset(
    deps=[dbt_after_actions, label_bookings, stock_pushes, customer_notifications, cancellation_refunds],
    group_name="publication",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    description=(
        "Read-only copy of the marts that dashboards and analysts query while the pipeline writes, "
        "with the latest result of every data check (marts.pipeline_checks)."
    ),
)
def published_marts(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    # Runs after dbt's tests of this pass, so their results are already in the instance.
    checks = collect_check_results(context.instance, code_location_graph(), datetime.now(UTC))
    counts = publish_marts(
        warehouse.warehouse_path, warehouse.published, run_id=context.run_id, checks=checks
    )
    failing = sum(not check.passed for check in checks)
    return MaterializeResult(
        metadata={"path": str(warehouse.published), "failing_checks": failing, **dict(counts)}
    )
