"""The code location loads, and every writer shares the single DuckDB pool."""

from __future__ import annotations

from dagster import AssetKey

from pipelines.definitions import defs


def test_definitions_load_with_jobs_schedule_and_sensor():
    for job in ("ingest_job", "act_and_publish_job", "full_pass_job"):
        assert defs.resolve_job_def(job).name == job
    assert defs.resolve_schedule_def("ingest_every_five_minutes").cron_schedule == "*/5 * * * *"
    assert defs.resolve_sensor_def("label_booking_sensor") is not None


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
    assert len(executable) == 16
    for assets_def in executable:
        assert assets_def.node_def.pool == "duckdb", assets_def.keys
