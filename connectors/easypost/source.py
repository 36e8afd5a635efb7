"""dlt source that loads landed EasyPost events (tracker updates) from the landing area.

Each landed file is one Event; a file is read once (incremental on its modification
time) and rows merge on the event id, so a re-run or a duplicate delivery adds nothing.
The tracker's history (``tracking_details``) becomes a child table; ordering events by
their own timestamps, not arrival, is the models' job.

The source lists only the files waiting in the landing area's shard folders. After a load,
``set_aside_loaded_files`` moves the ones its committed cursor excludes to ``loaded/``: the
cursor alone would keep them out of the load, but every run would still list and filter
every event ever received (3.3 s at 45,785 files, docs/PERFORMANCE.md step 35).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import dlt
from dlt.pipeline.pipeline import Pipeline
from dlt.sources.filesystem import FileItemDict, filesystem

from connectors.easypost.landing import PENDING_GLOB, set_aside
from connectors.schema_hints import nullable_columns

SOURCE = "easypost"
# dlt keeps the cursor in the state of the listing resource, under its default name.
FILES_RESOURCE = "filesystem"
CURSOR = "modification_date"

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
    files.apply_hints(incremental=dlt.sources.incremental(CURSOR))
    return files | tracker_events


def set_aside_loaded_files(pipeline: Pipeline, bucket_url: str) -> int:
    """After ``pipeline`` loaded this source: move the landed files its committed cursor
    excludes to ``loaded/``; how many. A landing area that is not a local folder is left as it is."""
    url = urlparse(bucket_url)
    if url.scheme != "file":
        return 0
    resources = pipeline.state.get("sources", {}).get(SOURCE, {}).get("resources", {})
    cursor = resources.get(FILES_RESOURCE, {}).get("incremental", {}).get(CURSOR, {}).get("last_value")
    if cursor is None:
        return 0
    read_before = cursor if isinstance(cursor, datetime) else datetime.fromisoformat(str(cursor))
    return set_aside(Path(unquote(url.path)), read_before)


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
