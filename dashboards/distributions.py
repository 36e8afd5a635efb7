"""Distributions summarised in SQL, so a page ships a few rows to the browser instead of every order.

At 1M orders a box plot or histogram of raw values sends a million numbers through pandas,
Plotly's JSON and the websocket (seconds per chart). Here the database computes what the
chart draws: a box's quartiles (``quantile_cont``, Plotly's default "linear" method) and its
whiskers (the furthest values within 1.5 IQR, as Plotly draws them), and a histogram's bins.
The box leaves out the outlier dots (at 1M orders, tens of thousands). The SQL builders take
a constant query that yields ``breakdown`` and ``hours`` columns (``hours`` and ``weight``).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboards.weighted_quantiles import interpolated, rank_picks, ranked_sql

HISTOGRAM_BINS = 40


def box_stats_sql(values_sql: str) -> str:
    """Per ``breakdown``: orders, q1, median, q3 and both whiskers."""
    return f"""
with box_values as ({values_sql}),
quartiles as (
    select
        breakdown,
        quantile_cont(hours, [0.25, 0.5, 0.75])[1] as q1,
        quantile_cont(hours, [0.25, 0.5, 0.75])[2] as median,
        quantile_cont(hours, [0.25, 0.5, 0.75])[3] as q3
    from box_values
    group by breakdown
)
select
    quartiles.breakdown,
    count(*) as orders,
    any_value(q1) as q1,
    any_value(median) as median,
    any_value(q3) as q3,
    min(hours) filter (where hours >= q1 - 1.5 * (q3 - q1)) as lower_fence,
    max(hours) filter (where hours <= q3 + 1.5 * (q3 - q1)) as upper_fence
from box_values
join quartiles on quartiles.breakdown = box_values.breakdown
group by quartiles.breakdown
order by quartiles.breakdown
"""


def weighted_box_stats_sql(values_sql: str) -> str:
    """As ``box_stats_sql`` over counted values: ``values_sql`` yields ``breakdown``, ``value``
    and ``orders`` (how many orders have it); quartiles exact, by ``weighted_quantiles``."""
    return f"""
with ranked as ({ranked_sql(values_sql, ["breakdown"], "value", "orders")}),
picks as (
    select
        breakdown,
        cast(sum(orders) as bigint) as orders,
        any_value(valued) as valued,
        {rank_picks("value", "q1", 0.25)},
        {rank_picks("value", "median", 0.5)},
        {rank_picks("value", "q3", 0.75)}
    from ranked
    group by breakdown
),
quartiles as (
    select
        breakdown,
        orders,
        {interpolated("q1", 0.25)} as q1,
        {interpolated("median", 0.5)} as median,
        {interpolated("q3", 0.75)} as q3
    from picks
)
select
    quartiles.breakdown,
    any_value(quartiles.orders) as orders,
    any_value(q1) as q1,
    any_value(median) as median,
    any_value(q3) as q3,
    min(value) filter (where value >= q1 - 1.5 * (q3 - q1)) as lower_fence,
    max(value) filter (where value <= q3 + 1.5 * (q3 - q1)) as upper_fence
from ranked
join quartiles on quartiles.breakdown = ranked.breakdown
group by quartiles.breakdown
order by quartiles.breakdown
"""


def histogram_sql(values_sql: str, bins: int = HISTOGRAM_BINS) -> str:
    """Equal-width bins from the smallest to the largest ``hours`` of ``values_sql``, which also
    yields ``weight`` (orders with that value): bin_start, bin_end, orders."""
    return f"""
with histogram_values as ({values_sql}),
bounds as (
    select
        min(hours) as low,
        case when max(hours) > min(hours) then (max(hours) - min(hours)) / {bins} else 1 end as width
    from histogram_values
),
binned as (
    select least(floor((hours - low) / width), {bins - 1}) as bin, low, width, weight
    from histogram_values cross join bounds
)
select low + bin * width as bin_start, low + (bin + 1) * width as bin_end, sum(weight) as orders
from binned
group by bin, low, width
order by bin
"""


def box_figure(stats: pd.DataFrame, title: str, axis: str) -> go.Figure:
    """One box per row of ``box_stats_sql``, drawn from the precomputed statistics."""
    figure = go.Figure(
        go.Box(
            x=stats["breakdown"], q1=stats["q1"], median=stats["median"], q3=stats["q3"],
            lowerfence=stats["lower_fence"], upperfence=stats["upper_fence"], boxpoints=False, name="",
        )
    )
    figure.update_layout(title=title, xaxis_title=axis, yaxis_title="Hours", margin={"t": 48})
    return figure


def histogram_figure(bins: pd.DataFrame, title: str, axis: str, counted: str) -> go.Figure:
    """Bars of ``histogram_sql``'s bins, each as wide as its bin."""
    figure = go.Figure(
        go.Bar(
            x=(bins["bin_start"] + bins["bin_end"]) / 2, y=bins["orders"],
            width=bins["bin_end"] - bins["bin_start"], name=counted,
            customdata=bins[["bin_start", "bin_end"]].to_numpy(),
            hovertemplate="%{customdata[0]:.1f} to %{customdata[1]:.1f} h: %{y:,}<extra></extra>",
        )
    )
    figure.update_layout(title=title, xaxis_title=axis, yaxis_title=counted, bargap=0.05, margin={"t": 48})
    return figure
