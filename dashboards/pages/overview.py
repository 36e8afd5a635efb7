"""Overview: today's and this week's KPIs against the period before, and their daily trend.

Every figure comes from ``dashboards.period_kpis`` over ``marts.fct_orders`` in the published copy.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import formatting
from dashboards.filters import OrderFilters
from dashboards.page_frame import start_page
from dashboards.period_kpis import KPI_TILES, Period, daily_kpis, period_kpis, periods
from dashboards.publication import published_data_errors
from dashboards.tables import show_table

_UNITS = {"hours": " h", "percent": " pts", "rate": "", "count": ""}


def render_period(filters: OrderFilters, period: Period) -> None:
    """One row of tiles: the period's KPIs, each with its change against the previous period."""
    current, previous = period_kpis(filters, period), period_kpis(filters, period.previous)
    span = f"{period.first:%Y-%m-%d}" if period.first == period.last else (
        f"{period.first:%Y-%m-%d} to {period.last:%Y-%m-%d}")
    st.subheader(f"{'Today' if period.name == 'day' else 'This week'} ({span})")
    columns = st.columns(len(KPI_TILES))
    for column, (field, label, lower_is_better, kind) in zip(columns, KPI_TILES, strict=True):
        value, before = current[field], previous[field]
        column.metric(
            label,
            getattr(formatting, kind)(value),
            delta=formatting.change(value, before, _UNITS[kind], decimals=0 if kind == "count" else 1),
            delta_color="inverse" if lower_is_better else "normal",
            help=f"Change against the {period.previous.name} "
            f"({period.previous.first:%Y-%m-%d} to {period.previous.last:%Y-%m-%d}).",
            border=True,
        )


def trend_figure(daily: pd.DataFrame) -> go.Figure:
    """Orders per day (bars) with on-time despatch and touchless shares (lines, right axis)."""
    figure = go.Figure(go.Bar(x=daily["placed_on"], y=daily["orders"], name="orders", opacity=0.5))
    for column, name in (("on_time_despatch_pct", "on-time despatch %"), ("touchless_pct", "touchless %")):
        figure.add_trace(
            go.Scatter(x=daily["placed_on"], y=daily[column], name=name, mode="lines+markers", yaxis="y2")
        )
    figure.update_layout(
        title="Daily trend by placed date (UTC)",
        yaxis={"title": "Orders"},
        yaxis2={"title": "%", "overlaying": "y", "side": "right", "range": [0, 105]},
        hovermode="x unified",
        margin={"t": 48},
    )
    return figure


def render() -> None:
    """The page body; data errors become messages in ``published_data_errors``."""
    started = start_page()
    if started is None:
        return
    options, filters = started
    reference_day = filters.placed_to or options.last_placed_on
    st.caption(
        f"Today is the last day of the selected range ({reference_day:%Y-%m-%d}, UTC); "
        "each change compares with the period just before."
    )
    day, week = periods(reference_day)
    render_period(filters, day)
    render_period(filters, week)

    daily = daily_kpis(filters)
    if daily.empty:
        st.info("No orders match the filters. Widen the date range, channel or warehouse selection.")
        return
    st.plotly_chart(trend_figure(daily), config={"displaylogo": False})
    st.subheader("By placed date")
    show_table(daily, "overview_daily_kpis")


st.title("Overview")
with published_data_errors():
    render()
