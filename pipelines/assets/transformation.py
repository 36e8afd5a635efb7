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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from dagster import AssetCheckSpec, AssetExecutionContext, AssetKey, AssetSpec, Config, Output
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.assets.dbt_project import dbt_project
from pipelines.assets.ingestion import WRITER_POOL
from pipelines.dbt_build_inputs import BuildPlan, open_test_windows, plan_build, record_build
from pipelines.resources import WarehouseResource

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
# Nothing here reads the build's manifest.json or run_results.json, and writing them took
# about 0.6 s of each of a pass's three builds: the event stream carries every result.
BUILD = [
    "build", "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test",
    "--log-level-file", "info", "--no-write-json",
]
PARTIAL_PARSE = "partial_parse.msgpack"


class DbtBuildConfig(Config):
    """full_refresh rebuilds incremental models from scratch (the nightly job sets it), so
    a change the incremental lifecycle cannot see (a mappings seed or model edited, an order
    deleted at its source) still lands."""

    full_refresh: bool = False


def _build(
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig, warehouse: WarehouseResource
) -> Iterator[Any]:
    """Build the group's nodes whose inputs changed since its last build (pipelines/dbt_build_inputs.py).

    The assets left as they are still yield an output, marked unchanged, so the actions that read
    them run in this pass too (a booking that failed is retried though its queue did not change).
    """
    group = context.op_def.name
    manifest = _manifest()
    # A hand-picked subset (from the UI) is built as picked and not recorded: the record stands
    # for the whole group, and the group's next build catches up from its last one.
    whole_group = set(context.selected_asset_keys) == set(context.assets_def.keys)
    with warehouse.connect() as conn:
        plan = plan_build(conn, manifest, group, full_refresh=config.full_refresh)
    if not whole_group:
        plan = replace(plan, full=True, reason="a subset of the group was picked")
    selected = _selected_nodes(context)
    needed = [name for name, unique_id in selected.items() if plan.needs(unique_id)]
    context.log.info(f"{group}: {len(needed)} of {len(selected)} assets to build ({plan.reason})")
    # Dagster takes a multi-asset's outputs in dependency order; nothing left as it is depends on
    # a node being built (everything downstream of a built node is built too), so they go first.
    yield from _unchanged_outputs(selected, plan, manifest)
    if needed:
        with warehouse.connect() as conn:
            open_test_windows(conn, plan)
        args = [*BUILD, "--full-refresh"] if config.full_refresh else list(BUILD)
        if exclusions := plan.exclusions(manifest):
            args += ["--exclude", " ".join(exclusions)]
        invocation = dbt.cli(args, context=context)
        yield from invocation.stream()
        _keep_parse(invocation.target_path)
        # dagster-dbt gives every build a target folder of its own (about 7 MB: compiled SQL,
        # logs); kept, they grew by three a pass without end. A failed build's folder stays.
        if invocation.target_path.resolve() != (dbt_project.project_dir / dbt_project.target_path).resolve():
            shutil.rmtree(invocation.target_path, ignore_errors=True)
    if whole_group:
        with warehouse.connect() as conn:
            record_build(conn, plan, selected.values())


def _manifest() -> dict[str, Any]:
    return json.loads(dbt_project.manifest_path.read_text())


def _selected_nodes(context: AssetExecutionContext) -> dict[str, str]:
    """The dbt unique id of each selected output, by output name."""
    assets_def = context.assets_def
    return {
        assets_def.get_output_name_for_asset_key(key): assets_def.specs_by_key[key].metadata[
            "dagster_dbt/unique_id"
        ]
        for key in context.selected_asset_keys
    }


def _unchanged_outputs(
    selected: dict[str, str], plan: BuildPlan, manifest: dict[str, Any]
) -> Iterator[Output]:
    unchanged = {unique_id: name for name, unique_id in selected.items() if not plan.needs(unique_id)}
    for unique_id in _in_dependency_order(unchanged, manifest["parent_map"]):
        yield Output(
            None,
            output_name=unchanged[unique_id],
            metadata={"rebuilt": False, "why": f"none of its inputs changed ({plan.reason})"},
        )


def _in_dependency_order(nodes: Iterable[str], parent_map: Mapping[str, list[str]]) -> list[str]:
    remaining = set(nodes)
    ordered: list[str] = []
    while remaining:
        ready = sorted(n for n in remaining if not remaining.intersection(parent_map.get(n, [])))
        ordered.extend(ready or sorted(remaining))  # dbt's graph has no cycles; never loop
        remaining.difference_update(ready or remaining)
    return ordered


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

    def get_asset_check_spec(
        self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> AssetCheckSpec | None:
        """dbt tests as non-blocking checks. dbt already stops at a failing error-severity test:
        the build fails, so its step fails and nothing after it runs. Blocking added nothing
        but a warning for each test a build leaves out because none of its models changed."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return AssetCheckSpec(
            name=spec.name, asset=spec.asset_key, description=spec.description,
            additional_deps=spec.additional_deps, metadata=spec.metadata, blocking=False,
        )


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
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig, warehouse: WarehouseResource
) -> Iterator[Any]:
    yield from _build(context, dbt, config, warehouse)


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
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig, warehouse: WarehouseResource
) -> Iterator[Any]:
    yield from _build(context, dbt, config, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=f"{BEFORE_PYTHON} {BEFORE_ACTIONS}",
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_after_actions",
    pool=WRITER_POOL,
)
def dbt_after_actions(
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig, warehouse: WarehouseResource
) -> Iterator[Any]:
    yield from _build(context, dbt, config, warehouse)
