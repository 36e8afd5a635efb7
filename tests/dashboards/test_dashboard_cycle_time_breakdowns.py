"""The Cycle time page's breakdowns and on-time heatmap over a real published warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from page_testkit import run_page, sql, table

from dashboards.filters import WAREHOUSES_KEY

# Written independently of dashboards.sla_breakdowns on purpose.
BREAKDOWN_SQL = """
select coalesce({group}, 'not known') as breakdown, count(*) as orders,
    quantile_cont({measure}, 0.5) as p50, quantile_cont({measure}, 0.9) as p90
from marts.fct_orders
where {measure} is not null and (? or warehouse_id in (select unnest(?::varchar[])))
group by 1 order by 1
"""

HEATMAP_SQL = """
select extract(isodow from placed_at) as weekday, extract(hour from placed_at) as hour,
    count(*) as verdicts, 100.0 * count(*) filter (where despatched_on_time) / count(*) as on_time
from marts.fct_orders
where despatched_on_time is not null and (? or warehouse_id in (select unnest(?::varchar[])))
group by 1, 2 order by 1, 2
"""


@pytest.mark.parametrize(
    ("breakdown", "group", "measure", "column"),
    [
        ("Warehouse", "warehouse_id", "Placed to despatched", "cycle_time_to_despatch_hours"),
        ("Carrier", "carrier", "Placed to delivered", "cycle_time_to_delivery_hours"),
        ("Service", "service_code", "Placed to delivered", "cycle_time_to_delivery_hours"),
    ],
)
def test_breakdown_equals_sql(
    real_data_dir: Path, breakdown: str, group: str, measure: str, column: str
) -> None:
    at = run_page("cycle_time")
    at.selectbox(key="cycle_time.breakdown").set_value(breakdown)
    at.selectbox(key="cycle_time.measure").set_value(measure).run()
    assert not at.exception

    shown = table(at, "p50_hours")
    want = sql(real_data_dir, BREAKDOWN_SQL.format(group=group, measure=column), [True, []])
    assert shown[breakdown].tolist() == want["breakdown"].tolist()
    assert shown["orders"].tolist() == want["orders"].tolist()
    # The mart stores float, the page reads double: equal to float precision.
    assert shown["p50_hours"].tolist() == pytest.approx(want["p50"].tolist(), rel=1e-6)
    assert shown["p90_hours"].tolist() == pytest.approx(want["p90"].tolist(), rel=1e-6)


def test_heatmap_equals_sql_and_follows_the_warehouse_filter(real_data_dir: Path) -> None:
    everything = table(run_page("cycle_time"), "placed_hour")
    at = run_page("cycle_time", state={WAREHOUSES_KEY: ["leeds"]})

    shown = table(at, "placed_hour")
    want = sql(real_data_dir, HEATMAP_SQL, [False, ["leeds"]])
    assert shown["iso_weekday"].tolist() == want["weekday"].tolist()
    assert shown["placed_hour"].tolist() == want["hour"].tolist()
    assert shown["orders_with_verdict"].tolist() == want["verdicts"].tolist()
    assert shown["on_time_despatch_pct"].tolist() == pytest.approx(want["on_time"].tolist(), rel=1e-9)
    assert shown["orders_with_verdict"].sum() < everything["orders_with_verdict"].sum()
    assert len(at.get("download_button")) == len(at.dataframe)
