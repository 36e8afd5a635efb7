"""dlt source that loads landed EasyPost events (tracker updates) from the landing area.

Each landed file is one Event and rows merge on the event id, so a re-run or a duplicate
delivery adds nothing. The tracker's history (``tracking_details``) becomes a child table;
ordering events by their own timestamps, not arrival, is the models' job.

A local landing area is a queue: the source reads every file waiting in its shard folders,
and once the load has committed ``set_aside_loaded_files`` moves the files whose events the
warehouse now holds to ``loaded/``. No clock decides what a load reads, so a delivery linked
while a load lists the folders waits for the next load instead of being skipped; a crash
before the move only makes the next load read those files again, and their rows merge. A
remote bucket (which nothing moves) keeps a cursor on the files' modification time instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import dlt
from dlt.pipeline.pipeline import Pipeline
from dlt.sources.filesystem import FileItemDict, filesystem

from connectors.easypost.landing import PENDING_GLOB, set_aside, waiting_files
from connectors.schema_hints import nullable_columns

SOURCE = "easypost"
# A remote bucket's cursor: the files' modification time (the listing's field).
CURSOR = "modification_date"
EVENTS_TABLE = "tracker_events"

EVENT_COLUMNS = nullable_columns(
    id="text",
    description="text",
    created_at="timestamp",
    updated_at="timestamp",
    tracker_id="text",
    tracking_code="text",
    carrier="text",
    status="text",
    status_detail="text",
    est_delivery_date="timestamp",
    file_name="text",
)


@dlt.source(name=SOURCE)
def easypost_landing_source(bucket_url: str = dlt.config.value) -> Any:
    """Tracker events from the webhook landing area (a folder or any fsspec URL)."""
    files = filesystem(bucket_url=bucket_url, file_glob=PENDING_GLOB)
    if _local_folder(bucket_url) is None:
        # Nothing sets a remote bucket's files aside, so the cursor keeps loaded files out. A
        # file that appears with an older time than one already loaded is missed there.
        files.apply_hints(incremental=dlt.sources.incremental(CURSOR))
    return files | tracker_events


def set_aside_loaded_files(pipeline: Pipeline, bucket_url: str) -> int:
    """After ``pipeline`` loaded this source: move the waiting files whose events the warehouse
    holds to ``loaded/``; how many. A landing area that is not a local folder is left as it is.

    The warehouse, not the listing, says what was loaded: a file that landed after the load
    listed the folders has no row yet and stays for the next load."""
    landing = _local_folder(bucket_url)
    if landing is None:
        return 0
    waiting = waiting_files(landing)
    if not waiting:
        return 0
    loaded: set[str] = set()
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name(EVENTS_TABLE)
        names = sorted(waiting)
        for start in range(0, len(names), _NAMES_PER_QUERY):
            # The names are "<shard>/<event id>.json" with a plain id (landing.waiting_files),
            # so they are safe as literals, which every destination's SQL takes alike.
            listed = ", ".join(f"'{name}'" for name in names[start:start + _NAMES_PER_QUERY])
            rows = client.execute_sql(f"select file_name from {table} where file_name in ({listed})")
            loaded.update(name for (name,) in rows or [])
    return set_aside(landing, [waiting[name] for name in sorted(loaded)])


_NAMES_PER_QUERY = 1000


def _local_folder(bucket_url: str) -> Path | None:
    """The folder of a ``file://`` URL or a plain path (dlt reads both as local), else None."""
    url = urlparse(bucket_url)
    if url.scheme == "file":
        return Path(unquote(url.path))
    return Path(bucket_url) if url.scheme == "" else None


@dlt.transformer(name="tracker_events", primary_key="id", write_disposition="merge", columns=EVENT_COLUMNS)
def tracker_events(files: list[FileItemDict]) -> Iterator[dict[str, Any]]:
    for file in files:
        event = json.loads(file.read_bytes())
        tracker = event.get("result") or {}
        yield {
            "id": event["id"],
            "description": event.get("description"),
            "created_at": event.get("created_at"),
            "updated_at": event.get("updated_at"),
            "tracker_id": tracker.get("id"),
            "tracking_code": tracker.get("tracking_code"),
            "carrier": tracker.get("carrier"),
            "status": tracker.get("status"),
            "status_detail": tracker.get("status_detail"),
            "est_delivery_date": tracker.get("est_delivery_date"),
            "tracking_details": tracker.get("tracking_details") or [],
            "file_name": file["relative_path"],
        }
