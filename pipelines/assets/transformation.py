"""The dbt project as three asset groups around the Python steps and the actions.

1. The inputs of the Python steps (contact validation, routing; models tagged
   ``python_input`` and their parents) build first, so those steps can read them.
2. Action queues (models tagged ``action_queue``) and the rest of their parents build
   before the actions run.
3. Everything else (the lifecycle, fct_orders, exceptions, stock) builds after, because it
   reads the Python steps' results and the action ledger.
Splitting the project this way keeps the asset graph acyclic while validation and booking
results still reach the marts in the same run.
"""

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Config
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.assets.dbt_project import dbt_project
from pipelines.assets.ingestion import WRITER_POOL

BEFORE_PYTHON = "+tag:python_input"
BEFORE_ACTIONS = "+tag:action_queue"
# A test that spans both groups (a relationship between a before- and an after-model) runs
# with the group that builds its last model, not with whichever group builds its first.
# Unit tests check the SQL against fixed fixtures, not the data, so a pass does not run them:
# they cost about 3 s a pass whatever the data, and tests/bench/test_dbt_unit_tests.py runs
# every one of them (docs/PERFORMANCE.md).
# dbt's file log defaults to debug: every statement and timing of every node, about 14,000
# lines a build, each scrubbed for secrets, which cost about a tenth of a small build's CPU.
# Info keeps each node's start and result; Dagster keeps dbt's own event stream.
BUILD = [
    "build", "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test",
    "--log-level-file", "info",
]
PARTIAL_PARSE = "partial_parse.msgpack"


class DbtBuildConfig(Config):
    """full_refresh rebuilds incremental models from scratch (the nightly job sets it), so
    a change the incremental lifecycle cannot see (a mappings seed or model edited, an order
    deleted at its source) still lands."""

    full_refresh: bool = False


def _build(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig) -> Iterator[Any]:
    args = [*BUILD, "--full-refresh"] if config.full_refresh else BUILD
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    _keep_parse(invocation.target_path)


def _keep_parse(invocation_target: Path) -> None:
    """Make this build's parse the one the next build starts from.

    dagster-dbt gives each build a fresh target folder seeded with the project target's
    ``partial_parse.msgpack``; that one comes from ``dbt parse`` under another warehouse path,
    so dbt found the profile changed and parsed the whole project again, three times a pass
    (about 3.5 s each, docs/PERFORMANCE.md). The copy is replaced atomically: builds of other
    data folders may share the project, and dbt checks the saved profile before reusing it.
    """
    saved = invocation_target / PARTIAL_PARSE
    if not saved.exists():
        return
    project_target = dbt_project.project_dir / dbt_project.target_path
    project_target.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f"{PARTIAL_PARSE}.", dir=project_target)
    os.close(handle)
    shutil.copyfile(saved, staging)
    os.replace(staging, project_target / PARTIAL_PARSE)


class WarehouseTranslator(DagsterDbtTranslator):
    """Models in one group; sources keep dagster-dbt's ``<source>/<table>`` keys, which is
    how the ingestion assets are keyed too."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "transformation"


def loaded_source_table_specs(ingestion_keys: list[AssetKey]) -> list[AssetSpec]:
    """Lineage for dbt source tables that no ingestion asset is named after.

    dlt writes nested lists as ``<table>__<child>`` tables, and one transformer can fan
    out into several tables (a 3PL feed per table): those tables are loaded by an asset
    of the same source with another name. They become specs that depend on it.
    """
    manifest = json.loads(dbt_project.manifest_path.read_text())
    loaded = set(ingestion_keys)
    specs = []
    for source in manifest["sources"].values():
        key = AssetKey([source["source_name"], source["name"]])
        producers = [k for k in ingestion_keys if k.path[0] == source["source_name"]]
        if key in loaded or not producers:
            continue
        parent = AssetKey([source["source_name"], source["name"].partition("__")[0]])
        specs.append(
            AssetSpec(
                key=key,
                deps=[parent] if parent in loaded else producers,
                group_name="ingestion",
                description=f"Loaded by {', '.join(p.to_user_string() for p in producers)}.",
            )
        )
    return specs


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=BEFORE_PYTHON,
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_before_python",
    pool=WRITER_POOL,
)
def dbt_before_python(
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    yield from _build(context, dbt, config)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=BEFORE_ACTIONS,
    exclude=BEFORE_PYTHON,
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_before_actions",
    pool=WRITER_POOL,
)
def dbt_before_actions(
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    yield from _build(context, dbt, config)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=f"{BEFORE_PYTHON} {BEFORE_ACTIONS}",
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_after_actions",
    pool=WRITER_POOL,
)
def dbt_after_actions(
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    yield from _build(context, dbt, config)
