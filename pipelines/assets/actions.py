"""Reverse-ETL actions as assets: each materialization is one pass over its queue."""

from typing import Any

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from connectors.click_and_drop import ClickAndDropClient
from connectors.postmark import PostmarkClient
from connectors.shopify.inventory import ShopifyInventory
from connectors.stripe.refunds import StripeRefunds
from connectors.three_pl import PickBatchClient
from connectors.woocommerce.products import WooCommerceProducts
from pipelines.actions.label_booking import book_labels
from pipelines.actions.ledger import LabelBookingLedger
from pipelines.actions.notification_ledger import NotificationLedger
from pipelines.actions.notifications import send_notifications
from pipelines.actions.pick_task_ledger import PickTaskLedger
from pipelines.actions.pick_tasks import release_pick_tasks
from pipelines.actions.refund_ledger import RefundLedger
from pipelines.actions.refunds import refund_cancelled_orders
from pipelines.actions.stock_channels import ShopifyStock, WooCommerceStock
from pipelines.actions.stock_ledger import StockPushLedger
from pipelines.actions.stock_sync import sync_stock
from pipelines.assets.ingestion import WRITER_POOL
from pipelines.resources import WarehouseResource


def read_queue(conn: Any, queue: str, order_by: str) -> list[dict[str, Any]]:
    """All rows of an action queue mart, as dicts, in a stable order."""
    cursor = conn.execute(f"select * from marts.{queue} order by {order_by}")
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


LABEL_BOOKINGS_KEY = AssetKey(["actions", "label_bookings"])
LABEL_BOOKING_QUEUE_KEY = AssetKey(["marts", "label_booking_queue"])
STOCK_PUSHES_KEY = AssetKey(["actions", "stock_pushes"])
STOCK_SYNC_QUEUE_KEY = AssetKey(["marts", "stock_sync_queue"])
NOTIFICATIONS_KEY = AssetKey(["actions", "notifications"])
NOTIFICATION_QUEUE_KEY = AssetKey(["marts", "notification_queue"])
REFUNDS_KEY = AssetKey(["actions", "refunds"])
REFUND_QUEUE_KEY = AssetKey(["marts", "refund_queue"])
PICK_TASKS_KEY = AssetKey(["actions", "pick_tasks"])
PICK_TASK_QUEUE_KEY = AssetKey(["marts", "pick_task_queue"])


@asset(
    key=LABEL_BOOKINGS_KEY,
    deps=[LABEL_BOOKING_QUEUE_KEY],
    group_name="actions",
    kinds={"python", "duckdb"},
    pool=WRITER_POOL,
    description="Click & Drop labels booked for the label_booking_queue, recorded in the action ledger.",
)
def label_bookings(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    client = ClickAndDropClient.from_config()
    with warehouse.connect() as conn:
        ledger = LabelBookingLedger(conn)
        queue = read_queue(conn, "label_booking_queue", "placed_at, order_id")
        summary = book_labels(queue, ledger, client)
        totals = ledger.counts()
    for rejection in summary.rejections:
        context.log.warning(f"label booking rejected: {rejection}")
    return MaterializeResult(
        metadata={
            "queued": len(queue),
            "booked": summary.booked,
            "rejected": summary.rejected,
            "skipped_already_booked": summary.skipped_already_booked,
            "skipped_already_rejected": summary.skipped_already_rejected,
            "held_invalid_address": summary.held_invalid_address,
            "held_invalid_phone": summary.held_invalid_phone,
            "held_payment_review": summary.held_payment_review,
            "held_fraud_score": summary.held_fraud_score,
            "held_no_stock": summary.held_no_stock,
            "ledger_booked_total": totals.get("booked", 0),
            "ledger_failed_total": totals.get("failed", 0),
        }
    )


@asset(
    key=STOCK_PUSHES_KEY,
    deps=[STOCK_SYNC_QUEUE_KEY],
    group_name="actions",
    kinds={"python", "duckdb"},
    pool=WRITER_POOL,
    description="Available-to-sell pushed to Shopify (per location) and WooCommerce when it changed.",
)
def stock_pushes(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    channels = {
        "shopify": ShopifyStock(ShopifyInventory.from_config()),
        "woocommerce": WooCommerceStock(WooCommerceProducts.from_config()),
    }
    with warehouse.connect() as conn:
        ledger = StockPushLedger(conn)
        queue = read_queue(conn, "stock_sync_queue", "channel, sku, location")
        summary = sync_stock(queue, ledger, channels)
    for skipped in summary.skipped[:20]:
        context.log.warning(f"stock push skipped: {skipped}")
    return MaterializeResult(
        metadata={
            "queued": len(queue),
            "pushed": summary.pushed,
            "unchanged": summary.unchanged,
            "already_applied": summary.already_applied,
            "skipped": len(summary.skipped),
        }
    )


@asset(
    key=NOTIFICATIONS_KEY,
    deps=[NOTIFICATION_QUEUE_KEY],
    group_name="actions",
    kinds={"python", "duckdb"},
    pool=WRITER_POOL,
    description=(
        "Order confirmations, despatch, delivery and exception emails sent through Postmark, each once,"
        " as the notification rules in force decide."
    ),
)
def customer_notifications(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    client = PostmarkClient.from_config()
    with warehouse.connect() as conn:
        ledger = NotificationLedger(conn)
        queue = read_queue(conn, "notification_queue", "occurred_at, kind, order_id")
        summary = send_notifications(queue, ledger, client)
    for failure in summary.failures[:20]:
        context.log.warning(f"notification not sent: {failure}")
    return MaterializeResult(
        metadata={
            "queued": len(queue),
            "sent": summary.sent,
            "already_sent": summary.already_sent,
            "recovered_after_crash": summary.recovered,
            "not_in_rules": summary.not_in_rules,
            "waiting_to_look_up": summary.waiting,
            "refused": summary.refused,
            "refused_before": summary.refused_before,
            "failed": len(summary.failures),
        }
    )


@asset(
    key=REFUNDS_KEY,
    deps=[REFUND_QUEUE_KEY],
    group_name="actions",
    kinds={"python", "duckdb"},
    pool=WRITER_POOL,
    description="Stripe refunds for cancelled orders, each requested once with an Idempotency-Key.",
)
def cancellation_refunds(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    stripe = StripeRefunds.from_config()
    with warehouse.connect() as conn:
        ledger = RefundLedger(conn)
        queue = read_queue(conn, "refund_queue", "cancelled_at, order_id")
        summary = refund_cancelled_orders(queue, ledger, stripe)
    for failure in summary.failures:
        context.log.warning(f"refund refused: {failure}")
    return MaterializeResult(
        metadata={
            "queued": len(queue),
            "refunded": summary.refunded,
            "replayed": summary.replayed,
            "already_done": summary.already_done,
            "refused": len(summary.failures),
        }
    )


@asset(
    key=PICK_TASKS_KEY,
    deps=[PICK_TASK_QUEUE_KEY],
    group_name="actions",
    kinds={"python", "duckdb"},
    pool=WRITER_POOL,
    description="Routed orders released to their warehouse as pick batches (pick list and packing slips "
    "as PDF), each order once.",
)
def pick_tasks(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    client = PickBatchClient.from_config()
    with warehouse.connect() as conn:
        ledger = PickTaskLedger(conn)
        queue = read_queue(conn, "pick_task_queue", "warehouse_id, order_id, line_id")
        summary = release_pick_tasks(queue, ledger, client)
        totals = ledger.counts()
    for aside in summary.set_aside[:20]:
        context.log.warning(f"pick task kept aside: {aside}")
    for failure in summary.failures[:20]:
        context.log.warning(f"pick task refused: {failure}")
    return MaterializeResult(
        metadata={
            "queued_lines": len(queue),
            "batches_sent": summary.batches_sent,
            "released": summary.released,
            "already_released": summary.already_released,
            "declined_already_picked": summary.declined,
            "recovered_batches": summary.recovered_batches,
            "replayed_batches": summary.replayed_batches,
            "already_done": summary.already_done,
            "set_aside": len(summary.set_aside),
            "refused": len(summary.failures),
            "ledger_released_total": totals.get("released", 0),
        }
    )
