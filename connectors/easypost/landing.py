"""The landing area for webhook deliveries: one JSON file per event, written durably.

A delivery is acknowledged only after its file is on disk (written to a temporary name,
fsynced, then linked into place), so a crash can lose a delivery only before the 200,
when EasyPost retries it. The event id is the file name, so a retried or replayed
delivery finds its file already there and is not stored twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class LandingError(ValueError):
    """The event cannot be landed (no usable id)."""


def event_path(landing: Path, event: dict[str, Any]) -> Path:
    event_id = str(event.get("id") or "")
    if not _SAFE_ID.match(event_id):
        raise LandingError(f"event id {event_id[:40]!r} is missing or not a plain identifier")
    # The path depends on the id alone (sharded by its hash so no folder grows huge), so
    # every delivery of one event, whatever else it says, finds the same file.
    shard = hashlib.sha256(event_id.encode()).hexdigest()[:2]
    return landing / shard / f"{event_id}.json"


def land_event(landing: Path, event: dict[str, Any]) -> bool:
    """Write the event durably; False when an event with this id was landed before."""
    target = event_path(landing, event)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return False
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(json.dumps(event, separators=(",", ":")).encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    try:
        # link() fails if the target exists: two concurrent deliveries land one file.
        os.link(temporary, target)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return True
