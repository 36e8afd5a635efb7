"""Exact continuous percentiles over counted values, for marts that store each value once with
how many orders have it (``marts.kpi_order_cycle_times``).

``quantile_cont`` over n sorted values v[0..n-1] takes the rank RN = (n - 1) * q and, with
d = RN - floor(RN), returns v[floor(RN)] * (1 - d) + v[ceil(RN)] * d (DuckDB 1.5's arithmetic,
to the last bit; tests/dashboards/test_weighted_quantiles.py holds it to that). Over counted
values the value at rank k is the smallest one whose running count passes k, so the same figure
comes out of a window sum without expanding the counts back into rows. Only constant text (column names and
fixed quantiles) is put into the SQL.
"""

from __future__ import annotations

from collections.abc import Sequence


def ranked_sql(source: str, keys: Sequence[str], value: str, weight: str) -> str:
    """``source`` with ``running`` (the count of non-null values up to and including this row,
    ordered by ``value``) and ``valued`` (the count of non-null values) within each ``keys`` group."""
    partition = f"partition by {', '.join(keys)} " if keys else ""
    counted = f"case when {value} is not null then {weight} else 0 end"
    return f"""
select
    *,
    sum({counted}) over ({partition}order by {value} asc nulls last
        rows between unbounded preceding and current row) as running,
    sum({counted}) over ({partition.rstrip()}) as valued
from ({source})
"""


def _rank(q: float) -> str:
    # As DuckDB computes it, in doubles: (n - 1) * q (a bare 0.9 would be a DECIMAL in SQL).
    return f"cast(valued - 1 as double) * cast({q!r} as double)"


def rank_picks(value: str, name: str, q: float) -> str:
    """Aggregates over ``ranked_sql`` rows: the values at the two ranks around q (``{name}_low``,
    ``{name}_high``); ``interpolated`` turns them into the percentile."""
    rank = _rank(q)
    return (
        f"min({value}) filter (where {value} is not null and running > floor({rank})) as {name}_low,\n"
        f"    min({value}) filter (where {value} is not null and running > ceil({rank})) as {name}_high"
    )


def interpolated(name: str, q: float) -> str:
    """The percentile from ``rank_picks``' columns and ``valued`` (as ``quantile_cont`` does)."""
    fraction = f"({_rank(q)} - floor({_rank(q)}))"
    return f"{name}_low * (1 - {fraction}) + {name}_high * {fraction}"
