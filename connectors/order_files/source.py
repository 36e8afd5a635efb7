"""dlt source for order files in a landing folder (a local path or any fsspec URL, e.g. sftp://).

Files are listed with dlt's filesystem source, parsed through the mapping, and merged
on (channel, order id, line key), so re-importing a file or a later export of the same
orders updates rows instead of duplicating them. Quarantined rows land in their own
table keyed by file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import dlt
from dlt.sources.filesystem import FileItemDict, filesystem

from connectors.file_drops import ONE_PAGE, unread_files
from connectors.order_files.mapping import OrderFileMapping
from connectors.order_files.parsing import LINES_TABLE, QUARANTINE_TABLE, ImportTally, parse_order_file
from connectors.schema_hints import nullable_columns

QUARANTINE_HINTS = dlt.mark.make_hints(
    table_name=QUARANTINE_TABLE, primary_key=["file_name", "line_number"], write_disposition="merge"
)


@dlt.source(name="order_files")
def order_files_source(
    bucket_url: str,
    mapping: OrderFileMapping,
    file_glob: str = "*.csv",
    only_new_files: bool = True,
    tally: ImportTally | None = None,
    now: datetime | None = None,
) -> Any:
    """Order lines (and quarantined rows) from the CSV files under ``bucket_url``."""
    files = filesystem(bucket_url=bucket_url, file_glob=file_glob, files_per_page=ONE_PAGE)
    # A landing folder keeps growing: read each file once, when it arrives or changes.
    return files | order_lines(mapping, tally if tally is not None else ImportTally(), now, only_new_files)


# Every canonical column exists from the first load on, even if a file leaves it empty.
LINE_COLUMNS = nullable_columns(
    channel="text",
    order_id="text",
    line_key="text",
    placed_at="timestamp",
    status="text",
    source_status="text",
    sku="text",
    quantity="bigint",
    unit_price="decimal",
    total_amount="decimal",
    currency="text",
    email="text",
    ship_to_name="text",
    ship_to_address1="text",
    ship_to_address2="text",
    ship_to_city="text",
    ship_to_postcode="text",
    ship_to_country_code="text",
    file_name="text",
    line_number="bigint",
)


@dlt.transformer(
    name=LINES_TABLE,
    primary_key=["channel", "order_id", "line_key"],
    write_disposition="merge",
    columns=LINE_COLUMNS,
)
def order_lines(
    files: list[FileItemDict],
    mapping: OrderFileMapping,
    tally: ImportTally,
    now: datetime | None,
    only_new_files: bool = True,
) -> Iterator[Any]:
    """One batch per file and table: dlt recomputes a table's schema for every marked item, so
    rows yielded one by one (quarantined ones marked for their table) made loading slow.
    ``only_new_files`` skips the files read before as they are (an explicit import reads all)."""
    for file in unread_files(files) if only_new_files else files:
        lines: list[dict[str, Any]] = []
        quarantined: list[dict[str, Any]] = []
        for table, record in parse_order_file(file.read_bytes(), file["relative_path"], mapping, now, tally):
            (quarantined if table == QUARANTINE_TABLE else lines).append(record)
        if lines:
            yield lines
        if quarantined:
            yield dlt.mark.with_hints(quarantined, QUARANTINE_HINTS, create_table_variant=True)
