"""Carriers: how often label bookings are rejected and why, how long parcels take, how many
deliveries fail, per carrier and service.

Figures come from ``dashboards.carrier_data`` over ``fct_orders`` and ``fct_order_events``.
"""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards.carrier_data import booking_failure_reasons, carrier_summary, transit_box
from dashboards.distributions import box_figure
from dashboards.page_frame import start_page
from dashboards.publication import published_data_errors
from dashboards.tables import show_table

ONE_DECIMAL = st.column_config.NumberColumn(format="%.1f")
PERCENT = st.column_config.NumberColumn(format="%.1f%%")


def render() -> None:
    """The page body; data errors become messages in ``published_data_errors``."""
    started = start_page()
    if started is None:
        return
    _, filters = started

    summary = carrier_summary(filters)
    if summary.empty:
        st.info("No orders match the filters. Widen the date range, channel or warehouse selection.")
        return
    st.subheader("By carrier and service")
    show_table(summary, "carriers_by_service", column_config={
        "booking_failure_pct": PERCENT, "delivered_on_time_pct": PERCENT, "delivery_failure_pct": PERCENT,
        "transit_p50_hours": ONE_DECIMAL, "transit_p90_hours": ONE_DECIMAL,
    })

    st.subheader("Rejected label bookings by reason")
    reasons = booking_failure_reasons(filters)
    if reasons.empty:
        st.success("No label booking was rejected for the selected orders.")
    else:
        st.plotly_chart(
            px.bar(reasons, x="rejections", y="reason", color="service_code", orientation="h",
                   title="Rejections by carrier's reason", labels={"rejections": "Rejections", "reason": ""}),
            config={"displaylogo": False},
        )
        show_table(reasons, "booking_failure_reasons")

    st.subheader("Transit times")
    transit = transit_box(filters)
    if transit.empty:
        st.info("No selected order has been delivered yet, so there are no transit times. They appear "
                "once the carrier's tracking reports deliveries (tracking webhooks, `orderloop run`).")
    else:
        st.plotly_chart(box_figure(transit, "Hours from despatch to delivery", "Carrier and service"),
                        config={"displaylogo": False})

    st.subheader("Delivery failures")
    failures = summary[["carrier", "service_code", "despatched", "delivery_failures", "delivery_failure_pct"]]
    show_table(failures, "delivery_failures", column_config={"delivery_failure_pct": PERCENT})


st.title("Carriers")
with published_data_errors():
    render()
