"""The automation rule sets of ``rules/`` as a warehouse table, so the marts can measure each
change (automation_impact) and show the rules behind each decision."""

import json
from datetime import UTC

import polars as pl
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from orderloop.rule_sets import load_rules
from pipelines.assets.ingestion import WRITER_POOL
from pipelines.resources import WarehouseResource

RULE_VERSIONS = AssetKey(["rules", "rule_versions"])
COMMON_FIELDS = {"version", "effective_from", "description", "changes"}


@asset(
    key=RULE_VERSIONS,
    group_name="rules",
    kinds={"python", "duckdb"},
    pool=WRITER_POOL,
    description="Every version of every rule set in rules/, with its effective date, diff and parameters.",
)
def rule_versions(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    rows = []
    for rule_set in load_rules().values():
        for version in rule_set.versions:
            fields = version.model_dump(mode="json")
            rows.append(
                {
                    "rule_set": rule_set.rule_set,
                    "rule_version": version.version,
                    # Naive UTC, like every timestamp in the warehouse.
                    "effective_from": version.effective_from.astimezone(UTC).replace(tzinfo=None),
                    "description": version.description,
                    "rule_diff": "\n".join(version.changes),
                    "parameters": json.dumps({k: v for k, v in fields.items() if k not in COMMON_FIELDS}),
                }
            )
    frame = pl.DataFrame(rows)
    # DuckDB-specific: replaces the table from a registered Arrow table.
    with warehouse.connect() as conn:
        conn.execute("create schema if not exists rules")
        conn.register("new_rule_versions", frame.to_arrow())
        conn.execute("create or replace table rules.rule_versions as select * from new_rule_versions")
        conn.unregister("new_rule_versions")
    return MaterializeResult(metadata={"rule_versions": frame.height})
