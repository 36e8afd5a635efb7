"""The published read-only copy of the marts, the last step of every pass."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from pipelines.assets.actions import (
    cancellation_refunds,
    customer_notifications,
    label_bookings,
    stock_pushes,
)
from pipelines.assets.ingestion import WRITER_POOL
from pipelines.assets.transformation import dbt_after_actions
from pipelines.publishing import publish_marts
from pipelines.resources import WarehouseResource


@asset(
    deps=[dbt_after_actions, label_bookings, stock_pushes, customer_notifications, cancellation_refunds],
    group_name="publication",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    description="Read-only copy of the marts that dashboards and analysts query while the pipeline writes.",
)
def published_marts(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    counts = publish_marts(warehouse.warehouse_path, warehouse.published, run_id=context.run_id)
    return MaterializeResult(metadata={"path": str(warehouse.published), **{k: v for k, v in counts.items()}})
