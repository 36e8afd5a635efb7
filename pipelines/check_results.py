"""The latest result of every data check, read from the Dagster instance for the published copy.

dbt's tests are Dagster asset checks and the sources have freshness policies, but their
results live in the Dagster instance, which dashboards must not open (they read only the
published file). So the publishing step reads them here, through the instance the run
records into, for ``marts.pipeline_checks`` beside the marts (``pipelines/published_checks.py``):

- every asset check of the code location, with its latest completed evaluation (a check
  never evaluated is left out; one planned but skipped keeps its previous result);
- every asset with a time-window freshness policy (the sources, ``pipelines/checks.py``):
  warned past its warn window since its last materialization, failed past its fail window.
  Freshness is computed here from the last materialization because the instance records
  freshness states only when the daemon evaluates them, and ``orderloop run`` has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterInstance
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph
from dagster._core.definitions.freshness import TimeWindowFreshnessPolicy
from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
    AssetCheckExecutionRecord,
)

from pipelines.published_checks import CheckResult

FAILED_ROWS_KEY = "dagster_dbt/failed_row_count"
FRESHNESS_CHECK = "freshness"


def _status(passed: bool, severity: str) -> str:
    if passed:
        return "passed"
    return "warned" if severity == "warn" else "failed"


def _utc(timestamp: float) -> datetime:
    """Naive UTC, as every timestamp of the marts is."""
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def _message(description: str | None, metadata: Mapping[str, object]) -> str | None:
    """The check's own words, else how many rows failed (what dagster-dbt records)."""
    if description:
        return description
    failed = metadata.get(FAILED_ROWS_KEY)
    rows = getattr(failed, "value", None)
    if isinstance(rows, int) and rows > 0:
        return f"{rows} row{'s' if rows != 1 else ''} fail the check"
    return None


def _latest_completed(
    instance: DagsterInstance, keys: Sequence[AssetCheckKey]
) -> dict[AssetCheckKey, AssetCheckExecutionRecord]:
    """The latest completed execution per check; a planned one that never ran is looked past."""
    storage = instance.event_log_storage
    latest = dict(storage.get_latest_asset_check_execution_by_key(list(keys)))
    for key, record in list(latest.items()):
        if record.status in COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES:
            continue
        history = storage.get_asset_check_execution_history(
            key, limit=1, status=set(COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES)
        )
        if history:
            latest[key] = history[0]
        else:
            del latest[key]
    return latest


def asset_check_results(instance: DagsterInstance, keys: Iterable[AssetCheckKey]) -> list[CheckResult]:
    """The latest evaluation of each asset check in ``keys`` that has been evaluated."""
    results = []
    for key, record in _latest_completed(instance, sorted(keys, key=str)).items():
        evaluation = record.evaluation
        if evaluation is None:  # pragma: no cover - a completed record always carries its event
            continue
        severity = "warn" if evaluation.severity == AssetCheckSeverity.WARN else "error"
        results.append(
            CheckResult(
                asset_key=key.asset_key.to_user_string(),
                check_name=key.name,
                check_kind="asset check",
                status=_status(evaluation.passed, severity),
                passed=evaluation.passed,
                severity=severity,
                evaluated_at=_utc(record.event.timestamp if record.event else record.create_timestamp),
                run_id=record.run_id,
                message=_message(evaluation.description, evaluation.metadata),
            )
        )
    return results


def freshness_results(
    instance: DagsterInstance, policies: Mapping[AssetKey, TimeWindowFreshnessPolicy], now: datetime
) -> list[CheckResult]:
    """Each asset's age since its last materialization against its policy's windows, at ``now``."""
    latest = instance.get_latest_materialization_events(list(policies))
    results = []
    for key in sorted(policies, key=lambda k: k.to_user_string()):
        policy = policies[key]
        fail_after = policy.fail_window.to_timedelta()
        warn_after = policy.warn_window.to_timedelta() if policy.warn_window else fail_after
        event = latest.get(key)
        age = now - datetime.fromtimestamp(event.timestamp, UTC) if event else None
        if age is None or age > fail_after:
            passed, severity = False, "error"
        elif age > warn_after:
            passed, severity = False, "warn"
        else:
            passed, severity = True, "warn" if policy.warn_window else "error"
        results.append(
            CheckResult(
                asset_key=key.to_user_string(),
                check_name=FRESHNESS_CHECK,
                check_kind="freshness",
                status=_status(passed, severity),
                passed=passed,
                severity=severity,
                evaluated_at=now.astimezone(UTC).replace(tzinfo=None),
                run_id=event.run_id if event else None,
                message=_freshness_message(age, warn_after, fail_after),
            )
        )
    return results


def _freshness_message(age: timedelta | None, warn_after: timedelta, fail_after: timedelta) -> str:
    if age is None:
        return "never loaded"
    def minutes(span: timedelta) -> int:
        return int(span.total_seconds() // 60)

    return (
        f"last loaded {minutes(age)} min before publication "
        f"(warn after {minutes(warn_after)}, fail after {minutes(fail_after)})"
    )


def freshness_policies(graph: BaseAssetGraph) -> dict[AssetKey, TimeWindowFreshnessPolicy]:
    """Assets of the graph with a time-window freshness policy (the sources)."""
    return {
        node.key: node.freshness_policy
        for node in graph.asset_nodes
        if isinstance(node.freshness_policy, TimeWindowFreshnessPolicy)
    }


def collect_check_results(
    instance: DagsterInstance, graph: BaseAssetGraph, now: datetime
) -> list[CheckResult]:
    """Every asset check's latest result, then every freshness policy's state at ``now``."""
    return [
        *asset_check_results(instance, graph.asset_check_keys),
        *freshness_results(instance, freshness_policies(graph), now),
    ]
