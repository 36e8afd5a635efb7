"""The bench harness on a tiny world: its figures can be trusted only if its stages agree.

One run of ``orderloop bench`` at 2,000 orders (one repetition; no incremental run and no
dashboard renders: the CI budget allows two small dbt builds here): the limit, the pandas peer
and orderloop's real dlt ingest, ``dbt build`` and publication all run, the cross-check finds
every day's figures equal, the JSON and the markdown table hold every stage, and the floors
(a 100-order build and the write floor) cover every table the build materializes. This is about correctness;
timings are measured by ``make bench``, never asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from bench.harness import cross_check
from bench.write_floor import materialized_tables, measure
from orderloop.cli import main

ORDERS = 2_000
STAGES = ("limit", "peer", "ingest_limit", "ingest", "transform", "publish")


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, Path]:
    folder = tmp_path_factory.mktemp("bench")
    out, work = folder / "results", folder / "work"
    code = main(["bench", "--orders", str(ORDERS), "--repeat", "1", "--no-incremental", "--no-dashboards",
                 "--out", str(out), "--work", str(work)])
    return code, out, work


def _result(out: Path) -> dict[str, Any]:
    return json.loads((out / f"bench_{ORDERS}.json").read_text())


def test_limit_peer_and_orderloop_agree_on_every_day(bench_run: tuple[int, Path, Path]) -> None:
    code, out, _ = bench_run
    check = _result(out)["cross_check"]
    assert code == 0
    assert check["orders"] == ORDERS
    assert check["days"] > 100
    assert check["days_disagreeing_with_limit"] == 0
    assert check["days_disagreeing_with_peer"] == 0


def test_json_and_table_hold_every_stage(bench_run: tuple[int, Path, Path]) -> None:
    _, out, _ = bench_run
    result = _result(out)
    assert set(STAGES) <= set(result["stages"])
    for stage in STAGES:
        assert result["stages"][stage]["seconds"] > 0
        assert result["stages"][stage]["peak_rss_mib"] > 0
    assert set(result["ingest_sources"]) == {"shopify", "easypost"}
    assert result["ingest_sources"]["shopify"]["rows"] == sum(
        rows for table, rows in result["world_rows"].items() if table.startswith("shopify.")
    )
    assert result["slowest_dbt_nodes"]
    table = (out / f"bench_{ORDERS}.md").read_text()
    for label in ("limit:", "peer:", "ingest limit:", "orderloop ingest:", "orderloop transform:",
                  "orderloop publish:", "orderloop full build", "| shopify |", "| easypost |", "agrees"):
        assert label in table


def test_cross_check_catches_a_day_that_differs(bench_run: tuple[int, Path, Path]) -> None:
    _, out, work = bench_run
    published = work / "orderloop_0" / "published" / "warehouse.duckdb"
    tampered = work / "limit_tampered.duckdb"
    tampered.write_bytes((work / "limit.duckdb").read_bytes())
    with duckdb.connect(str(tampered)) as conn:
        conn.execute("update kpi_daily set orders = orders + 1 where kpi_date = date '2026-03-01'")
    check = cross_check(published, tampered, None)
    assert check["days_disagreeing_with_limit"] == 1
    assert not check["agree"]


def test_floors_cover_every_stage_and_every_materialized_table(bench_run: tuple[int, Path, Path]) -> None:
    _, out, work = bench_run
    floors = _result(out)["floors"]
    assert set(floors["fixed_cost_stages"]) == {"ingest", "transform", "publish"}
    assert all(stage["seconds"] > 0 for stage in floors["fixed_cost_stages"].values())
    # The 100-order build runs the same nodes as the full one: it is that build's fixed cost.
    assert floors["fixed_cost_dbt_nodes"] == _result(out)["dbt_nodes"]
    manifest = json.loads((work / "parse" / "dbt_target" / "manifest.json").read_text())
    tables = materialized_tables(manifest)
    assert ("marts", "fct_orders") in tables and ("intermediate", "int_order_events_unioned") in tables
    assert floors["writes"]["tables"] == len(tables)
    with duckdb.connect(str(work / "orderloop_0" / "warehouse.duckdb"), read_only=True) as conn:
        written_orders = conn.execute("select count(*) from marts.fct_orders").fetchone()[0]
    assert floors["writes"]["rows"] > written_orders == ORDERS
    assert "Floors:" in (out / f"bench_{ORDERS}.md").read_text()


def test_write_floor_fails_on_a_table_the_build_did_not_write(
    bench_run: tuple[int, Path, Path], tmp_path: Path
) -> None:
    _, _, work = bench_run
    manifest = json.loads((work / "parse" / "dbt_target" / "manifest.json").read_text())
    manifest["nodes"]["model.orderloop.never_built"] = {
        "resource_type": "model", "schema": "marts", "alias": "never_built",
        "config": {"materialized": "table"},
    }
    named = tmp_path / "manifest.json"
    named.write_text(json.dumps(manifest))
    with pytest.raises(duckdb.CatalogException, match="never_built"):
        measure(work / "orderloop_0" / "warehouse.duckdb", named, tmp_path / "scratch.duckdb")
