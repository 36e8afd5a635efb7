"""What routing plans from, read from the warehouse: open orders, their lines, stock on hand
and each warehouse's cut-off window now. Shared by the routing asset and ``orderloop rules
dry-run``, which replays routing read-only under a candidate rule set.

DuckDB SQL throughout (time zones, registered Arrow tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from orderloop.rule_sets import CutoffRules

AS_OF = """
select greatest(
    (select max(updated_at) from intermediate.int_orders_unioned),
    (select max(counted_at) from intermediate.int_stock_on_hand)
)
"""

# Whether each warehouse can still make today's cut-off for each service, as of the data,
# under the cut-offs registered as ``cutoffs_in_force``.
WINDOWS = """
with local_now as (
    select
        warehouses.warehouse_id,
        warehouses.holiday_region,
        warehouses.routing_priority,
        ((cast($as_of as timestamp) at time zone 'UTC') at time zone warehouses.timezone) as local_at
    from reference.warehouses as warehouses
)
select
    services.warehouse_id,
    services.service_code,
    local_now.routing_priority,
    coalesce(
        days.is_working_day
        and local_now.local_at < cast(days.calendar_date as timestamp)
            + services.despatch_cutoff_minutes * interval 1 minute,
        false
    ) as cutoff_ahead
from cutoffs_in_force as services
inner join local_now on local_now.warehouse_id = services.warehouse_id
left join intermediate.int_business_days as days
    on days.region = local_now.holiday_region
    and days.calendar_date = cast(local_now.local_at as date)
"""

OPEN_ORDERS = """
select order_id, service_code, coalesce(is_express, false) as is_express, payment_secured_at
from intermediate.int_orders_awaiting_fulfilment
where authorisation_expires_at is null or authorisation_expires_at > cast($as_of as timestamp)
"""

LINES = """
select order_id, line_id, sku, quantity from intermediate.int_order_lines_unioned
where order_id in (select order_id from intermediate.int_orders_awaiting_fulfilment)
"""

STOCK = "select warehouse_id, sku, on_hand from intermediate.int_stock_on_hand"


@dataclass(frozen=True)
class RoutingInputs:
    """Everything route_orders needs except the windows, which depend on the cut-off rules."""

    as_of: datetime
    orders: pl.DataFrame
    lines: pl.DataFrame
    stock: pl.DataFrame


def read_routing_inputs(conn: duckdb.DuckDBPyConnection) -> RoutingInputs:
    """The open orders, their lines and stock as of the newest data."""
    as_of = conn.execute(AS_OF).fetchone()[0]
    params = {"as_of": as_of}
    return RoutingInputs(
        as_of=as_of,
        orders=conn.execute(OPEN_ORDERS, params).pl(),
        lines=conn.execute(LINES).pl(),
        stock=conn.execute(STOCK).pl(),
    )


def cutoff_windows(conn: duckdb.DuckDBPyConnection, as_of: datetime, cutoffs: CutoffRules) -> pl.DataFrame:
    """Per warehouse and service: routing priority and whether the cut-off is still ahead at
    ``as_of`` under ``cutoffs``. Reads only; the rules are registered on the connection."""
    rows = pl.DataFrame(
        cutoffs.table_rows(),
        schema={"warehouse_id": pl.Utf8, "service_code": pl.Utf8,
                "despatch_cutoff_minutes": pl.Int64, "collection_minutes": pl.Int64},
    )
    conn.register("cutoffs_in_force", rows.to_arrow())
    try:
        return conn.execute(WINDOWS, {"as_of": as_of}).pl()
    finally:
        conn.unregister("cutoffs_in_force")
