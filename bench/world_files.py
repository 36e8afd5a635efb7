"""A bench world of N orders as Parquet files, in the shapes orderloop's connectors land.

The sandbox simulates one merchant order by order in Python, which is right for the demo and
far too slow for 10 million orders. This writes the same raw tables in one DuckDB SQL pass per
table instead: Shopify orders with their nested lists as dlt lands them (child tables joined
by ``_dlt_parent_id``) and the carrier's EasyPost tracker events. Those are what ``fct_orders``
and ``kpi_daily`` need (placement, payment, despatch, delivery, cancellation); every other
source is left for ``dbt build`` to find missing or empty, as on a merchant's first run.

Every value is a function of the order number (DuckDB's ``hash``), so a world is the same on
every run and the limit, the peer and orderloop all read identical files. A world is written
in batches (``batch=000``, ``batch=001``, ...): the first is the history, later ones are new
orders for the incremental run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

# The world's first order; orders are spread evenly from here over HISTORY_DAYS.
WORLD_START = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY_DAYS = 180

# Source schema -> the raw tables the bench writes for it (dlt's table names).
TABLES: dict[str, tuple[str, ...]] = {
    "shopify": (
        "orders",
        "orders__line_items",
        "orders__transactions",
        "orders__fulfillments",
        "orders__fulfillments__tracking_info",
    ),
    "easypost": ("tracker_events",),
}


@dataclass(frozen=True)
class WorldBatch:
    """Orders numbered ``first`` to ``first + count - 1``, placed over ``days`` from ``start``."""

    first: int
    count: int
    start: datetime
    days: float

    @property
    def seconds_between_orders(self) -> float:
        return self.days * 86400 / self.count

    @property
    def end(self) -> datetime:
        """The world's clock at the end of the batch: nothing happens after it."""
        return datetime.fromtimestamp(self.start.timestamp() + self.days * 86400, tz=UTC)


def batch_folder(world: Path, number: int) -> Path:
    return world / f"batch={number:03d}"


def _orders_sql(batch: WorldBatch) -> str:
    """One row per order with its fate decided by hashes of the order number."""
    return f"""
    with numbered as (
        select range as n from range({batch.first}, {batch.first + batch.count})
    ),
    timed as (
        select
            n,
            timestamptz '{batch.start.isoformat()}'
                + to_microseconds(
                    cast((n - {batch.first}) * {batch.seconds_between_orders} * 1e6 as bigint)
                )
                as placed_at,
            cast(hash(n, 'fate') % 100 as bigint) as fate,
            cast(1 + hash(n, 'lines') % 3 as bigint) as line_count,
            cast(4 + hash(n, 'cycle') % 68 as bigint) as despatch_hours,
            cast(18 + hash(n, 'transit') % 54 as bigint) as delivery_hours
        from numbered
    )
    select
        n,
        placed_at,
        line_count,
        fate < 2 as is_cancelled,
        case when fate >= 2 then placed_at + interval 30 minute end as paid_at,
        case when fate >= 2 then placed_at + to_hours(despatch_hours) end as despatch_at,
        case when fate >= 2 then placed_at + to_hours(despatch_hours + delivery_hours) end as delivery_at
    from timed
    """


def _write(conn: duckdb.DuckDBPyConnection, sql: str, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn.execute(f"copy ({sql}) to '{path}' (format parquet, compression zstd)")
    return conn.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]


def write_batch(world: Path, number: int, batch: WorldBatch, load_id: str | None = None) -> dict[str, int]:
    """Write one batch's raw tables; returns rows per ``source.table``."""
    folder = batch_folder(world, number)
    end = f"timestamptz '{batch.end.isoformat()}'"
    load_id = load_id or f"{1_700_000_000 + number}.000001"
    conn = duckdb.connect()
    conn.execute("set timezone = 'UTC'")
    conn.execute(f"create temp table o as select * from ({_orders_sql(batch)})")
    # What the world's clock has seen by its end: later milestones have not happened yet.
    conn.execute(f"""
        create temp table seen as select
            n, placed_at, line_count, is_cancelled,
            case when paid_at <= {end} then paid_at end as paid_at,
            case when despatch_at <= {end} then despatch_at end as despatch_at,
            case when delivery_at <= {end} then delivery_at end as delivery_at
        from o
    """)
    rows: dict[str, int] = {}
    shopify = folder / "shopify"
    rows["shopify.orders"] = _write(conn, f"""
        select
            case when is_cancelled then placed_at + interval 2 hour end as cancelled_at,
            case when is_cancelled then 'CUSTOMER' end as cancel_reason,
            placed_at as processed_at,
            'customer' || n || '@example.com' as email,
            '+447700900' || lpad(cast(n % 1000 as varchar), 3, '0') as phone,
            'Customer ' || n as shipping_address__name,
            (1 + n % 200) || ' High Street' as shipping_address__address1,
            cast(null as varchar) as shipping_address__address2,
            'Leeds' as shipping_address__city,
            cast(null as varchar) as shipping_address__phone,
            'LS1 4AP' as shipping_address__zip,
            'GB' as shipping_address__country_code_v2,
            cast(10 + line_count * 19.99 + 3.99 as decimal(38, 9)) as total_price_set__shop_money__amount,
            cast(10 + line_count * 19.99 as decimal(38, 9)) as subtotal_price_set__shop_money__amount,
            cast(3.99 as decimal(38, 9)) as total_shipping_price_set__shop_money__amount,
            'gid://shopify/Order/' || n as id,
            cast(n as varchar) as legacy_resource_id,
            '#' || n as name,
            placed_at as created_at,
            greatest(placed_at, coalesce(delivery_at, despatch_at, paid_at, placed_at)) as updated_at,
            delivery_at is not null as closed,
            'GBP' as currency_code,
            case when is_cancelled then 'VOIDED' when paid_at is null then 'AUTHORIZED' else 'PAID' end
                as display_financial_status,
            case when despatch_at is null then 'UNFULFILLED' else 'FULFILLED' end
                as display_fulfillment_status,
            'GB' as shipping_address__country,
            'gid://shopify/Customer/' || n as customer__id,
            'Customer' as customer__first_name,
            cast(n as varchar) as customer__last_name,
            'customer' || n || '@example.com' as customer__email,
            cast(null as varchar) as customer__phone,
            'GBP' as total_shipping_price_set__shop_money__currency_code,
            'GBP' as subtotal_price_set__shop_money__currency_code,
            'GBP' as total_price_set__shop_money__currency_code,
            '{load_id}' as _dlt_load_id,
            'o' || n as _dlt_id
        from seen
    """, shopify / "orders.parquet")
    rows["shopify.orders__line_items"] = _write(conn, """
        select
            'gid://shopify/LineItem/' || n || '-' || k as id,
            'SKU-' || lpad(cast(hash(n, k) % 500 as varchar), 3, '0') as sku,
            cast(1 + hash(n, k, 'qty') % 3 as bigint) as quantity,
            'Product ' || (hash(n, k) % 500) as title,
            '{"amount": "19.99", "currencyCode": "GBP"}' as original_unit_price_set__shop_money,
            'o' || n as _dlt_root_id,
            'o' || n as _dlt_parent_id,
            cast(k as bigint) as _dlt_list_idx,
            'l' || n || '-' || k as _dlt_id
        from seen, range(3) as lines(k)
        where k < line_count
    """, shopify / "orders__line_items.parquet")
    rows["shopify.orders__transactions"] = _write(conn, """
        select
            'gid://shopify/OrderTransaction/' || n || '-' || k as id,
            kind,
            'SUCCESS' as status,
            happened_at as processed_at,
            happened_at as created_at,
            'shopify_payments' as gateway,
            '{"amount": "29.99", "currencyCode": "GBP"}' as amount_set__shop_money,
            'o' || n as _dlt_root_id,
            'o' || n as _dlt_parent_id,
            cast(k as bigint) as _dlt_list_idx,
            't' || n || '-' || k as _dlt_id
        from (
            select n, 0 as k, 'AUTHORIZATION' as kind, placed_at + interval 1 minute as happened_at from seen
            union all
            select n, 1, 'CAPTURE', paid_at from seen where paid_at is not null
            union all
            select n, 1, 'VOID', placed_at + interval 2 hour from seen where is_cancelled
        )
    """, shopify / "orders__transactions.parquet")
    rows["shopify.orders__fulfillments"] = _write(conn, """
        select
            'gid://shopify/Fulfillment/' || n as id,
            'SUCCESS' as status,
            despatch_at as created_at,
            despatch_at as updated_at,
            'o' || n as _dlt_root_id,
            'o' || n as _dlt_parent_id,
            cast(0 as bigint) as _dlt_list_idx,
            'f' || n as _dlt_id
        from seen where despatch_at is not null
    """, shopify / "orders__fulfillments.parquet")
    rows["shopify.orders__fulfillments__tracking_info"] = _write(conn, """
        select
            'RM' || lpad(cast(n as varchar), 10, '0') || 'GB' as number,
            'Royal Mail' as company,
            cast(null as varchar) as url,
            'o' || n as _dlt_root_id,
            'f' || n as _dlt_parent_id,
            cast(0 as bigint) as _dlt_list_idx,
            'ti' || n as _dlt_id
        from seen where despatch_at is not null
    """, shopify / "orders__fulfillments__tracking_info.parquet")
    rows["easypost.tracker_events"] = _write(conn, f"""
        select
            'evt_' || n || '_' || status as id,
            status || ' update' as description,
            happened_at as created_at,
            happened_at as updated_at,
            'trk_' || n as tracker_id,
            'RM' || lpad(cast(n as varchar), 10, '0') || 'GB' as tracking_code,
            'RoyalMail' as carrier,
            status,
            cast(null as varchar) as status_detail,
            cast(null as timestamptz) as est_delivery_date,
            cast(null as varchar) as file_name,
            '{load_id}' as _dlt_load_id,
            'e' || n || status as _dlt_id
        from (
            select n, 'in_transit' as status, despatch_at + interval 6 hour as happened_at from seen
            where despatch_at + interval 6 hour <= {end}
            union all
            select n, 'delivered', delivery_at from seen where delivery_at is not null
        )
    """, folder / "easypost" / "tracker_events.parquet")
    conn.close()
    return rows


def write_world(world: Path, orders: int) -> dict[str, int]:
    """The history: ``orders`` orders over HISTORY_DAYS, as batch 0."""
    return write_batch(world, 0, WorldBatch(first=1, count=orders, start=WORLD_START, days=HISTORY_DAYS))


def add_new_orders(world: Path, history_orders: int, share: float = 0.01) -> dict[str, int]:
    """A later batch: ``share`` more orders placed after the history, over the same pace.

    Orders of the history that had not despatched or been delivered by the history's end stay
    as they were; the incremental figure is about new data arriving, which is what it measures.
    """
    count = max(1, int(history_orders * share))
    days = HISTORY_DAYS * count / history_orders
    start = datetime.fromtimestamp(WORLD_START.timestamp() + HISTORY_DAYS * 86400, tz=UTC)
    return write_batch(world, 1, WorldBatch(first=history_orders + 1, count=count, start=start, days=days))
