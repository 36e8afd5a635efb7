"""Which files dropped in a landing folder a load has not read yet, remembered in dlt's state.

dlt's usual filesystem incremental keeps a cursor on the files' modification time, which skips
a file whose time is older than one already read: a copy that keeps its original time
(``scp -p``, ``rsync -t``) or a file that finished uploading after a newer one. Remembering each
file read, by its name, time and size, skips only what was read in that same form. The memory
lives in the reading transformer's state, so it is committed with the load that read the files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import dlt
from dlt.sources.filesystem import FileItemDict

FILES_READ = "files_read"


def unread_files(files: Iterable[FileItemDict]) -> Iterator[FileItemDict]:
    """The files not read before as they are now; call it from the transformer reading them.

    A file changed since it was read (a new time or size) is read again; its rows merge on their
    keys. Each landed file costs about a hundred bytes of state.
    """
    read: dict[str, str] = dlt.current.resource_state().setdefault(FILES_READ, {})
    for file in files:
        version = f"{file['modification_date'].isoformat()}|{file['size_in_bytes']}"
        if read.get(file["relative_path"]) == version:
            continue
        read[file["relative_path"]] = version
        yield file
