"""The Exception queue page over a real published warehouse: the queue, its filters and the
order timeline equal plain SQL."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from page_testkit import copy_published, run_page, sql, table, tiles

from dashboards.filters import CHANNELS_KEY

# Written independently of dashboards.exception_data on purpose.
QUEUE_SQL = """
select q.exception_id, q.at_risk_today, q.holds_fulfilment, q.age_hours
from marts.exception_queue as q
join marts.fct_orders as o on o.order_id = q.order_id
where (? or o.channel in (select unnest(?::varchar[])))
    and (? or q.reason in (select unnest(?::varchar[])))
order by q.opened_at, q.order_name, q.reason
"""


def expected_queue(data_dir: Path, channels: list[str] | None = None, reasons: list[str] | None = None):
    return sql(data_dir, QUEUE_SQL, [channels is None, channels or [], reasons is None, reasons or []])


def expected_tiles(queue) -> list[tuple[str, str]]:
    return [
        ("Open exceptions", f"{len(queue):,}"),
        ("At risk today", f"{int(queue['at_risk_today'].sum()):,}"),
        ("Holding fulfilment", f"{int(queue['holds_fulfilment'].fillna(False).sum()):,}"),
        ("Oldest", f"{queue['age_hours'].max():.1f} h"),
    ]


def test_queue_equals_sql_oldest_first(real_data_dir: Path) -> None:
    at = run_page("exceptions")

    want = expected_queue(real_data_dir)
    assert len(want) > 0, "the built world should have open exceptions"
    assert table(at, "exception_id")["exception_id"].tolist() == want["exception_id"].tolist()
    assert tiles(at) == expected_tiles(want)
    # Every table can be downloaded.
    assert len(at.get("download_button")) == len(at.dataframe)


def test_reason_and_channel_filters_change_the_queue(real_data_dir: Path) -> None:
    at = run_page("exceptions")
    reasons = sql(real_data_dir, "select reason, count(*) from marts.exception_queue "
                                 "group by 1 order by 2, 1")
    reason = reasons.iloc[0, 0]  # the rarest, so the queue visibly shrinks

    at.main.multiselect[0].set_value([reason]).run()
    want = expected_queue(real_data_dir, reasons=[reason])
    assert table(at, "exception_id")["exception_id"].tolist() == want["exception_id"].tolist()
    assert len(want) < len(expected_queue(real_data_dir))

    at.main.multiselect[0].set_value([]).run()
    at.sidebar.multiselect[0].set_value(["woocommerce"]).run()
    want = expected_queue(real_data_dir, channels=["woocommerce"])
    assert tiles(at) == expected_tiles(want)
    assert at.session_state[CHANNELS_KEY] == ["woocommerce"]


def test_order_timeline_shows_every_event_with_its_rule_version(real_data_dir: Path) -> None:
    # An order in the queue with a decision stamped by a rule version, if the world has one.
    candidates = sql(real_data_dir, """
        select q.order_id, count(e.rule_version) as decisions
        from marts.exception_queue as q join marts.fct_order_events as e on e.order_id = q.order_id
        group by 1 order by 2 desc, 1 limit 1
    """)
    order_id = candidates["order_id"].iloc[0]
    at = run_page("exceptions")

    at.selectbox(key="exceptions.order").set_value(order_id).run()
    assert not at.exception

    timeline = table(at, "event_type")
    want = sql(real_data_dir, """
        select event_id, event_type, rule_version from marts.fct_order_events
        where order_id = ? order by occurred_at, event_id
    """, [order_id])
    assert timeline["event_id"].tolist() == want["event_id"].tolist()
    assert timeline["rule_version"].tolist() == want["rule_version"].tolist()
    history = table(at, "resolution")
    n = sql(real_data_dir, "select count(*) as n from marts.fct_exceptions where order_id = ?", [order_id])
    n = int(n["n"][0])
    assert len(history) == n and n > 0


@pytest.fixture
def one_at_risk(real_data_dir: Path, data_dir: Path) -> str:
    """A copy of the real published file where one open exception is due out today."""
    with duckdb.connect(str(copy_published(real_data_dir, data_dir))) as conn:
        (exception_id,) = conn.execute(
            "select exception_id from marts.exception_queue order by opened_at desc limit 1").fetchone()
        conn.execute("update marts.exception_queue set at_risk_today = (exception_id = ?)", [exception_id])
    return exception_id


def test_rows_at_risk_today_are_counted_and_highlighted(one_at_risk: str) -> None:
    at = run_page("exceptions")

    assert dict(tiles(at))["At risk today"] == "1"
    queue = table(at, "exception_id")
    assert queue.loc[queue["at_risk_today"], "exception_id"].tolist() == [one_at_risk]
    assert any("tinted red" in caption.value for caption in at.caption)
    # The table is sent with cell styles: a tint on every cell of that row and of no other.
    (element,) = [frame for frame in at.dataframe if "exception_id" in frame.value.columns]
    styles = element.proto.arrow_data.styler.styles
    row = queue.index[queue["exception_id"] == one_at_risk][0]
    tinted = set(re.findall(r"_row(\d+)_col\d+", styles))
    assert tinted == {str(row)}, styles[:500]
    assert "background-color: rgba(255, 75, 75, 0.18)" in styles


def test_nothing_is_tinted_when_nothing_is_at_risk(real_data_dir: Path, data_dir: Path) -> None:
    with duckdb.connect(str(copy_published(real_data_dir, data_dir))) as conn:
        conn.execute("update marts.exception_queue set at_risk_today = false")
    at = run_page("exceptions")

    (element,) = [frame for frame in at.dataframe if "exception_id" in frame.value.columns]
    assert "background-color" not in element.proto.arrow_data.styler.styles
    assert dict(tiles(at))["At risk today"] == "0"
