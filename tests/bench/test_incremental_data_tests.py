"""Data tests of the incremental models check the newest build's rows, and key tests of staging
views the newest loads' keys, and still catch what matters (macros/get_where_subquery.sql,
macros/tested_through.sql).

On the incremental bench warehouse (conftest.py: 5% of the orders rewritten by the newest
build) the uniqueness test of ``int_order_events_unioned.event_id`` (the table behind the
``fct_order_events`` view) reads only the newest build's
keys, yet fails on a duplicate among the new rows and on a new key that an old row of another
order also holds; on the full rebuild (one build wrote every row) it reads the whole table.
Likewise the key test of ``stg_shopify__order_lines`` checks the lines of orders loaded after
the last build's loads, and fails on an old line id that a newly loaded order's line repeats.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from orderloop.paths import DBT_PROJECT_DIR
from tests.bench.conftest import Builds

UNIQUE_EVENT_ID = "test.orderloop.unique_int_order_events_unioned_event_id"
LINES = "stg_shopify__order_lines"
LINE_KEY = "test.orderloop.primary_key_stg_shopify__order_lines_line_id__shopify_orders"
# The bench world's first batch: the incremental build's window (tests/bench/conftest.py).
FIRST_LOAD_ID = "1700000000.000001"


def _dbt_test(
    warehouse: Path, target: Path, model: str = "int_order_events_unioned", test: str = UNIQUE_EVENT_ID
) -> tuple[dict[str, str], str]:
    """``dbt test`` of ``model`` on ``warehouse``: each test's status, and the SQL ``test`` ran."""
    env = {**os.environ, "ORDERLOOP_WAREHOUSE": warehouse.name, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "test", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(target),
         "--select", model, "--exclude-resource-type", "unit_test", "--quiet"],
        cwd=warehouse.parent, env=env, check=False, capture_output=True,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    statuses = {result["unique_id"].rsplit(".", 1)[0]: result["status"] for result in results}
    compiled = next(result["compiled_code"] for result in results if result["unique_id"].startswith(test))
    return statuses, compiled


def _copy(warehouse: Path, folder: Path) -> Path:
    shutil.copytree(warehouse.parent, folder, ignore=shutil.ignore_patterns("dbt_target", "dlt"))
    return folder / warehouse.name


def test_an_incremental_build_tests_its_own_rows_against_every_row(builds: Builds, tmp_path: Path) -> None:
    clean = _copy(builds.incremental, tmp_path / "clean")
    statuses, compiled = _dbt_test(clean, tmp_path / "clean_target")
    assert statuses and set(statuses.values()) == {"pass"}, statuses
    assert "_built_at = (select max(_built_at)" in compiled  # the newest build's keys only

    # A duplicate written by the newest build, and an old row (another order, an older stamp)
    # holding a key the newest build wrote: each must fail the test.
    cases = (("new_duplicate", "_built_at"), ("old_row_with_a_new_key", "_built_at - interval 1 day"))
    for case, stamp in cases:
        warehouse = _copy(builds.incremental, tmp_path / case)
        with duckdb.connect(str(warehouse)) as conn:
            conn.execute(f"""
                insert into intermediate.int_order_events_unioned
                select * replace (order_id || '-copy' as order_id, {stamp} as _built_at)
                from intermediate.int_order_events_unioned
                where _built_at = (select max(_built_at) from intermediate.int_order_events_unioned)
                limit 1
            """)
        statuses, _ = _dbt_test(warehouse, tmp_path / f"{case}_target")
        assert statuses[UNIQUE_EVENT_ID] == "fail", (case, statuses)


def test_a_key_the_model_replaces_by_is_tested_on_the_newest_rows_alone(
    builds: Builds, tmp_path: Path
) -> None:
    """int_orders_milestoned replaces whole orders (delete+insert on order_id): no old row can
    share a key with a new one, so the uniqueness of order_id reads only the newest rows."""
    model, test = "int_orders_milestoned", "test.orderloop.unique_int_orders_milestoned_order_id"
    clean = _copy(builds.incremental, tmp_path / "orders")
    statuses, compiled = _dbt_test(clean, tmp_path / "orders_t", model, test)
    assert statuses[test] == "pass", statuses
    assert "_built_at = (select max(_built_at)" in compiled and "in (select order_id" not in compiled

    warehouse = _copy(builds.incremental, tmp_path / "duplicate_order")
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(f"""
            insert into intermediate.{model}
            select * from intermediate.{model}
            where _built_at = (select max(_built_at) from intermediate.{model})
            limit 1
        """)
    statuses, _ = _dbt_test(warehouse, tmp_path / "duplicate_order_t", model, test)
    assert statuses[test] == "fail", statuses


def test_a_full_build_tests_every_row(builds: Builds, tmp_path: Path) -> None:
    statuses, compiled = _dbt_test(_copy(builds.full, tmp_path / "full"), tmp_path / "full_target")
    assert set(statuses.values()) == {"pass"}, statuses
    assert "_built_at" not in compiled


def test_a_staging_key_test_checks_the_newest_loads_keys_against_every_row(
    builds: Builds, tmp_path: Path
) -> None:
    clean = _copy(builds.incremental, tmp_path / "clean_lines")
    statuses, compiled = _dbt_test(clean, tmp_path / "clean_lines_target", LINES, LINE_KEY)
    assert statuses[LINE_KEY] == "pass", statuses
    assert f"_dlt_load_id > '{FIRST_LOAD_ID}'" in compiled  # the planned build's window

    # A line of a newly loaded order repeating an old order's line id.
    warehouse = _copy(builds.incremental, tmp_path / "repeated_line")
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(f"""
            insert into raw_shopify.orders__line_items
            select old.* replace (new_order._dlt_id as _dlt_parent_id, old._dlt_id || '-copy' as _dlt_id)
            from raw_shopify.orders__line_items as old, (
                select _dlt_id from raw_shopify.orders where _dlt_load_id > '{FIRST_LOAD_ID}' limit 1
            ) as new_order
            where old._dlt_parent_id in (
                select _dlt_id from raw_shopify.orders where _dlt_load_id = '{FIRST_LOAD_ID}'
            )
            limit 1
        """)
    statuses, _ = _dbt_test(warehouse, tmp_path / "repeated_line_target", LINES, LINE_KEY)
    assert statuses[LINE_KEY] == "fail", statuses

    # After a full build there is no window: every line is checked.
    full = _copy(builds.full, tmp_path / "full_lines")
    _, compiled = _dbt_test(full, tmp_path / "full_lines_target", LINES, LINE_KEY)
    assert "_dlt_load_id >" not in compiled


def test_a_models_not_null_test_fails_on_a_null_in_any_of_its_columns_and_names_it(
    builds: Builds, tmp_path: Path
) -> None:
    """``not_null_columns`` checks several columns in one node: a null in any of them fails it,
    and its failing rows say which column and how many rows (tests/generic/not_null_columns.sql).
    On an incremental model it reads the newest build's rows, as the one-column tests did."""
    model, test = "int_orders_milestoned", "test.orderloop.not_null_columns_int_orders_milestoned"
    clean = _copy(builds.incremental, tmp_path / "clean_nn")
    statuses, compiled = _dbt_test(clean, tmp_path / "clean_nn_target", model, test)
    assert [status for name, status in statuses.items() if name.startswith(test)] == ["pass"], statuses
    assert "_built_at = (select max(_built_at)" in compiled

    warehouse = _copy(builds.incremental, tmp_path / "null_status")
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(f"""
            update intermediate.{model} set status = null
            where order_id in (
                select order_id from intermediate.{model}
                where _built_at = (select max(_built_at) from intermediate.{model})
                order by order_id limit 2
            )
        """)
    statuses, compiled = _dbt_test(warehouse, tmp_path / "null_status_target", model, test)
    assert [status for name, status in statuses.items() if name.startswith(test)] == ["fail"], statuses
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute(compiled).fetchall() == [("status", 2)]
