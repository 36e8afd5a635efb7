"""dlt sources as Dagster assets, keyed like the dbt sources that read them."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dlt as dlt_lib
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from connectors.calendar import calendar_source
from connectors.click_and_drop.source import click_and_drop_source
from connectors.destination import load_pending_packages, loader_file_format, warehouse_pipeline
from connectors.easypost.source import easypost_landing_source, set_aside_loaded_files
from connectors.shopify import shopify_source
from connectors.stripe import stripe_source
from connectors.warehouse_feeds import warehouse_feeds_source
from connectors.woocommerce import woocommerce_source
from connectors.zendesk import zendesk_source
from orderloop.erasure import reapply_erasures
from orderloop.paths import DataPaths, data_paths
from pipelines.checks import SOURCE_FRESHNESS

WRITER_POOL = "duckdb"
# Sources are instantiated at import time only to describe their assets; credentials are
# resolved from dlt config/secrets when a run builds the source again.
AT_RUN_TIME = "resolved-at-run-time"


class SourceTableTranslator(DagsterDltTranslator):
    """``<source>/<resource>`` keys, which is how dbt's sources name the same tables."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=AssetKey([data.resource.source_name, data.resource.name]),
            deps=[],
            group_name="ingestion",
            freshness_policy=SOURCE_FRESHNESS,
        )


def _pipeline(source_name: str) -> Any:
    paths = data_paths()
    return warehouse_pipeline(source_name, paths.warehouse, paths.dlt_pipelines)


def landing_folder(source_name: str, folder: Callable[[DataPaths], Path]) -> Callable[[], dict[str, str]]:
    """``bucket_url`` for a landing-folder source: dlt config if set (sftp://, s3://, ...),
    else the folder under the data folder in force at run time."""

    def run_kwargs() -> dict[str, str]:
        if dlt_lib.config.get(f"sources.{source_name}.bucket_url") is not None:
            return {}
        return {"bucket_url": folder(data_paths()).as_uri()}

    return run_kwargs


def _set_aside_loaded_webhooks(pipeline: Any, kwargs: dict[str, Any]) -> int:
    url = kwargs.get("bucket_url") or dlt_lib.config.get("sources.easypost.bucket_url")
    return set_aside_loaded_files(pipeline, url) if url else 0


def source_assets(
    name: str,
    build_source: Callable[..., Any],
    *credentials: str,
    run_kwargs: Callable[[], dict[str, Any]] = dict,
    after_load: Callable[[Any, dict[str, Any]], int] | None = None,
) -> AssetsDefinition:
    """Assets for one dlt source, loading into the warehouse through the single writer pool.

    ``after_load(pipeline, source kwargs)`` runs once the load has committed (the landing
    area of the carrier's webhooks sets its loaded files aside) and says how many files it moved."""
    placeholders = dict.fromkeys(credentials, AT_RUN_TIME)

    @dlt_assets(
        dlt_source=build_source(**placeholders),
        dlt_pipeline=_pipeline(name),
        name=name,
        dagster_dlt_translator=SourceTableTranslator(),
        pool=WRITER_POOL,
    )
    def _assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
        pipeline = _pipeline(name)
        # dagster-dlt drops the local working folder before it runs, which would throw away a
        # package a killed run extracted and fetch its data again: load that package first.
        pending = load_pending_packages(pipeline)
        if pending is not None:
            context.log.info(f"loaded package(s) {pending.loads_ids} a previous run left pending")
        kwargs = run_kwargs()
        source = build_source(**kwargs)
        yield from dlt.run(
            context=context, dlt_source=source, dlt_pipeline=pipeline,
            loader_file_format=loader_file_format(pipeline),
        )
        # The source may still hold a customer erased here (docs/personal-data.md).
        erased = reapply_erasures(data_paths().warehouse, pipeline.dataset_name)
        if erased:
            context.log.info(f"erased {erased} reloaded row(s) of customers erased on request")
        if after_load is not None and (moved := after_load(pipeline, kwargs)):
            context.log.info(f"set aside {moved} landed file(s) the load has read")

    return _assets


shopify_assets = source_assets("shopify", shopify_source, "shop_url", "access_token")
woocommerce_assets = source_assets(
    "woocommerce", woocommerce_source, "store_url", "consumer_key", "consumer_secret"
)
stripe_assets = source_assets("stripe", stripe_source, "api_key")
click_and_drop_assets = source_assets("click_and_drop", click_and_drop_source, "base_url", "api_key")
warehouse_feeds_assets = source_assets(
    "warehouse_feeds", warehouse_feeds_source, "bucket_url",
    run_kwargs=landing_folder("warehouse_feeds", lambda paths: paths.warehouse_feeds_landing),
)
tracking_assets = source_assets(
    "easypost", easypost_landing_source, "bucket_url",
    run_kwargs=landing_folder("easypost", lambda paths: paths.tracking_webhooks_landing),
    after_load=_set_aside_loaded_webhooks,
)
helpdesk_assets = source_assets("zendesk", zendesk_source, "base_url", "email", "api_token")
calendar_assets = source_assets("calendar", calendar_source)

INGESTION_ASSETS = [
    shopify_assets,
    woocommerce_assets,
    stripe_assets,
    click_and_drop_assets,
    warehouse_feeds_assets,
    tracking_assets,
    helpdesk_assets,
    calendar_assets,
]
