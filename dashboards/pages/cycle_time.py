"""Cycle time: how long orders take from placed to despatched, and how often they go out on time.

Run by ``st.navigation`` from ``dashboards/app.py`` (or directly with ``streamlit run``). Every
figure comes from the SQL in ``dashboards.kpis`` over the published marts.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards import formatting
from dashboards.distributions import box_figure
from dashboards.distributions import histogram_figure as binned_histogram_figure
from dashboards.filters import OrderFilters
from dashboards.kpis import (
    CycleTimeKpis,
    cycle_time_histogram,
    cycle_time_kpis,
    cycle_time_kpis_by_channel,
    daily_cycle_time,
    despatched_orders,
)
from dashboards.page_frame import start_page
from dashboards.publication import published_data_errors
from dashboards.sla_breakdowns import (
    BREAKDOWNS,
    MEASURES,
    breakdown_box,
    breakdown_summary,
    breakdown_trend,
    on_time_heatmap,
)
from dashboards.tables import show_table

HOURS_AXIS = "Hours, placed → despatched"


def render_kpi_tiles(kpis: CycleTimeKpis) -> None:
    """The headline figures; help texts carry the definitions so nobody has to guess."""
    tiles = [
        ("Orders", formatting.count(kpis.orders), "Orders placed in the selected range and channels."),
        ("Despatched", formatting.count(kpis.despatched), "Of those orders, how many have been despatched."),
        (
            "Cycle time p50",
            formatting.hours(kpis.cycle_time_p50_hours),
            "Median hours from placed to despatched, over despatched orders.",
        ),
        (
            "Cycle time p90",
            formatting.hours(kpis.cycle_time_p90_hours),
            "90th percentile of hours from placed to despatched, over despatched orders.",
        ),
        (
            "On-time despatch",
            formatting.percent(kpis.on_time_despatch_pct),
            "Despatched by the deadline, out of orders that were despatched or are overdue "
            "(cancelled and still-in-time orders are left out).",
        ),
        ("Touchless", formatting.percent(kpis.touchless_pct), "Orders no person had to touch."),
    ]
    for column, (label, value, help_text) in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(label, value, help=help_text, border=True)


def daily_figure(daily: pd.DataFrame) -> go.Figure:
    """Daily p50 and p90 cycle time by UTC despatch date."""
    figure = go.Figure()
    for column, name in (("cycle_time_p50_hours", "p50"), ("cycle_time_p90_hours", "p90")):
        figure.add_trace(
            go.Scatter(x=daily["despatch_date"], y=daily[column], mode="lines+markers", name=name)
        )
    figure.update_layout(
        title="Cycle time by despatch date",
        xaxis_title="Despatch date (UTC)",
        yaxis_title=HOURS_AXIS,
        hovermode="x unified",
        margin={"t": 48},
    )
    return figure


def histogram_figure(bins: pd.DataFrame) -> go.Figure:
    """Distribution of cycle times, to show the tail that the percentiles summarise."""
    return binned_histogram_figure(bins, "Cycle time distribution", HOURS_AXIS, "Despatched orders")


def render_order_list(filters: OrderFilters, despatched: int) -> None:
    """Every despatched order, slowest first, once asked for: at 1M orders the rows and their CSV
    cost seconds, too much to pay on every render for a list most visits never open."""
    with st.expander(f"Despatched orders ({despatched:,}), slowest first"):
        if st.toggle("Load the list", key="cycle_time.order_list"):
            orders = despatched_orders(filters)
            hours = st.column_config.NumberColumn(format="%.1f")
            show_table(orders, "despatched_orders", column_config={"cycle_time_to_despatch_hours": hours})


def render_tables(filters: OrderFilters, daily: pd.DataFrame, despatched: int) -> None:
    """The figures behind the charts, each downloadable as CSV from the table toolbar."""
    hours = st.column_config.NumberColumn(format="%.1f")
    pct = st.column_config.NumberColumn(format="%.1f%%")
    by_channel = cycle_time_kpis_by_channel(filters)
    by_channel["channel"] = by_channel["channel"].where(~by_channel["is_total"], "All selected")
    st.subheader("By channel")
    show_table(
        by_channel.drop(columns="is_total"),
        "cycle_time_by_channel",
        column_config={
            "cycle_time_p50_hours": hours,
            "cycle_time_p90_hours": hours,
            "on_time_despatch_pct": pct,
            "touchless_pct": pct,
        },
    )
    st.subheader("By despatch date")
    show_table(
        daily,
        "cycle_time_by_despatch_date",
        column_config={
            "despatch_date": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "cycle_time_p50_hours": hours,
            "cycle_time_p90_hours": hours,
            "on_time_despatch_pct": pct,
        },
    )
    render_order_list(filters, despatched)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def render_breakdowns(filters: OrderFilters) -> None:
    """Distribution and trend of a cycle time by channel, warehouse, carrier or service."""
    st.header("By channel, warehouse, carrier and service")
    left, right = st.columns(2)
    breakdown = left.selectbox("Break down by", list(BREAKDOWNS), key="cycle_time.breakdown")
    measure = right.selectbox("Measure", list(MEASURES), key="cycle_time.measure")
    summary = breakdown_summary(filters, breakdown, measure)
    if summary.empty:
        st.info(f"No selected order has reached that milestone yet ({measure.lower()}).")
        return
    box = box_figure(breakdown_box(filters, breakdown, measure), f"{measure}: distribution", breakdown)
    trend = breakdown_trend(filters, breakdown, measure)
    line = px.line(
        trend, x="placed_on", y="p50_hours", color="breakdown", markers=True, title=f"{measure}: daily p50",
        labels={"placed_on": "Placed date (UTC)", "p50_hours": "Hours (p50)", "breakdown": breakdown},
    )
    chart_left, chart_right = st.columns(2)
    chart_left.plotly_chart(box, config={"displaylogo": False})
    chart_right.plotly_chart(line, config={"displaylogo": False})
    hours = st.column_config.NumberColumn(format="%.1f")
    show_table(summary.rename(columns={"breakdown": breakdown}), "cycle_time_breakdown",
               column_config={"p50_hours": hours, "p90_hours": hours, "mean_hours": hours})


def heatmap_figure(heatmap: pd.DataFrame) -> go.Figure:
    """On-time despatch % by weekday (rows) and hour of placement (columns)."""
    grid = heatmap.pivot(index="iso_weekday", columns="placed_hour", values="on_time_despatch_pct")
    grid = grid.reindex(index=range(1, 8), columns=range(24))
    counts = heatmap.pivot(index="iso_weekday", columns="placed_hour", values="orders_with_verdict")
    counts = counts.reindex(index=range(1, 8), columns=range(24))
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(), x=list(range(24)), y=list(WEEKDAYS), customdata=counts.to_numpy(),
            zmin=0, zmax=100, colorscale="RdYlGn", colorbar={"title": "On time %"},
            hovertemplate="%{y} %{x}:00 UTC<br>on time %{z:.1f}%<br>orders %{customdata}<extra></extra>",
        )
    )
    figure.update_layout(title="On-time despatch by day and hour of placement (UTC)",
                         xaxis_title="Hour placed (UTC)", yaxis={"autorange": "reversed"}, margin={"t": 48})
    return figure


def render_heatmap(filters: OrderFilters) -> None:
    """When orders are placed that miss their despatch deadline."""
    heatmap = on_time_heatmap(filters)
    if heatmap.empty:
        st.info("No selected order has an on-time verdict yet (despatched, or overdue).")
        return
    st.plotly_chart(heatmap_figure(heatmap), config={"displaylogo": False})
    show_table(heatmap, "on_time_by_weekday_hour",
               column_config={"on_time_despatch_pct": st.column_config.NumberColumn(format="%.1f%%")})


def render() -> None:
    """The page body; raises data errors for ``published_data_errors`` to turn into messages."""
    started = start_page()
    if started is None:
        return
    _, filters = started

    kpis = cycle_time_kpis(filters)
    render_kpi_tiles(kpis)
    if kpis.orders == 0:
        st.info("No orders match the filters. Widen the date range or channel selection.")
        return

    daily = daily_cycle_time(filters)
    bins = cycle_time_histogram(filters)
    if bins.empty:
        st.info("None of the selected orders has been despatched yet, so there is no cycle time to chart.")
    else:
        left, right = st.columns(2)
        left.plotly_chart(daily_figure(daily), config={"displaylogo": False})
        right.plotly_chart(histogram_figure(bins), config={"displaylogo": False})
    render_tables(filters, daily, int(bins["orders"].sum()))
    render_breakdowns(filters)
    render_heatmap(filters)


st.title("Cycle time")
with published_data_errors():
    render()
