"""dlt source that loads landed EasyPost events (tracker updates) from the landing area.

Each landed file is one Event; a file is read once (incremental on its modification
time) and rows merge on the event id, so a re-run or a duplicate delivery adds nothing.
The tracker's history (``tracking_details``) becomes a child table; ordering events by
their own timestamps, not arrival, is the models' job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources.filesystem import FileItemDict, filesystem

from connectors.schema_hints import nullable_columns

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


@dlt.source(name="easypost")
def easypost_landing_source(bucket_url: str = dlt.config.value) -> Any:
    """Tracker events from the webhook landing area (a folder or any fsspec URL)."""
    files = filesystem(bucket_url=bucket_url, file_glob="**/*.json")
    files.apply_hints(incremental=dlt.sources.incremental("modification_date"))
    return files | tracker_events


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
