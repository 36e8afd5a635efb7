"""The landing area for webhook deliveries: one JSON file per event, written durably.

A delivery is acknowledged only after its file is on disk (written to a temporary name,
fsynced, then linked into place), so a crash can lose a delivery only before the 200,
when EasyPost retries it. The event id is the file name, so a retried or replayed
delivery finds its file already there and is not stored twice.

Files wait in ``<shard>/`` until a load has committed their events; then ``set_aside`` moves
them to ``loaded/<shard>/``, so each pass reads what arrived since, not every event ever received.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_WAITING_NAME = re.compile(r"^[0-9a-f]{2}/[A-Za-z0-9_-]{1,100}\.json$")
# Where files wait to be loaded (the shard folders), and where loaded files are set aside.
PENDING_GLOB = "[0-9a-f][0-9a-f]/*.json"
LOADED = "loaded"


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
    if target.exists() or _loaded_path(landing, target).exists():
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


def waiting_files(landing: Path) -> dict[str, Path]:
    """The files waiting to be loaded, by their name under ``landing`` ("<shard>/<id>.json",
    the name a load records). Anything else in the shard folders was not landed here."""
    waiting = {}
    for path in landing.glob(PENDING_GLOB):
        name = path.relative_to(landing).as_posix()
        if _WAITING_NAME.match(name):
            waiting[name] = path
    return waiting


def set_aside(landing: Path, loaded: list[Path]) -> int:
    """Move the waiting files in ``loaded`` (their events are in the warehouse) to ``loaded/``;
    how many. The receiver still finds them there, so a redelivery stays a duplicate."""
    moved = 0
    for waiting in loaded:
        target = _loaded_path(landing, waiting)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(waiting, target)
        except FileNotFoundError:  # set aside by a concurrent call
            continue
        moved += 1
    return moved


def _loaded_path(landing: Path, waiting: Path) -> Path:
    return landing / LOADED / waiting.parent.name / waiting.name
