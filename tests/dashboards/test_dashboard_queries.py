"""Data access and KPI SQL of the dashboards, without the UI."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import ORDERS, build_published

from dashboards import queries
from dashboards.filters import OrderFilters, clamp_range, load_filter_options
from dashboards.kpis import cycle_time_kpis, daily_cycle_time, despatched_orders
from dashboards.queries import PublishedDataMissing, published_path, read_published


def test_published_path_follows_data_dir(data_dir: Path) -> None:
    assert published_path() == data_dir.resolve() / "published" / "warehouse.duckdb"


def test_missing_file_raises_published_data_missing(data_dir: Path) -> None:
    with pytest.raises(PublishedDataMissing):
        read_published("select 1")


def test_connection_is_closed_after_each_query(published: Path) -> None:
    read_published("select count(*) from marts.fct_orders")
    # A read-write open in this process fails while any read-only connection is still alive.
    with duckdb.connect(str(published)) as conn:
        conn.execute("create table marts.scratch as select 1 as x")


def test_user_input_is_bound_not_formatted(published: Path) -> None:
    hostile = OrderFilters(channels=("web'); drop table marts.fct_orders; --",))

    assert cycle_time_kpis(hostile).orders == 0
    assert load_filter_options().orders == len(ORDERS)


def test_kpis_match_hand_computed_values(published: Path) -> None:
    total = cycle_time_kpis(OrderFilters())
    assert (total.orders, total.despatched) == (8, 5)
    assert total.cycle_time_p50_hours == pytest.approx(6.0)
    assert total.cycle_time_p90_hours == pytest.approx(39.2)  # 26 + 0.6 * (48 - 26)
    assert total.on_time_despatch_pct == pytest.approx(400 / 6)  # cancelled and in-time excluded
    assert total.touchless_pct == pytest.approx(75.0)

    web = cycle_time_kpis(OrderFilters(channels=("web",)))
    assert (web.orders, web.despatched) == (5, 3)
    assert web.cycle_time_p50_hours == pytest.approx(26.0)
    assert web.on_time_despatch_pct == pytest.approx(50.0)


def test_placed_range_is_inclusive_utc_days(published: Path) -> None:
    day = dt.date(2025, 3, 3)
    assert cycle_time_kpis(OrderFilters(placed_from=day, placed_to=day)).orders == 3
    assert cycle_time_kpis(OrderFilters(placed_from=dt.date(2025, 3, 6))).orders == 2


def test_daily_and_order_level_frames(published: Path) -> None:
    daily = daily_cycle_time(OrderFilters())
    assert [d.date() for d in daily["despatch_date"]] == [
        dt.date(2025, 3, 3),
        dt.date(2025, 3, 4),
        dt.date(2025, 3, 5),
        dt.date(2025, 3, 6),
    ]
    assert daily["despatched"].sum() == 5
    orders = despatched_orders(OrderFilters())
    assert orders["order_id"].tolist() == ["W3", "W2", "W1", "P2", "P1"]


def test_filter_options(published: Path) -> None:
    options = load_filter_options()
    assert options.channels == ("pos", "web")
    assert (options.first_placed_on, options.last_placed_on) == (dt.date(2025, 3, 3), dt.date(2025, 3, 7))


def test_open_is_retried_while_file_is_swapped(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = duckdb.connect
    calls = []

    def flaky_connect(*args: object, **kwargs: object) -> duckdb.DuckDBPyConnection:
        calls.append(args)
        if len(calls) < 3:
            raise duckdb.IOException("Could not set lock on file")
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(queries, "OPEN_BACKOFF_SECONDS", 0)
    monkeypatch.setattr(queries.duckdb, "connect", flaky_connect)

    frame = read_published("select count(*) as n from marts.fct_orders")
    assert frame["n"].iloc[0] == len(ORDERS)
    assert len(calls) == 3


def test_gives_up_after_retries(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_connect(*args: object, **kwargs: object) -> duckdb.DuckDBPyConnection:
        raise duckdb.IOException("Could not set lock on file")

    monkeypatch.setattr(queries, "OPEN_BACKOFF_SECONDS", 0)
    monkeypatch.setattr(queries.duckdb, "connect", failing_connect)

    with pytest.raises(duckdb.IOException):
        read_published("select 1")


def test_cache_is_keyed_on_the_publication(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_query = queries.query_published_file
    calls = []

    def counting_query(*args: object) -> object:
        calls.append(args)
        return real_query(*args)

    monkeypatch.setattr(queries, "query_published_file", counting_query)
    sql = "select count(*) as n from marts.fct_orders"

    assert read_published(sql)["n"].iloc[0] == len(ORDERS)
    assert read_published(sql)["n"].iloc[0] == len(ORDERS)
    assert len(calls) == 1  # served from cache

    staged = build_published(published.parent / "staging" / "warehouse.duckdb", orders=ORDERS[:1])
    os.replace(staged, published)

    assert read_published(sql)["n"].iloc[0] == 1  # new file, new cache key, no TTL wait
    assert len(calls) == 2


def test_clamp_range_fits_remembered_dates_into_the_data() -> None:
    first, last = dt.date(2025, 3, 3), dt.date(2025, 3, 7)
    assert clamp_range(None, first, last) == (first, last)
    assert clamp_range((dt.date(2025, 3, 1), dt.date(2025, 3, 5)), first, last) == (
        first,
        dt.date(2025, 3, 5),
    )
    assert clamp_range((dt.date(2025, 4, 1), dt.date(2025, 4, 9)), first, last) == (last, last)
    assert clamp_range((dt.date(2025, 3, 4),), first, last) == (dt.date(2025, 3, 4),)


def test_a_replaced_file_is_read_while_a_connection_to_the_old_one_is_open(published: Path) -> None:
    """DuckDB hands connect(path) the database already open under that path; a render still
    holding the old file must not make the next query read it after a publication."""
    sql = "select count(*) as n from marts.fct_orders"
    with queries.one_connection_per_render():
        assert read_published(sql)["n"].iloc[0] == len(ORDERS)
        staged = build_published(published.parent / "staging" / "warehouse.duckdb", orders=ORDERS[:2])
        os.replace(staged, published)
        assert read_published(sql)["n"].iloc[0] == 2  # the render's own connection follows the file
    with queries.one_connection_per_render():
        assert read_published(sql)["n"].iloc[0] == 2
        os.replace(build_published(published.parent / "again" / "warehouse.duckdb", orders=ORDERS[:3]),
                   published)
        # Another user's query, outside this render, while the render holds the older file.
        assert queries._query_once(published, sql, None)["n"].iloc[0] == 3


def test_a_render_closes_its_connection_when_it_ends(published: Path) -> None:
    with queries.one_connection_per_render():
        cycle_time_kpis(OrderFilters())
        load_filter_options()
    # A read-write open in this process fails while any read-only connection is still alive.
    with duckdb.connect(str(published)) as conn:
        conn.execute("create table marts.scratch as select 1 as x")
