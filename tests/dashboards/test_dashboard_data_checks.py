"""Data checks on the Exception queue page: a check that really failed on the pass (a Zendesk
contact reason the vocabulary does not know, ``merchant_changes.py``) is published in
``marts.pipeline_checks`` and listed first, and the table covers every check that ran."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import AssetCheckKey, DagsterEventType, DagsterInstance
from merchant_changes import NEW_CONTACT_REASON, WARNED_CHECKS
from page_testkit import copy_published, run_page, sql, table

# The tints the page gives failed and warned rows (red, amber).
RED = "rgba(255, 75, 75, 0.18)"
AMBER = "rgba(255, 170, 0, 0.22)"
# Written independently of dashboards.check_data on purpose.
NOT_PASSED_SQL = """
select asset_key, check_name, status, severity, message, run_id
from marts.pipeline_checks where not passed order by asset_key, check_name
"""


def evaluated_in_the_pass(data_dir: Path) -> tuple[set[AssetCheckKey], int, str]:
    """Asset checks evaluated by the fixture's last run (the one that published), from the run's
    own events in the instance; with the number of assets that have a freshness policy, and the
    run id."""
    from pipelines.definitions import defs

    with DagsterInstance.from_config(str(data_dir / "dagster")) as instance:
        run = instance.get_runs(limit=1)[0]  # newest first
        keys = _evaluated(instance, run.run_id)
    with_freshness = [node for node in defs.resolve_asset_graph().asset_nodes if node.freshness_policy]
    return keys, len(with_freshness), run.run_id


def evaluated_in_any_pass(data_dir: Path) -> set[AssetCheckKey]:
    """Asset checks evaluated by any of the fixture's runs: a pass runs only the checks of the
    models it rebuilt (pipelines/dbt_build_inputs.py)."""
    with DagsterInstance.from_config(str(data_dir / "dagster")) as instance:
        return {key for run in instance.get_runs() for key in _evaluated(instance, run.run_id)}


def _evaluated(instance: DagsterInstance, run_id: str) -> set[AssetCheckKey]:
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
    ).records
    evaluations = [record.event_log_entry.dagster_event.event_specific_data for record in records]
    return {AssetCheckKey(evaluation.asset_key, evaluation.check_name) for evaluation in evaluations}


def test_a_check_that_warned_on_the_pass_is_published_with_its_status(real_data_dir: Path) -> None:
    failing = sql(real_data_dir, NOT_PASSED_SQL)
    _, _, run_id = evaluated_in_the_pass(real_data_dir)

    assert set(zip(failing["asset_key"], failing["check_name"], strict=True)) == WARNED_CHECKS
    assert set(failing["status"]) == {"warned"} and set(failing["severity"]) == {"warn"}
    assert set(failing["run_id"]) == {run_id}
    assert all("1 row fail" in message for message in failing["message"])
    unmapped = sql(real_data_dir, "select source_value from marts.unmapped_source_values")
    assert unmapped["source_value"].tolist() == [NEW_CONTACT_REASON]


def test_the_table_lists_every_check_that_ran_and_every_source_freshness(real_data_dir: Path) -> None:
    in_last_pass, with_freshness, run_id = evaluated_in_the_pass(real_data_dir)
    evaluated = evaluated_in_any_pass(real_data_dir)
    published = sql(real_data_dir,
                    "select asset_key, check_name, check_kind, status, run_id from marts.pipeline_checks")

    checks = published[published["check_kind"] == "asset check"]
    assert len(checks) == len(evaluated) > 100
    assert set(zip(checks["asset_key"], checks["check_name"], strict=True)) == {
        (key.asset_key.to_user_string(), key.name) for key in evaluated
    }
    # The last pass's own results carry its run id; a check it left out (none of its models
    # changed) keeps its latest result from an earlier pass.
    newest = checks[checks["run_id"] == run_id]
    assert set(zip(newest["asset_key"], newest["check_name"], strict=True)) == {
        (key.asset_key.to_user_string(), key.name) for key in in_last_pass
    }
    freshness = published[published["check_kind"] == "freshness"]
    assert len(freshness) == with_freshness > 0
    # Loaded by the pass that published, minutes ago at most.
    assert set(freshness["status"]) == {"passed"}
    assert "shopify/orders" in set(freshness["asset_key"])


def test_the_exception_page_lists_the_warned_checks_tinted_amber(real_data_dir: Path) -> None:
    at = run_page("exceptions")

    assert any(header.value == "Data checks" for header in at.subheader)
    shown = table(at, "check_name")
    assert set(zip(shown["asset_key"], shown["check_name"], strict=True)) == WARNED_CHECKS
    assert set(shown["status"]) == {"warned"}
    assert {"evaluated_at", "message"} <= set(shown.columns)
    total = int(sql(real_data_dir, "select count(*) as n from marts.pipeline_checks")["n"][0])
    assert any(f"0 failed and 2 warned of {total:,} checks" in caption.value for caption in at.caption)
    (element,) = [frame for frame in at.dataframe if "check_name" in frame.value.columns]
    assert AMBER in element.proto.arrow_data.styler.styles
    assert "download.data_checks" in [button.key for button in at.get("download_button")]


def test_failed_checks_come_before_warnings(real_data_dir: Path, data_dir: Path) -> None:
    with duckdb.connect(str(copy_published(real_data_dir, data_dir))) as conn:
        (check_name,) = conn.execute(
            "select check_name from marts.pipeline_checks where status = 'passed' "
            "and check_kind = 'asset check' order by check_name limit 1").fetchone()
        conn.execute("update marts.pipeline_checks set status = 'failed', passed = false, "
                     "message = 'made to fail' where check_name = ?", [check_name])
    at = run_page("exceptions")

    shown = table(at, "check_name")
    assert shown["check_name"].tolist()[0] == check_name
    assert shown["status"].tolist() == ["failed", "warned", "warned"]
    (element,) = [frame for frame in at.dataframe if "check_name" in frame.value.columns]
    assert RED in element.proto.arrow_data.styler.styles


def test_all_passed_shows_how_many_and_when(real_data_dir: Path, data_dir: Path) -> None:
    with duckdb.connect(str(copy_published(real_data_dir, data_dir))) as conn:
        conn.execute("update marts.pipeline_checks set status = 'passed', passed = true")
        n, latest = conn.execute("select count(*), max(evaluated_at) from marts.pipeline_checks").fetchone()
    at = run_page("exceptions")

    assert [s.value for s in at.success if "checks passed" in s.value] == [
        f"All {n:,} checks passed at {latest:%Y-%m-%d %H:%M} UTC."
    ]
    assert not [frame for frame in at.dataframe if "check_name" in frame.value.columns]


def test_a_publication_without_check_results_says_so(real_data_dir: Path, data_dir: Path) -> None:
    with duckdb.connect(str(copy_published(real_data_dir, data_dir))) as conn:
        conn.execute("drop table marts.pipeline_checks")
    at = run_page("exceptions")

    assert any("No data check results" in info.value for info in at.info)
    assert table(at, "exception_id") is not None
