"""Stock: what can be sold where, what open orders hold, what is oversold or awaited, and when
each channel last received its stock figure.

Figures come from ``dashboards.stock_data`` over ``fct_stock_positions``, ``stock_to_publish``
and ``fct_stock_pushes`` in the published copy.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards import formatting
from dashboards.filters import OrderFilters
from dashboards.page_frame import start_page
from dashboards.publication import published_data_errors
from dashboards.stock_data import last_stock_pushes, stock_positions, stock_to_publish
from dashboards.tables import show_table

NO_STOCK_MESSAGE = (
    "No stock counts have been published yet. Stock appears once a warehouse's stock file or "
    "feed has been loaded by `orderloop run` (see docs/warehouse-feeds.md)."
)


def render_tiles(positions: pd.DataFrame) -> None:
    """Totals over the SKUs and warehouses in scope."""
    tiles = [
        ("SKUs", formatting.count(positions["sku"].nunique())),
        ("Available to sell", formatting.count(positions["available_to_sell"].sum())),
        ("Reserved", formatting.count(positions["reserved"].sum())),
        ("Safety stock", formatting.count(positions["safety_stock"].sum())),
        ("Oversold units", formatting.count(positions["oversold_units"].sum())),
        ("Backordered units", formatting.count(positions["backordered_units"].sum())),
    ]
    for column, (label, value) in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(label, value, border=True)


def stock_figure(positions: pd.DataFrame) -> go.Figure:
    """Available, reserved and safety stock per SKU, one bar group per warehouse."""
    long = positions.melt(
        id_vars=["sku", "warehouse_id"], value_vars=["available_to_sell", "reserved", "safety_stock"],
        var_name="units", value_name="quantity",
    )
    return px.bar(long, x="sku", y="quantity", color="units", facet_row="warehouse_id",
                  title="Units by SKU and warehouse", labels={"sku": "SKU", "quantity": "Units"})


def render_pushes(filters: OrderFilters) -> None:
    """When each channel last received stock from orderloop (the stock push ledger)."""
    st.subheader("Last stock push per channel")
    try:
        pushes = last_stock_pushes(filters)
    except duckdb.CatalogException:
        pushes = pd.DataFrame()
    if pushes.empty:
        st.info("orderloop has not pushed stock to any channel yet. It does so on every "
                "`orderloop run` once a channel's available-to-sell changes.")
        return
    show_table(pushes, "last_stock_pushes")


def render() -> None:
    """The page body; data errors become messages in ``published_data_errors``."""
    started = start_page()
    if started is None:
        return
    _, filters = started
    st.caption("Current stock: the warehouse filter applies to positions, the channel filter to "
               "what channels show; the date range does not apply.")
    sku_search = st.text_input("SKU contains", key="stock.sku", placeholder="e.g. OL-BLK")
    positions = stock_positions(filters, sku_search)
    if positions.empty:
        st.info(NO_STOCK_MESSAGE if not sku_search else "No SKU matches the search and warehouse filter.")
    else:
        render_tiles(positions)
        st.plotly_chart(stock_figure(positions), config={"displaylogo": False})
        st.subheader("By SKU and warehouse")
        show_table(positions, "stock_positions")
        st.subheader("What each channel may show")
        show_table(stock_to_publish(filters, sku_search), "stock_to_publish")
    render_pushes(filters)


st.title("Stock")
with published_data_errors():
    render()
