"""dlt sources as Dagster assets, keyed like the dbt sources that read them."""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from connectors.calendar import calendar_source
from connectors.click_and_drop.source import click_and_drop_source
from connectors.destination import warehouse_pipeline
from connectors.shopify import shopify_source
from orderloop.paths import data_paths

WRITER_POOL = "duckdb"


class SourceTableTranslator(DagsterDltTranslator):
    """``<source>/<resource>`` keys, which is how dbt's sources name the same tables."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=AssetKey([data.resource.source_name, data.resource.name]),
            deps=[],
            group_name="ingestion",
        )


def _pipeline(source_name: str) -> Any:
    paths = data_paths()
    return warehouse_pipeline(source_name, paths.warehouse, paths.dlt_pipelines)


# Sources are instantiated here only to describe the assets; credentials are resolved
# from dlt config/secrets when a run builds the source again below.
@dlt_assets(
    dlt_source=shopify_source(shop_url="resolved-at-run-time", access_token="resolved-at-run-time"),
    dlt_pipeline=_pipeline("shopify"),
    name="shopify",
    dagster_dlt_translator=SourceTableTranslator(),
    pool=WRITER_POOL,
)
def shopify_assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
    yield from dlt.run(context=context, dlt_source=shopify_source(), dlt_pipeline=_pipeline("shopify"))


@dlt_assets(
    dlt_source=calendar_source(),
    dlt_pipeline=_pipeline("calendar"),
    name="calendar",
    dagster_dlt_translator=SourceTableTranslator(),
    pool=WRITER_POOL,
)
def calendar_assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
    yield from dlt.run(context=context, dlt_source=calendar_source(), dlt_pipeline=_pipeline("calendar"))


@dlt_assets(
    dlt_source=click_and_drop_source(base_url="resolved-at-run-time", api_key="resolved-at-run-time"),
    dlt_pipeline=_pipeline("click_and_drop"),
    name="click_and_drop",
    dagster_dlt_translator=SourceTableTranslator(),
    pool=WRITER_POOL,
)
def click_and_drop_assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
    yield from dlt.run(
        context=context, dlt_source=click_and_drop_source(), dlt_pipeline=_pipeline("click_and_drop")
    )
