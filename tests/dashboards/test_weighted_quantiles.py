"""Percentiles over counted values equal DuckDB's quantile_cont over the values themselves."""

from __future__ import annotations

import duckdb
import pytest

from dashboards.weighted_quantiles import interpolated, rank_picks, ranked_sql

QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0)


def _weighted(keys: list[str]) -> str:
    select_keys = "".join(f"{key}, " for key in keys)
    group_by = f"group by {', '.join(keys)}" if keys else ""
    picks = ",\n".join(rank_picks("v", f"q{i}", q) for i, q in enumerate(QUANTILES))
    results = ", ".join(f"{interpolated(f'q{i}', q)} as q{i}" for i, q in enumerate(QUANTILES))
    ranked = ranked_sql("select g, v, count(*) as n from vals group by g, v", keys, "v", "n")
    return f"""
with picks as (
    select {select_keys} any_value(valued) as valued, {picks}
    from ({ranked}) {group_by}
)
select {select_keys} {results} from picks {"order by " + keys[0] if keys else ""}
"""


@pytest.mark.parametrize("rows", [1, 2, 7, 1000])
def test_equal_to_quantile_cont_over_the_values(rows: int) -> None:
    with duckdb.connect() as conn:
        # Minute-precision hours with many ties, some nulls, as in fct_orders.
        conn.execute(f"""
            create table vals as
            select (i % 3)::varchar as g,
                case when i % 11 = 0 then null else cast(((i * 7919) % 4001) as float) / 60.0 end as v
            from range({rows}) as t(i)
        """)
        plain = ", ".join(f"quantile_cont(cast(v as double), {q!r}) as q{i}" for i, q in enumerate(QUANTILES))
        want_all = conn.execute(f"select {plain} from vals").fetchall()
        want_by_group = conn.execute(f"select g, {plain} from vals group by g order by g").fetchall()
        conn.execute("create or replace table vals as select g, cast(v as double) as v from vals")

        assert conn.execute(_weighted([])).fetchall() == want_all
        assert conn.execute(_weighted(["g"])).fetchall() == want_by_group
