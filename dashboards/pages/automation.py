"""Automation impact: did each rule change make things better, worse, or no detectable difference?

Reads ``marts.automation_impact`` through ``dashboards.impact``: per rule change, the rule diff,
before/after KPIs with 95% confidence intervals and a verdict in plain words.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards.impact import KPI_NAMES, impact_of, rule_changes, verdict_sentence
from dashboards.page_frame import start_page
from dashboards.publication import published_data_errors
from dashboards.tables import show_table

NO_CHANGES_MESSAGE = (
    "No rule change has enough data on both sides yet. A change shows here once orders have "
    "been placed both before and after it took effect: add a version to a rule set in `rules/` "
    "(`orderloop rules check`), let a few days of orders run through it, then reload."
)


def interval_figure(impact: pd.DataFrame) -> go.Figure:
    """Each KPI's difference (after minus before) with its 95% confidence interval."""
    shown = impact.dropna(subset=["difference"])
    names = [KPI_NAMES.get(k, (k, ""))[0] for k in shown["kpi"]]
    figure = go.Figure(
        go.Scatter(
            x=shown["difference"], y=names, mode="markers",
            error_x={"type": "data", "symmetric": False, "array": shown["ci_high"] - shown["difference"],
                     "arrayminus": shown["difference"] - shown["ci_low"]},
        )
    )
    figure.add_vline(x=0, line_dash="dot")
    figure.update_layout(title="Difference after minus before, with 95% interval",
                         xaxis_title="Difference", margin={"t": 48}, height=320)
    return figure


def render_change(change: pd.Series) -> None:
    """One rule change: what changed, the verdicts in words, the interval chart and the figures."""
    st.subheader(f"{change['rule_set']}: {change['rule_version']}")
    st.caption(
        f"Took effect {change['effective_at']:%Y-%m-%d %H:%M} UTC; compares {int(change['window_days'])} "
        "days before with as many days after (orders by SLA start)."
    )
    st.write(change["description"])
    st.code(change["rule_diff"] or "(no diff recorded)", language="diff")
    impact = impact_of(change["rule_version"])
    for _, row in impact.iterrows():
        st.markdown(f"- {verdict_sentence(row)}")
    if change["channel_mix_shifted"]:
        st.warning(
            f"The channel mix moved {change['channel_mix_shift_pct']:.1f} points between the windows: "
            "a difference may reflect who ordered rather than the rule."
        )
    if impact["difference"].notna().any():
        st.plotly_chart(interval_figure(impact), config={"displaylogo": False},
                        key=f"impact_chart.{change['rule_version']}")
    show_table(impact, f"impact_{change['rule_version']}")


def render() -> None:
    """The page body; data errors become messages in ``published_data_errors``."""
    started = start_page()
    if started is None:
        return
    _, filters = started
    st.caption("Rule changes that took effect in the selected dates. Channel and warehouse filters "
               "do not apply: the comparison covers every order.")
    changes = rule_changes(filters.placed_from, filters.placed_to)
    if changes.empty:
        st.info(NO_CHANGES_MESSAGE, icon=":material/info:")
        return
    show_table(changes, "rule_changes")
    for _, change in changes.iterrows():
        render_change(change)


st.title("Automation impact")
with published_data_errors():
    render()
