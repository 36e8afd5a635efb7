"""Every dbt unit test passes, here rather than in every pass.

A pass builds with ``--exclude-resource-type unit_test`` (pipelines/assets/transformation.py):
unit tests check the SQL against their own fixtures, so they give the same answer on every
pass and cost about 3 s of each. They run here, on the small bench warehouse of conftest.py
(dbt needs the tested models' parents to exist to type the fixtures), all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from orderloop.paths import DBT_PROJECT_DIR
from tests.bench.conftest import Builds


def test_every_dbt_unit_test_passes(builds: Builds) -> None:
    target = builds.full.parent / "dbt_unit_tests"
    completed = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "test", "--select", "test_type:unit",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(target / "logs")],
        cwd=builds.full.parent, env={**os.environ, "ORDERLOOP_WAREHOUSE": builds.full.name},
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "run_results.json").read_text())["results"]
    ran = {result["unique_id"] for result in results if result["status"] == "pass"}
    assert ran == set(manifest["unit_tests"])
    assert len(ran) >= 17
