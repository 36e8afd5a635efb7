"""The dbt resource skips dagster-dbt's ``dbt --version`` child process (which also asks pypi.org)
and its in-process adapter (pipelines/resources.py); the real builds of the pipeline tests run
through it."""

from __future__ import annotations

import shutil
import sys
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtCliResource

from pipelines.resources import DbtCoreCliResource, build_resources


def test_the_hooks_it_replaces_still_exist_in_dagster_dbt() -> None:
    # Private to dagster-dbt: an upgrade that renames them would silently bring the costs back.
    assert "_cli_version" in vars(DbtCliResource)
    assert callable(vars(DbtCliResource)["_initialize_dbt_core_adapter"])
    assert isinstance(build_resources()["dbt"], DbtCoreCliResource)


def test_its_version_is_the_dbt_core_it_runs() -> None:
    resource = build_resources()["dbt"]
    assert isinstance(resource, DbtCoreCliResource)
    executable = shutil.which(resource.dbt_executable)
    assert executable and Path(executable).parent == Path(sys.executable).parent
    assert str(resource._cli_version) == version("dbt-core")
    assert resource._cli_version.major < 2  # dbt Core, not Fusion
    assert resource._initialize_dbt_core_adapter(["build"]) is None
