"""The automation rule sets of ``rules/`` as warehouse tables, so the marts can join the
version in force at each decision's time and measure each change (automation_impact).

``rules.rule_versions`` lists every version of every rule set; each rule set the marts join
by date (cut-offs, exception owners, safety stock, channel allocation) also gets a table of
its settings, one row per setting and version with ``effective_from``/``effective_to``
(naive UTC, like every timestamp in the warehouse; ``effective_to`` null while in force).
"""

import json
from datetime import UTC, datetime

import polars as pl
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from orderloop.rule_sets import RuleSet, load_rules
from pipelines.assets.ingestion import WRITER_POOL
from pipelines.resources import WarehouseResource

RULE_VERSIONS = AssetKey(["rules", "rule_versions"])
COMMON_FIELDS = {"version", "effective_from", "description", "changes"}
POLARS_TYPES = {"varchar": pl.Utf8, "integer": pl.Int64, "boolean": pl.Boolean}
VERSION_COLUMNS = {
    "rule_version": pl.Utf8, "effective_from": pl.Datetime("us"), "effective_to": pl.Datetime("us")
}


def _naive_utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def version_rows(rule_sets: dict[str, RuleSet]) -> pl.DataFrame:
    """One row per version of every rule set, with its diff and parameters."""
    rows = []
    for rule_set in rule_sets.values():
        for version in rule_set.versions:
            fields = version.model_dump(mode="json")
            rows.append(
                {
                    "rule_set": rule_set.rule_set,
                    "rule_version": version.version,
                    "effective_from": _naive_utc(version.effective_from),
                    "effective_to": _naive_utc(rule_set.effective_to(version)),
                    "description": version.description,
                    "rule_diff": "\n".join(version.changes),
                    "parameters": json.dumps({k: v for k, v in fields.items() if k not in COMMON_FIELDS}),
                }
            )
    return pl.DataFrame(rows)


def setting_tables(rule_sets: dict[str, RuleSet]) -> dict[str, pl.DataFrame]:
    """Per rule set with a table: its settings per version, with the dates each applies between."""
    tables = {}
    for rule_set in rule_sets.values():
        model = type(rule_set.versions[0])
        if model.table is None:
            continue
        rows = [
            {
                "rule_version": version.version,
                "effective_from": _naive_utc(version.effective_from),
                "effective_to": _naive_utc(rule_set.effective_to(version)),
                **row,
            }
            for version in rule_set.versions
            for row in version.table_rows()
        ]
        schema = {**VERSION_COLUMNS, **{name: POLARS_TYPES[kind] for name, kind in model.columns.items()}}
        tables[model.table] = pl.DataFrame(rows, schema=schema)
    return tables


@asset(
    key=RULE_VERSIONS,
    group_name="rules",
    kinds={"python", "duckdb"},
    pool=WRITER_POOL,
    description=(
        "Every version of every rule set in rules/, with its effective dates, diff and parameters,"
        " and the dated settings tables the marts join (rules.cutoffs, rules.exception_owners, ...)."
    ),
)
def rule_versions(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    rule_sets = load_rules()
    tables = {"rule_versions": version_rows(rule_sets), **setting_tables(rule_sets)}
    # DuckDB-specific: replaces each table from a registered Arrow table.
    with warehouse.connect() as conn:
        conn.execute("create schema if not exists rules")
        for name, frame in tables.items():
            conn.register("new_rules", frame.to_arrow())
            conn.execute(f"create or replace table rules.{name} as select * from new_rules")
            conn.unregister("new_rules")
    return MaterializeResult(metadata={f"{name}_rows": frame.height for name, frame in tables.items()})
