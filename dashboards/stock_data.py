"""Stock as the Stock page reads it: positions per SKU and warehouse, what each channel may show,
and when orderloop last pushed stock to each channel.

Sources: ``marts.fct_stock_positions`` (warehouse filter), ``marts.stock_to_publish`` (channel
filter) and ``marts.fct_stock_pushes`` (the stock push ledger, published as a mart so the
dashboard never reads the live warehouse). Stock is current state, so the date range does not
apply. A SKU search is a bound parameter.
"""

from __future__ import annotations

import pandas as pd

from dashboards.filters import OrderFilters
from dashboards.queries import read_published

_SKU_MATCH = "($sku is null or contains(lower(sku), lower($sku)))"

POSITIONS_SQL = f"""
select
    sku, warehouse_id, on_hand, reserved, safety_stock, available_to_sell, oversold_units,
    backordered_units, counted_at, safety_stock_rule_version
from marts.fct_stock_positions
where (cast($warehouses as varchar[]) is null or list_contains(cast($warehouses as varchar[]), warehouse_id))
    and {_SKU_MATCH}
order by sku, warehouse_id
"""

TO_PUBLISH_SQL = f"""
select sku, channel, available_to_sell, share_pct, quantity_to_publish, allocation_rule_version
from marts.stock_to_publish
where (cast($channels as varchar[]) is null or list_contains(cast($channels as varchar[]), channel))
    and {_SKU_MATCH}
order by sku, channel
"""

LAST_PUSHES_SQL = """
select
    channel,
    location,
    max(completed_at) filter (where push_status = 'done') as last_push_at,
    count(*) filter (where push_status = 'done') as pushes_done,
    count(*) filter (where push_status = 'skipped') as pushes_skipped,
    count(*) filter (where push_status = 'pending') as pushes_pending,
    arg_max(outcome, attempted_at) filter (where push_status = 'skipped') as last_skip_reason
from marts.fct_stock_pushes
where (cast($channels as varchar[]) is null or list_contains(cast($channels as varchar[]), channel))
group by channel, location
order by channel, location
"""


def _sku(search: str) -> str | None:
    return search.strip() or None


def stock_positions(filters: OrderFilters, sku_search: str = "") -> pd.DataFrame:
    """Per SKU and warehouse (warehouse filter applies): on hand, reserved, safety, available, oversold."""
    params = {"warehouses": filters.params()["warehouses"], "sku": _sku(sku_search)}
    return read_published(POSITIONS_SQL, params)


def stock_to_publish(filters: OrderFilters, sku_search: str = "") -> pd.DataFrame:
    """Per SKU and channel (channel filter applies): the quantity the channel may show."""
    params = {"channels": filters.params()["channels"], "sku": _sku(sku_search)}
    return read_published(TO_PUBLISH_SQL, params)


def last_stock_pushes(filters: OrderFilters) -> pd.DataFrame:
    """Per channel and location: the last successful push and how many pushes went, were skipped or hang."""
    return read_published(LAST_PUSHES_SQL, {"channels": filters.params()["channels"]})
