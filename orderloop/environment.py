"""Process environment every orderloop command runs with.

Telemetry of dbt, dlt, Streamlit and Dagster is switched off here so nothing leaves
127.0.0.1; the paths of the data folder are exported so child processes (dbt,
``dagster dev``, Streamlit) see the same warehouse as the parent.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from orderloop.paths import PROJECT_ROOT, DataPaths, data_paths
from orderloop.warehouse_memory import ENV_VAR as MEMORY_LIMIT_VAR
from orderloop.warehouse_memory import duckdb_memory_limit

TELEMETRY_OFF = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
}

DAGSTER_YAML = """\
# Written by orderloop: one DuckDB writer at a time, no telemetry.
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
run_retries:
  enabled: true
  max_retries: 1
"""


def configure_environment(
    paths: DataPaths | None = None, env: MutableMapping[str, str] | None = None
) -> DataPaths:
    """Export telemetry switches, data-folder paths and dbt's memory budget, and write
    ``dagster.yaml``.

    Existing values win, so a caller (a test, a deployment) can point elsewhere.
    """
    env = os.environ if env is None else env
    paths = (paths or data_paths()).ensure()
    for key, value in TELEMETRY_OFF.items():
        env.setdefault(key, value)
    env["ORDERLOOP_DATA_DIR"] = str(paths.root)
    env["ORDERLOOP_WAREHOUSE"] = str(paths.warehouse)
    env["DAGSTER_HOME"] = str(paths.dagster_home)
    # dbt's DuckDB memory budget (the profile reads it); an override is checked here, first.
    env[MEMORY_LIMIT_VAR] = duckdb_memory_limit(env)
    # dlt reads .dlt/config.toml and secrets.toml from the project, whatever the cwd.
    env.setdefault("DLT_PROJECT_DIR", str(PROJECT_ROOT))
    # Tools installed beside this interpreter (dbt, dagster) must be found without
    # activating the virtual environment.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    dagster_yaml = paths.dagster_home / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.write_text(DAGSTER_YAML)
    return paths
