"""Which files dropped in a landing folder a load has not read yet, remembered in dlt's state.

dlt's usual filesystem incremental keeps a cursor on the files' modification time, which skips
a file whose time is older than one already read: a copy that keeps its original time
(``scp -p``, ``rsync -t``) or a file that finished uploading after a newer one. Remembering each
file read, by its name, time and size, skips only what was read in that same form. The memory
lives in the reading transformer's state, so it is committed with the load that read the files.

dlt writes the whole state with every load that changes it, so the memory is bounded: it keeps
the files of the last ``REMEMBER_DAYS`` days before the newest file read, and a file older than
that window is not read (a late copy that old is a replay, not news).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

import dlt
from dlt.sources.filesystem import FileItemDict

FILES_READ = "files_read"
READ_THROUGH = "files_read_through"
REMEMBER_DAYS = 30
# The listing in one page (dlt's default is 100 files), so one call of the reader sees every file
# under the window earlier loads left: in pages, whose readers dlt interleaves, a page read after
# another had finished would find the window moved past its older files before reading them.
ONE_PAGE = 1_000_000


def unread_files(files: Iterable[FileItemDict]) -> Iterator[FileItemDict]:
    """The files not read before as they are now; call it from the transformer reading them,
    with the listing in one page (``filesystem(..., files_per_page=ONE_PAGE)``).

    A file changed since it was read (a new time or size) is read again; its rows merge on their
    keys.
    """
    state = dlt.current.resource_state()
    read: dict[str, str] = state.setdefault(FILES_READ, {})
    through = state.get(READ_THROUGH)
    oldest = datetime.fromisoformat(through) if through else None
    for file in files:
        modified: datetime = file["modification_date"]
        if oldest is not None and modified < oldest:
            continue
        version = f"{modified.isoformat()}|{file['size_in_bytes']}"
        if read.get(file["relative_path"]) == version:
            continue
        read[file["relative_path"]] = version
        yield file
    _forget_old(state, read)


def _forget_old(state: dict, read: dict[str, str]) -> None:
    if not read:
        return
    times = {name: datetime.fromisoformat(version.split("|", 1)[0]) for name, version in read.items()}
    oldest = max(times.values()) - timedelta(days=REMEMBER_DAYS)
    for name, modified in times.items():
        if modified < oldest:
            del read[name]
    state[READ_THROUGH] = oldest.isoformat()
