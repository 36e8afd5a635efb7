"""The code location loads, and every writer shares the single DuckDB pool."""

from __future__ import annotations

from dagster import AssetKey

from pipelines.definitions import defs


def test_definitions_load_with_jobs_schedule_and_sensor():
    for job in ("ingest_job", "act_and_publish_job", "full_pass_job"):
        assert defs.resolve_job_def(job).name == job
    assert defs.resolve_schedule_def("ingest_every_two_minutes").cron_schedule == "*/2 * * * *"
    assert defs.resolve_sensor_def("label_booking_sensor") is not None
    assert defs.resolve_sensor_def("abandoned_run_sensor") is not None


def test_the_nightly_full_refresh_configures_every_dbt_step_of_the_full_pass():
    from dagster import build_schedule_context, validate_run_config

    schedule = defs.resolve_schedule_def("nightly_full_refresh")
    assert schedule.execution_timezone == "Europe/London"
    run_config = schedule.evaluate_tick(build_schedule_context()).run_requests[0].run_config
    validate_run_config(defs.resolve_job_def("full_pass_job"), run_config)
    assert {op: cfg["config"]["full_refresh"] for op, cfg in run_config["ops"].items()} == {
        "dbt_before_python": True, "dbt_before_actions": True, "dbt_after_actions": True
    }


def test_lineage_runs_from_sources_through_actions_to_publication():
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    for expected in (
        AssetKey(["shopify", "orders"]),
        AssetKey(["marts", "label_booking_queue"]),
        AssetKey(["actions", "label_bookings"]),
        AssetKey(["marts", "fct_orders"]),
        AssetKey(["published_marts"]),
    ):
        assert expected in keys
    def parents(*key: str) -> set[AssetKey]:
        return set(graph.get(AssetKey(list(key))).parent_keys)

    assert AssetKey(["shopify", "orders"]) in parents("staging", "stg_shopify__orders")
    assert AssetKey(["marts", "label_booking_queue"]) in parents("actions", "label_bookings")
    assert AssetKey(["marts", "pick_task_queue"]) in parents("actions", "pick_tasks")
    for job in ("act_and_publish_job", "full_pass_job"):
        selected = defs.resolve_job_def(job).asset_layer.executable_asset_keys
        assert AssetKey(["actions", "pick_tasks"]) in selected, job
    upstream_of_orders = graph.get(AssetKey(["staging", "stg_actions__label_bookings"])).parent_keys
    assert AssetKey(["actions", "label_bookings"]) in upstream_of_orders
    # Contact validation sits between the staging models it reads and the marts that read it.
    contacts = AssetKey(["intermediate", "int_order_contacts_unioned"])
    assert contacts in parents("validation", "order_contact_checks")
    assert AssetKey(["validation", "order_contact_checks"]) in parents(
        "staging", "stg_validation__order_contact_checks"
    )


def test_every_executable_asset_writes_through_the_one_duckdb_pool():
    executable = [a for a in defs.resolve_asset_graph().assets_defs if a.is_executable]
    assert len(executable) == 21
    for assets_def in executable:
        assert assets_def.node_def.pool == "duckdb", assets_def.keys


def test_sources_have_freshness_policies_and_dbt_tests_are_asset_checks():
    from pipelines.checks import SOURCE_FRESHNESS

    graph = defs.resolve_asset_graph()
    for source in (["shopify", "orders"], ["woocommerce", "orders"], ["stripe", "events"],
                   ["zendesk", "tickets"], ["order_files", "order_lines"]):
        assert graph.get(AssetKey(source)).freshness_policy == SOURCE_FRESHNESS, source
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert ("marts/fct_orders", "unique_fct_orders_order_id") in checks
