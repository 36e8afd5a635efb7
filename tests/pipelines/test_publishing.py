"""Publishing only what changed: after each publication by delta, the published copy equals one
written from scratch, table by table, and the delta was taken where it should be and not where
it must not be (meta.published_tables says which, and why).

The warehouses are small real DuckDB files built here: an event mart rebuilt by order as dbt's
incremental models do it (delete+insert on order_id, every row of a touched order stamped with the
build's `_built_at`), a second one to show the delta is not tied to one table, a KPI table with no
bookkeeping, and an action queue that must never be published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines import publishing
from pipelines.published_checks import CheckResult
from pipelines.publishing import publish_marts

START = datetime(2026, 11, 1, 6, 0)
BY_ORDER = ("marts.fct_order_events", "marts.fct_orders")


class Warehouse:
    """A live warehouse whose builds stamp the rows they write, as dbt's incremental models do."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.builds = 0
        with self._connect() as conn:
            conn.execute("create schema marts")
            conn.execute(
                "create table marts.fct_order_events"
                " (event_id varchar, order_id bigint, event_type varchar, _built_at timestamp)"
            )
            conn.execute(
                "create table marts.fct_orders (order_id bigint, status varchar, _built_at timestamp)"
            )
            conn.execute("create table marts.label_booking_queue (order_id bigint, email varchar)")
            conn.execute("insert into marts.label_booking_queue values (1, 'someone@example.com')")

    def _connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path))

    def build(self, orders: dict[int, int], *, full_refresh: bool = False) -> None:
        """Rebuild the given orders (order id: events it has now), merged on order_id, and the KPI
        table in full; ``full_refresh`` rebuilds the tables by order from just these orders."""
        self.builds += 1
        built_at = START + timedelta(minutes=self.builds)
        with self._connect() as conn:
            events = [c for (c,) in conn.execute(
                "select column_name from information_schema.columns"
                " where table_name = 'fct_order_events' order by ordinal_position"
            ).fetchall()]
            tables = {t for (t,) in conn.execute("select table_name from duckdb_tables()").fetchall()}
            for table in {"fct_order_events", "fct_orders"} & tables:
                if full_refresh:
                    conn.execute(f"delete from marts.{table}")
                else:
                    conn.execute(f"delete from marts.{table} where order_id in ?", [list(orders)])
            for order, count in orders.items():
                for n in range(count):
                    row = {"event_id": f"{order}-{n}-{self.builds}", "order_id": order,
                           "event_type": ("placed", "paid", "shipped")[n % 3], "_built_at": built_at}
                    values = [row.get(column, f"{column}-{order}") for column in events]  # added columns
                    marks = ", ".join("?" * len(values))
                    conn.execute(f"insert into marts.fct_order_events values ({marks})", values)
                if "fct_orders" in tables:
                    conn.execute("insert into marts.fct_orders values (?, ?, ?)",
                                 [order, f"status-{self.builds}", built_at])
            conn.execute(
                "create or replace table marts.kpi_daily as select count(distinct order_id) as orders,"
                " count(*) as events from marts.fct_order_events"
            )

    def execute(self, sql: str, parameters: list | None = None) -> None:
        with self._connect() as conn:
            conn.execute(sql, parameters)


def _published_tables(published: Path) -> dict[str, tuple[str, str | None]]:
    with duckdb.connect(str(published), read_only=True) as conn:
        return {
            name: (method, reason)
            for name, method, reason in conn.execute(
                "select table_name, method, reason from meta.published_tables"
            ).fetchall()
        }


def _assert_equals_a_full_publication(
    warehouse: Warehouse, published: Path, tmp_path: Path, checks: Sequence[CheckResult] = ()
) -> None:
    """The published copy holds the same tables as one published from scratch now (with the same
    checks), each with the same columns and the same rows (as multisets: ``except all`` both ways)."""
    scratch = tmp_path / f"scratch{len(list(tmp_path.glob('scratch*')))}" / "warehouse.duckdb"
    publish_marts(warehouse.path, scratch, checks=checks)
    assert _published_tables(scratch).keys() == _published_tables(published).keys()
    assert {m for m, _ in _published_tables(scratch).values()} == {"full"}
    with duckdb.connect() as conn:
        conn.execute(f"attach '{published}' as published (read_only)")
        conn.execute(f"attach '{scratch}' as scratch (read_only)")

        def tables(catalog: str) -> list[tuple[str, str]]:
            return conn.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_catalog = ? and table_schema = 'marts' order by 1, 2",
                [catalog],
            ).fetchall()

        assert tables("published") == tables("scratch")
        assert ("marts", "label_booking_queue") not in tables("published")
        for schema, table in tables("scratch"):
            columns = [
                conn.execute(
                    "select column_name, data_type from information_schema.columns where table_catalog = ?"
                    " and table_schema = ? and table_name = ? order by ordinal_position",
                    [catalog, schema, table],
                ).fetchall()
                for catalog in ("published", "scratch")
            ]
            assert columns[0] == columns[1], table
            for left, right in (("published", "scratch"), ("scratch", "published")):
                extra = conn.execute(
                    f'select count(*) from (select * from {left}.{schema}."{table}"'
                    f' except all select * from {right}.{schema}."{table}")'
                ).fetchone()[0]
                assert extra == 0, f"{schema}.{table}: {extra} rows in {left} but not in {right}"


@pytest.fixture(autouse=True)
def _no_growth_bound(monkeypatch):
    """Files this small are a few of DuckDB's 256 kB blocks, and a copy given a delta is about twice
    the size of one written from scratch; the bound has its own test below."""
    monkeypatch.setattr(publishing, "MAX_GROWTH", 100.0)


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    live = Warehouse(tmp_path / "warehouse.duckdb")
    live.build({order: 1 + order % 4 for order in range(1, 41)})
    return live


def test_an_incremental_build_is_published_by_delta_and_equals_a_full_publication(warehouse, tmp_path):
    published = tmp_path / "published" / "warehouse.duckdb"
    counts = publish_marts(warehouse.path, published)
    first = _published_tables(published)
    assert {first[name] for name in BY_ORDER} == {("full", "no watermark")}
    assert first["marts.kpi_daily"] == ("full", "not rebuilt by order")
    assert counts["marts.fct_order_events"] == sum(1 + order % 4 for order in range(1, 41)) == 100

    # Orders 3 and 4 rebuilt with more and fewer events, 41 and 42 new.
    warehouse.build({3: 6, 4: 1, 41: 2, 42: 3})
    counts = publish_marts(warehouse.path, published, run_id="run-2")
    assert {_published_tables(published)[name] for name in BY_ORDER} == {("delta", None)}
    _assert_equals_a_full_publication(warehouse, published, tmp_path)
    with duckdb.connect(str(published), read_only=True) as conn:
        order_3 = conn.execute("select count(*) from marts.fct_order_events where order_id = 3").fetchone()
        assert order_3 == (6,)
        assert conn.execute("select run_id from meta.publication").fetchone() == ("run-2",)
        built_through = conn.execute(
            "select built_through from meta.published_tables where table_name = 'marts.fct_order_events'"
        ).fetchone()[0]
    assert built_through == START + timedelta(minutes=2)
    assert counts["marts.fct_order_events"] == 100 + (6 - 4) + (1 - 1) + 5  # orders 3, 4 and the new

    # Nothing rebuilt since: an empty delta.
    publish_marts(warehouse.path, published)
    assert {_published_tables(published)[name] for name in BY_ORDER} == {("delta", None)}
    _assert_equals_a_full_publication(warehouse, published, tmp_path)


def test_orders_gone_from_the_source_fall_back_to_a_full_copy(warehouse, tmp_path):
    published = tmp_path / "published" / "warehouse.duckdb"
    publish_marts(warehouse.path, published)
    # Order 5 disappears while only order 6 is rebuilt: the delta alone would keep order 5.
    warehouse.execute("delete from marts.fct_order_events where order_id = 5")
    warehouse.build({6: 2})
    publish_marts(warehouse.path, published)
    assert _published_tables(published)["marts.fct_order_events"] == ("full", "rows differ after the delta")
    assert _published_tables(published)["marts.fct_orders"] == ("delta", None)
    _assert_equals_a_full_publication(warehouse, published, tmp_path)


def test_a_full_refresh_is_copied_in_full_and_the_next_build_is_a_delta_again(warehouse, tmp_path):
    published = tmp_path / "published" / "warehouse.duckdb"
    publish_marts(warehouse.path, published)
    warehouse.build({order: 2 for order in range(1, 41) if order != 7}, full_refresh=True)
    publish_marts(warehouse.path, published)
    assert {_published_tables(published)[name] for name in BY_ORDER} == {("full", "every row rebuilt")}
    _assert_equals_a_full_publication(warehouse, published, tmp_path)

    warehouse.build({8: 5})
    publish_marts(warehouse.path, published)
    assert {_published_tables(published)[name] for name in BY_ORDER} == {("delta", None)}
    _assert_equals_a_full_publication(warehouse, published, tmp_path)


def test_stamps_the_delta_cannot_trust_are_copied_in_full(warehouse, tmp_path):
    published = tmp_path / "published" / "warehouse.duckdb"
    publish_marts(warehouse.path, published)
    # A warehouse restored from before the last publication: every stamp older than the watermark.
    warehouse.execute("update marts.fct_order_events set _built_at = _built_at - interval 1 day")
    publish_marts(warehouse.path, published)
    assert _published_tables(published)["marts.fct_order_events"] == (
        "full", "source older than the published copy"
    )
    _assert_equals_a_full_publication(warehouse, published, tmp_path)
    # Rows without a stamp: copied in full, and no watermark recorded for the next publication.
    warehouse.build({13: 2})
    warehouse.execute("update marts.fct_order_events set _built_at = null where order_id = 1")
    publish_marts(warehouse.path, published)
    assert _published_tables(published)["marts.fct_order_events"] == ("full", "rows without _built_at")
    _assert_equals_a_full_publication(warehouse, published, tmp_path)
    warehouse.execute("update marts.fct_order_events set _built_at = ? where order_id = 1", [START])
    publish_marts(warehouse.path, published)
    assert _published_tables(published)["marts.fct_order_events"] == ("full", "no watermark")
    assert _published_tables(published)["marts.fct_orders"] == ("delta", None)
    _assert_equals_a_full_publication(warehouse, published, tmp_path)


def test_a_new_column_tables_added_and_removed_and_the_checks_are_published_anew(warehouse, tmp_path):
    published = tmp_path / "published" / "warehouse.duckdb"
    check = CheckResult("fct_orders", "not_null", "dbt", "passed", True, "error", START, "run-1", None)
    publish_marts(warehouse.path, published, checks=[check])

    warehouse.execute("alter table marts.fct_order_events add column channel varchar")
    warehouse.execute("create table marts.kpi_new as select 1 as x")
    warehouse.execute("drop table marts.fct_orders")
    warehouse.build({9: 2, 43: 1})
    counts = publish_marts(warehouse.path, published, checks=[check, check])
    tables = _published_tables(published)
    assert tables["marts.fct_order_events"] == ("full", "columns changed")
    assert tables["marts.kpi_new"] == ("full", "not rebuilt by order")
    assert "marts.fct_orders" not in tables and "marts.fct_orders" not in counts
    assert counts["marts.pipeline_checks"] == 2
    _assert_equals_a_full_publication(warehouse, published, tmp_path, checks=[check, check])
    with duckdb.connect(str(published), read_only=True) as conn:
        assert conn.execute("select count(*) from marts.pipeline_checks").fetchone() == (2,)
        added = conn.execute("select count(*) from marts.fct_order_events where channel is not null")
        assert added.fetchone()[0] > 0

    warehouse.build({10: 3})
    publish_marts(warehouse.path, published)
    assert _published_tables(published)["marts.fct_order_events"] == ("delta", None)
    _assert_equals_a_full_publication(warehouse, published, tmp_path)


def _started_from(published: Path) -> str:
    with duckdb.connect(str(published), read_only=True) as conn:
        return conn.execute("select started_from from meta.published_file").fetchone()[0]


def test_a_copy_without_bookkeeping_is_replaced_by_one_written_from_scratch(warehouse, tmp_path):
    published = tmp_path / "published" / "warehouse.duckdb"
    publish_marts(warehouse.path, published)
    assert _started_from(published) == "scratch: no published copy"
    # A copy published before this bookkeeping existed: nothing to take a delta from.
    with duckdb.connect(str(published)) as conn:
        conn.execute("drop schema meta cascade")
        conn.execute("create table marts.stale as select 1 as x")
    warehouse.build({11: 2})
    publish_marts(warehouse.path, published)
    assert _started_from(published) == "scratch: no bookkeeping in the published copy"
    assert _published_tables(published)["marts.fct_order_events"] == ("full", "no watermark")
    _assert_equals_a_full_publication(warehouse, published, tmp_path)


def test_deltas_do_not_grow_the_published_file_past_its_bound(warehouse, tmp_path, monkeypatch):
    """Deltas in a row: a publication starts from scratch, not from a copy, once the published file
    is more than MAX_GROWTH times the size of the last one written from scratch. (Here one written
    from scratch is about 1.25x the size recorded before its bookkeeping was written, one copied
    and given a delta about 2.2x.)"""
    monkeypatch.setattr(publishing, "MAX_GROWTH", 1.5)
    published = tmp_path / "published" / "warehouse.duckdb"
    publish_marts(warehouse.path, published)
    starts = []
    for build in range(6):
        warehouse.build({order: 3 for order in range(1 + build * 3, 4 + build * 3)})
        with duckdb.connect(str(published), read_only=True) as conn:
            fresh_bytes = conn.execute("select fresh_bytes from meta.published_file").fetchone()[0]
        grown = published.stat().st_size > publishing.MAX_GROWTH * fresh_bytes
        publish_marts(warehouse.path, published)
        starts.append(_started_from(published))
        assert (starts[-1] != "copy") == grown, (build, starts)
        method = _published_tables(published)["marts.fct_order_events"][0]
        assert method == ("full" if grown else "delta")
        _assert_equals_a_full_publication(warehouse, published, tmp_path)
    assert "copy" in starts and any(start.startswith("scratch: grown to") for start in starts), starts


def test_a_publication_failing_half_way_through_a_delta_leaves_the_published_copy_as_it_was(
    warehouse, tmp_path, monkeypatch
):
    """The delta is written into the staging copy, never into the published file: a publisher
    that dies after deleting the touched orders' rows leaves the published copy whole, and the
    next publication starts from it again. (SIGKILL half-way: tests/reliability/test_pipeline_kills.py.)"""
    published = tmp_path / "published" / "warehouse.duckdb"
    publish_marts(warehouse.path, published, run_id="run-1")
    before = published.read_bytes()
    warehouse.build({12: 4, 44: 2})
    delta = publishing._publish_table

    def dies_after_the_first_table(conn, catalog, schema, table, watermark):
        delta(conn, catalog, schema, table, watermark)
        raise RuntimeError("killed")

    monkeypatch.setattr(publishing, "_publish_table", dies_after_the_first_table)
    with pytest.raises(RuntimeError):
        publish_marts(warehouse.path, published, run_id="run-2")
    assert published.read_bytes() == before
    monkeypatch.undo()
    publish_marts(warehouse.path, published, run_id="run-3")
    assert _published_tables(published)["marts.fct_order_events"] == ("delta", None)
    assert list(published.parent.glob(".*.tmp*")) == []
    _assert_equals_a_full_publication(warehouse, published, tmp_path)


def test_a_dbt_view_is_published_as_a_table_by_delta(tmp_path):
    """dbt-duckdb's views name what they read with the warehouse's catalog, the name DuckDB
    derives from its file (here ``shop``); publication must attach the warehouse under that
    name for them to bind, and publishes each as a table, by delta when it is rebuilt by order
    (as marts.fct_order_events, a view of int_order_events_unioned)."""
    shop = Warehouse(tmp_path / "shop.duckdb")
    shop.build({order: 1 + order % 4 for order in range(1, 41)})
    shop.execute("create view marts.order_events_view as select * from shop.marts.fct_order_events")
    published = tmp_path / "published" / "shop.duckdb"
    publish_marts(shop.path, published)
    shop.build({3: 6, 41: 2})
    counts = publish_marts(shop.path, published)

    assert _published_tables(published)["marts.order_events_view"] == ("delta", None)
    assert counts["marts.order_events_view"] == counts["marts.fct_order_events"]
    with duckdb.connect(str(published), read_only=True) as conn:
        kind = conn.execute(
            "select table_type from information_schema.tables where table_name = 'order_events_view'"
        ).fetchone()[0]
    assert kind == "BASE TABLE"
    _assert_equals_a_full_publication(shop, published, tmp_path)
