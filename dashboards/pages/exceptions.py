"""Exception queue: what people should work on now, oldest first, and why each order is stuck.

Reads ``marts.exception_queue``, ``marts.fct_order_events`` and ``marts.fct_exceptions`` through
``dashboards.exception_data``. Rows due to leave with today's collection and not gone yet
(``at_risk_today``) are highlighted, so they are worked before the cut-off. Below, the data
checks that failed or warned on the last pass (``marts.pipeline_checks`` through
``dashboards.check_data``), so bad or stale data is seen where the work is.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st
from pandas.io.formats.style import Styler

from dashboards import formatting
from dashboards.check_data import check_results, checks_summary
from dashboards.exception_data import (
    open_exceptions,
    order_exceptions,
    order_timeline,
    queue_options,
)
from dashboards.page_frame import start_page
from dashboards.publication import published_data_errors
from dashboards.tables import show_table

AT_RISK_COLOUR = "background-color: rgba(255, 75, 75, 0.18)"
CHECK_COLOURS = {"failed": AT_RISK_COLOUR, "warned": "background-color: rgba(255, 170, 0, 0.22)"}
ORDER_PICKER_KEY = "exceptions.order"


def highlight_at_risk(queue: pd.DataFrame) -> Styler:
    """A Styler that tints the rows at risk of missing today's cut-off."""
    def row_style(row: pd.Series) -> list[str]:
        return [AT_RISK_COLOUR if row["at_risk_today"] else ""] * len(row)

    return queue.style.apply(row_style, axis=1)


def highlight_checks(checks: pd.DataFrame) -> Styler:
    """A Styler that tints failed checks red and warned ones amber."""
    def row_style(row: pd.Series) -> list[str]:
        return [CHECK_COLOURS.get(row["status"], "")] * len(row)

    return checks.style.apply(row_style, axis=1)


def render_data_checks() -> None:
    """The data checks that failed or warned on the last pass, worst first, or that all passed."""
    st.subheader("Data checks")
    summary = checks_summary()
    if summary is None or summary.checks == 0:
        st.info("No data check results were published with this data.", icon=":material/info:")
        return
    if summary.failed == summary.warned == 0:
        when = formatting.utc_timestamp(summary.latest_at) if summary.latest_at is not None else "unknown"
        st.success(f"All {summary.checks:,} checks passed at {when}.")
        return
    st.caption(
        f"{summary.failed:,} failed and {summary.warned:,} warned of {summary.checks:,} checks "
        "(dbt tests and source freshness, latest result of each). Failed rows are tinted red, "
        "warnings amber."
    )
    checks = check_results()
    show_table(
        checks, "data_checks", styled=highlight_checks(checks),
        column_config={
            "evaluated_at": st.column_config.DatetimeColumn("when (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )


def render_tiles(queue: pd.DataFrame) -> None:
    """How big the queue is, how many are at risk today, and how old the oldest is."""
    oldest = queue["age_hours"].max() if not queue.empty else None
    tiles = [
        ("Open exceptions", formatting.count(len(queue))),
        ("At risk today", formatting.count(int(queue["at_risk_today"].sum()))),
        ("Holding fulfilment", formatting.count(int(queue["holds_fulfilment"].fillna(False).sum()))),
        ("Oldest", formatting.hours(oldest)),
    ]
    for column, (label, value) in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(label, value, border=True)


def render_aging(queue: pd.DataFrame, buckets: tuple[str, ...]) -> None:
    """Open exceptions per age bucket and reason, youngest bucket first."""
    aging = queue.groupby(["age_bucket", "reason"], as_index=False).size().rename(columns={"size": "open"})
    figure = px.bar(
        aging, x="age_bucket", y="open", color="reason", title="Open exceptions by age",
        category_orders={"age_bucket": list(buckets)},
        labels={"age_bucket": "Age", "open": "Open exceptions", "reason": "Reason"},
    )
    st.plotly_chart(figure, config={"displaylogo": False})
    by_reason = (
        queue.groupby(["reason", "owner"], as_index=False, dropna=False)
        .agg(open=("exception_id", "count"), at_risk_today=("at_risk_today", "sum"),
             oldest_hours=("age_hours", "max"))
        .sort_values(["open", "reason"], ascending=[False, True])
    )
    st.subheader("By reason and owner")
    show_table(by_reason, "exceptions_by_reason_owner",
               column_config={"oldest_hours": st.column_config.NumberColumn(format="%.1f")})


def render_timeline(queue: pd.DataFrame) -> None:
    """Pick an order from the queue to see its whole story across every system."""
    st.subheader("Order timeline")
    orders = queue.drop_duplicates("order_id")
    labels = dict(zip(orders["order_id"], orders["order_name"].fillna(orders["order_id"]), strict=True))
    order_id = st.selectbox(
        "Order", options=list(labels), format_func=lambda key: f"{labels[key]} ({key})", key=ORDER_PICKER_KEY,
        help="Every event of the order from every system, with the rule version behind each decision.",
    )
    if order_id is None:
        return
    timeline = order_timeline(order_id)
    show_table(timeline, "order_timeline")
    st.caption("Exceptions of this order, open and resolved, with the owner rule version that assigned them.")
    show_table(order_exceptions(order_id), "order_exceptions")


def render_queue(queue: pd.DataFrame, buckets: tuple[str, ...]) -> None:
    """The open exceptions, their aging and the timeline of a chosen order."""
    st.caption(
        "Oldest first. Rows tinted red are due to leave with today's collection and have not gone yet."
    )
    show_table(
        queue, "open_exceptions", styled=highlight_at_risk(queue),
        column_config={"age_hours": st.column_config.NumberColumn(format="%.1f")},
    )
    render_aging(queue, buckets)
    render_timeline(queue)


def render() -> None:
    """The page body; data errors become messages in ``published_data_errors``."""
    started = start_page()
    if started is None:
        return
    _, filters = started
    reasons, owners, buckets = queue_options()
    left, middle, right = st.columns(3)
    chosen_reasons = left.multiselect("Reason", reasons, placeholder="All reasons")
    chosen_owners = middle.multiselect("Owner", owners, placeholder="All owners")
    chosen_buckets = right.multiselect("Age", buckets, placeholder="All ages")

    queue = open_exceptions(filters, chosen_reasons, chosen_owners, chosen_buckets)
    render_tiles(queue)
    if queue.empty:
        st.success("No open exceptions match the filters: nothing is waiting for a person.")
    else:
        render_queue(queue, buckets)
    render_data_checks()


st.title("Exception queue")
with published_data_errors():
    render()
