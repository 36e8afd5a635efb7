"""DuckDB's memory budget (dbt, dlt, publication): a share of the machine unless overridden, checked first."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from orderloop.environment import configure_environment
from orderloop.paths import PROJECT_ROOT, DataPaths
from orderloop.warehouse_memory import (
    DEFAULT_SHARE,
    ENV_VAR,
    MemoryLimitError,
    duckdb_memory_limit,
    physical_memory_mib,
)


def test_the_default_is_a_share_of_the_machine_that_duckdb_accepts() -> None:
    limit = duckdb_memory_limit({})
    assert limit == f"{int(physical_memory_mib() * DEFAULT_SHARE)}MiB"
    with duckdb.connect() as conn:
        conn.execute(f"set memory_limit = '{limit}'")
        amount, unit = conn.execute("select current_setting('memory_limit')").fetchone()[0].split()
    assert unit in ("MiB", "GiB")
    taken_mib = float(amount) * (1024 if unit == "GiB" else 1)
    assert abs(taken_mib - physical_memory_mib() * DEFAULT_SHARE) / taken_mib < 0.01


def test_an_override_wins_and_a_bad_one_is_named() -> None:
    assert duckdb_memory_limit({ENV_VAR: "6GB"}) == "6GB"
    with pytest.raises(MemoryLimitError, match=r"ORDERLOOP_DUCKDB_MEMORY_LIMIT='80%'"):
        duckdb_memory_limit({ENV_VAR: "80%"})


def test_every_command_exports_it(data_paths: DataPaths) -> None:
    env: dict[str, str] = {"ORDERLOOP_DATA_DIR": str(data_paths.root)}
    configure_environment(data_paths, env)
    assert env[ENV_VAR] == duckdb_memory_limit({})


def test_dbt_connections_take_it(data_paths: DataPaths, tmp_path) -> None:
    """The profile hands the budget to DuckDB: a build's own connection reports it."""
    env = {**_environment(data_paths), ENV_VAR: "700MiB"}
    shown = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "show", "--inline",
         "select current_setting('memory_limit') as memory_limit", "--output", "json",
         "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert '"memory_limit": "700.0 MiB"' in shown.stdout


def test_a_bad_override_stops_the_command_with_its_name(data_paths: DataPaths) -> None:
    env = {**_environment(data_paths), ENV_VAR: "lots"}
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from orderloop.cli import main; sys.exit(main(['summary']))"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert "ORDERLOOP_DUCKDB_MEMORY_LIMIT='lots'" in result.stderr


def _environment(data_paths: DataPaths) -> dict[str, str]:
    return {
        **os.environ,
        "ORDERLOOP_DATA_DIR": str(data_paths.root),
        "ORDERLOOP_WAREHOUSE": str(data_paths.warehouse),
    }


def test_dlt_loads_under_it(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connectors' destination opens the warehouse with the budget (a merge of 10M orders
    took 12 GiB at DuckDB's default)."""
    from connectors.destination import warehouse_pipeline

    monkeypatch.setenv(ENV_VAR, "600MiB")
    pipeline = warehouse_pipeline("budget", tmp_path / "warehouse.duckdb", tmp_path / "dlt")
    pipeline.run([{"id": 1}], table_name="rows")
    with pipeline.sql_client() as client:
        assert client.execute_sql("select current_setting('memory_limit')") == [("600.0 MiB",)]


def test_publication_runs_under_it(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Publication copies the marts under the budget too (5.2 GiB at 10M orders at DuckDB's
    default). A view is published as a table of its rows, evaluated by the publishing
    connection, so a view of the setting shows the budget that connection had."""
    from pipelines.publishing import publish_marts

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create schema marts")
        conn.execute("create view marts.memory as select current_setting('memory_limit') as memory_limit")
    monkeypatch.setenv(ENV_VAR, "700MiB")
    published = tmp_path / "published" / "warehouse.duckdb"
    publish_marts(warehouse, published)
    with duckdb.connect(str(published), read_only=True) as conn:
        assert conn.execute("select memory_limit from marts.memory").fetchall() == [("700.0 MiB",)]
