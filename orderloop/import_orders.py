"""`orderloop import-orders FILE --mapping MAPPING.yaml`: one order file into the warehouse."""

from __future__ import annotations

from pathlib import Path

from connectors.destination import load_pending_packages, loader_file_format, warehouse_pipeline
from connectors.order_files import ImportTally, load_mapping, order_files_source
from orderloop.erasure import reapply_erasures
from orderloop.paths import DataPaths


def import_order_file(file: Path, mapping_file: Path, paths: DataPaths) -> ImportTally:
    """Load one CSV through its mapping; bad rows are quarantined, good rows merged."""
    if not file.is_file():
        raise FileNotFoundError(f"no such order file: {file}")
    mapping = load_mapping(mapping_file)
    tally = ImportTally()
    source = order_files_source(
        bucket_url=file.resolve().parent.as_uri(),
        file_glob=file.name,
        mapping=mapping,
        only_new_files=False,  # an explicit import always reads the file, even if seen before
        tally=tally,
    )
    pipeline = warehouse_pipeline("order_files", paths.warehouse, paths.dlt_pipelines)
    # A load interrupted earlier is finished first, or run() would load only that and skip this file.
    load_pending_packages(pipeline)
    info = pipeline.run(source, loader_file_format=loader_file_format(pipeline))
    info.raise_on_failed_jobs()
    reapply_erasures(paths.warehouse, pipeline.dataset_name)  # docs/personal-data.md
    return tally
