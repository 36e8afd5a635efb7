"""Which dbt nodes a build needs: nothing when no input moved, only the descendants of what did,
everything when the project, an erasure or a missing record says so.

The warehouse is a small real DuckDB file with tables shaped as dlt lands them (``_dlt_load_id``,
a child table, ``_dlt_loads``) and as the pipeline's own steps write them; the manifest is a
hand-made graph in dbt's shape: two sources, a staging model each, a model reading both, and a
model of another build group reading that one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines import dbt_build_inputs
from pipelines.dbt_build_inputs import (
    BUILDS_TABLE,
    TEST_WINDOWS_TABLE,
    open_test_windows,
    plan_build,
    record_build,
)

ORDERS = "source.shop.shopify.orders"
LINES = "source.shop.shopify.orders__line_items"
ROUTES = "source.shop.routing.routes"
STG_ORDERS = "model.shop.stg_orders"
STG_LINES = "model.shop.stg_lines"
STG_ROUTES = "model.shop.stg_routes"
LIFECYCLE = "model.shop.lifecycle"
QUEUE = "model.shop.queue"
TEST_ROUTES = "test.shop.not_null_stg_routes_id"
SEED = "seed.shop.carriers"
EARLY, LATE = "early_group", "late_group"
EARLY_NODES = [STG_ORDERS, STG_LINES, STG_ROUTES, LIFECYCLE, TEST_ROUTES, SEED]
LATE_NODES = [QUEUE]
PROJECT = "project-v1"


def _manifest() -> dict:
    sources = {
        ORDERS: ("shopify", "raw_shopify", "orders"),
        LINES: ("shopify", "raw_shopify", "orders__line_items"),
        ROUTES: ("routing", "routing", "routes"),
    }
    parents = {
        STG_ORDERS: [ORDERS], STG_LINES: [LINES], STG_ROUTES: [ROUTES],
        LIFECYCLE: [STG_ORDERS, STG_LINES, STG_ROUTES, SEED], QUEUE: [LIFECYCLE], TEST_ROUTES: [STG_ROUTES],
        SEED: [],
    }
    children: dict[str, list[str]] = {uid: [] for uid in [*sources, *parents]}
    for child, its_parents in parents.items():
        for parent in its_parents:
            children[parent].append(child)
    nodes = {
        uid: {"name": uid.split(".")[-1], "resource_type": uid.split(".")[0]} for uid in parents
    }
    return {
        "sources": {
            uid: {"source_name": name, "name": table, "schema": schema, "identifier": table}
            for uid, (name, schema, table) in sources.items()
        },
        "nodes": nodes,
        "child_map": children,
        "parent_map": parents,
    }


@pytest.fixture
def conn(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    conn.execute("create schema raw_shopify; create schema routing")
    conn.execute("create table raw_shopify._dlt_loads (load_id varchar, status integer)")
    conn.execute(
        "create table raw_shopify.orders (id integer, total integer, _dlt_load_id varchar, _dlt_id varchar)"
    )
    conn.execute(
        "create table raw_shopify.orders__line_items (sku varchar, _dlt_parent_id varchar, _dlt_id varchar)"
    )
    conn.execute("create table routing.routes (id integer, warehouse varchar)")
    _load(conn, "1.0", [(1, 10), (2, 20)], ["a", "b"])
    conn.execute("insert into routing.routes values (1, 'leeds'), (2, 'york')")
    yield conn
    conn.close()


def _load(
    conn: duckdb.DuckDBPyConnection, load_id: str, orders: list[tuple[int, int]], skus: list[str]
) -> None:
    """One dlt merge of ``orders`` (every row written again gets the new load id and a new _dlt_id)."""
    ids = [order_id for order_id, _ in orders]
    conn.execute(f"delete from raw_shopify.orders where id in ({', '.join(map(str, ids))})")
    conn.executemany(
        "insert into raw_shopify.orders values (?, ?, ?, uuid()::varchar)",
        [(order_id, total, load_id) for order_id, total in orders],
    )
    conn.execute("delete from raw_shopify.orders__line_items")
    conn.executemany(
        "insert into raw_shopify.orders__line_items values (?, uuid()::varchar, uuid()::varchar)",
        [(sku,) for sku in skus],
    )
    conn.execute("insert into raw_shopify._dlt_loads values (?, 0)", [load_id])


def _build(conn: duckdb.DuckDBPyConnection, group: str = EARLY, nodes: list[str] = EARLY_NODES, **kwargs):
    plan = plan_build(conn, _manifest(), group, project=kwargs.pop("project", PROJECT), **kwargs)
    record_build(conn, plan, nodes)
    return plan


def _needed(plan, nodes: list[str] = EARLY_NODES) -> set[str]:
    return {uid for uid in nodes if plan.needs(uid)}


def test_the_first_build_builds_everything_and_the_next_one_nothing(conn) -> None:
    first = _build(conn)
    assert first.full and first.reason == "no earlier build of this group"

    again = _build(conn)
    assert not again.full
    assert _needed(again) == set()
    # Every model and source is excluded; the seed too (it changes only with the project).
    assert set(again.exclusions(_manifest())) == {
        "stg_orders", "stg_lines", "stg_routes", "lifecycle", "queue", "carriers",
        "source:shopify.orders", "source:shopify.orders__line_items", "source:routing.routes",
    }


def test_a_new_dlt_load_rebuilds_only_what_reads_that_source(conn) -> None:
    _build(conn)
    _load(conn, "2.0", [(3, 30)], ["a", "b", "c"])

    plan = _build(conn)

    assert _needed(plan) == {STG_ORDERS, STG_LINES, LIFECYCLE}
    assert "stg_routes" in plan.exclusions(_manifest())
    assert "source:routing.routes" in plan.exclusions(_manifest())


def _windows(conn: duckdb.DuckDBPyConnection, plan) -> dict[str, str]:
    open_test_windows(conn, plan)
    return dict(conn.execute(f"select source_table, tested_through from {TEST_WINDOWS_TABLE}").fetchall())


def test_key_tests_are_told_the_loads_the_last_build_already_tested(conn) -> None:
    first = _build(conn)
    assert _windows(conn, first) == {}  # nothing built before: every row is tested
    _load(conn, "2.0", [(3, 30)], ["a", "b", "c"])

    second = _build(conn)

    # The rows newer than load 1.0 are the new ones, for the table and its child table alike;
    # a table without load ids has no window (its tests read every row).
    assert _windows(conn, second) == {"shopify.orders": "1.0", "shopify.orders__line_items": "1.0"}
    _load(conn, "3.0", [(4, 40)], ["a"])
    assert _windows(conn, _build(conn))["shopify.orders"] == "2.0"
    # A full build, a hand-picked subset (planned as full) and no plan test every row.
    assert _windows(conn, _build(conn, full_refresh=True)) == {}
    assert _windows(conn, None) == {}


@pytest.mark.parametrize("large", [False, True], ids=["small table", "large table"])
def test_a_source_merged_again_with_the_same_rows_is_unchanged(conn, monkeypatch, large: bool) -> None:
    """A look-back source (Click & Drop, the calendar) merges the same rows with a new load id on
    every run. A small table is hashed at every new load, so that costs nothing; a large one is
    hashed only when its row count stays the same, so the first such load after a change in its
    row count is taken as a change, and the later ones are not."""
    if large:
        monkeypatch.setattr(dbt_build_inputs, "HASHED_BELOW_ROWS", 1)
    _build(conn)
    _load(conn, "2.0", [(1, 10), (2, 20)], ["a", "b"])
    assert _needed(_build(conn)) == ({STG_ORDERS, STG_LINES, LIFECYCLE} if large else set())

    _load(conn, "3.0", [(1, 10), (2, 20)], ["a", "b"])
    assert _needed(_build(conn)) == set()

    _load(conn, "4.0", [(1, 10), (2, 21)], ["a", "b"])  # one total changed, the lines did not
    assert _needed(_build(conn)) == {STG_ORDERS, LIFECYCLE}


def test_a_table_the_pipeline_rewrites_counts_as_changed_only_when_its_rows_do(conn) -> None:
    _build(conn)
    conn.execute(
        "create or replace table routing.routes as"
        " select * from (values (1, 'leeds'), (2, 'york')) as t(id, warehouse)"
    )
    assert _needed(_build(conn)) == set()

    conn.execute("update routing.routes set warehouse = 'leeds' where id = 2")
    plan = _build(conn)
    assert _needed(plan) == {STG_ROUTES, LIFECYCLE, TEST_ROUTES}


def test_a_source_that_appears_is_a_change(conn) -> None:
    conn.execute("drop table routing.routes")
    _build(conn)
    conn.execute("create table routing.routes (id integer, warehouse varchar)")
    assert STG_ROUTES in _needed(_build(conn))


def test_a_changed_project_an_erasure_or_a_full_refresh_rebuilds_everything(conn) -> None:
    _build(conn)
    assert _build(conn, project="project-v2").reason == "the dbt project changed"
    assert _build(conn, project="project-v2", full_refresh=True).reason == "full refresh"

    conn.execute("create schema privacy; create table privacy.erasures (subject_hash varchar)")
    assert _build(conn, project="project-v2").full
    assert not _build(conn, project="project-v2").full
    conn.execute("insert into privacy.erasures values ('9f86d0')")
    plan = _build(conn, project="project-v2")
    assert plan.full and plan.reason == "a customer's data was erased"


def test_a_later_group_rebuilds_what_an_earlier_group_rebuilt_for_it(conn) -> None:
    """The late group reads the early group's lifecycle model. Routing changes between the two
    groups' builds (the pipeline's routing step runs between them), so by the late group's next
    build the source is as it last saw it; the lifecycle it reads was rebuilt all the same."""
    _build(conn)
    _build(conn, LATE, LATE_NODES)
    conn.execute("insert into routing.routes values (3, 'york')")
    _build(conn, LATE, LATE_NODES)  # sees the change first: its queue reads routing through the lifecycle

    early = _build(conn)
    assert LIFECYCLE in _needed(early)
    late = _build(conn, LATE, LATE_NODES)
    assert _needed(late, LATE_NODES) == {QUEUE}

    # Neither group rebuilds because of the other's record again: no endless ping-pong.
    assert _needed(_build(conn)) == set()
    assert _needed(_build(conn, LATE, LATE_NODES), LATE_NODES) == set()


def test_only_the_newest_builds_of_each_group_are_kept(conn) -> None:
    for _ in range(25):
        _build(conn)
    assert conn.execute(f"select count(*) from {BUILDS_TABLE}").fetchone()[0] == 20
