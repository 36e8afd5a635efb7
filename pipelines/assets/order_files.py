"""Marketplace and merchant order exports dropped in a landing folder, one subfolder per mapping.

``<landing>/orders/<name>/mapping.yaml`` says how to read the CSV files beside it, so an
eBay report folder and a merchant's own export folder each carry their own mapping. Each
subfolder loads through its own dlt pipeline, so each keeps its own memory of the files
already read (connectors/file_drops.py).
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from connectors.destination import load_pending_packages, loader_file_format, warehouse_pipeline
from connectors.order_files import ImportTally, load_mapping, order_files_source
from orderloop.erasure import reapply_erasures
from orderloop.paths import data_paths
from pipelines.assets.ingestion import WRITER_POOL
from pipelines.checks import SOURCE_FRESHNESS

MAPPING_FILE = "mapping.yaml"


@asset(
    key=AssetKey(["order_files", "order_lines"]),
    group_name="ingestion",
    freshness_policy=SOURCE_FRESHNESS,
    kinds={"dlt", "duckdb"},
    pool=WRITER_POOL,
    description="Order lines from CSV exports in data/landing/orders/<name>/; failing rows go to quarantine.",
)
def order_file_lines(context: AssetExecutionContext) -> MaterializeResult:
    paths = data_paths()
    folders = sorted(p.parent for p in paths.order_files_landing.glob(f"*/{MAPPING_FILE}"))
    tally = ImportTally()
    for folder in folders:
        mapping = load_mapping(folder / MAPPING_FILE)
        pipeline = warehouse_pipeline(
            "order_files", paths.warehouse, paths.dlt_pipelines, instance=folder.name
        )
        pending = load_pending_packages(pipeline)  # else run() would load it and skip the new files
        if pending is not None:
            context.log.info(f"{folder.name}: loaded {pending.loads_ids}, left pending by an earlier run")
        source = order_files_source(bucket_url=folder.as_uri(), mapping=mapping, tally=tally)
        pipeline.run(source, loader_file_format=loader_file_format(pipeline)).raise_on_failed_jobs()
        reapply_erasures(paths.warehouse, pipeline.dataset_name)  # docs/personal-data.md
    for entry in tally.quarantined[:20]:
        where = f"{entry['file_name']} line {entry['line_number']}"
        context.log.warning(f"quarantined {where}: {entry['reason']}")
    return MaterializeResult(
        metadata={
            "folders": len(folders),
            "rows_loaded": tally.loaded,
            "orders": len(tally.orders),
            "rows_quarantined": len(tally.quarantined),
        }
    )
