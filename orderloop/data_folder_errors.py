"""A data folder orderloop cannot write (permissions, a read-only mount, a full disk, a file-size
limit) as one clear message instead of a traceback from whichever library hit it first.

Every command that writes checks its folders up front (`probe_writable`), so an unwritable data
folder stops it before anything is touched, and refuses to start with less free space than
``ORDERLOOP_MIN_FREE_MB`` (default 512) or the warehouse's own size, whichever is more
(`check_free_space`): DuckDB 1.5 can leave its file corrupt when a write fails half-way through
a checkpoint (duckdb/duckdb#9667), and the warehouse holds the action ledgers, so a full disk
must stop a run before DuckDB meets it. A disk that fills up anyway is met by whatever writes at
that moment (dlt's load package first, then DuckDB): `storage_failure` recognises the error
anywhere in the exception chain and says what to do; dlt keeps its package for the next run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

# errno values that mean "this folder cannot take writes", and how to say each to an operator.
UNWRITABLE = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "a file hit the size limit (disk full for this process)",
}
# The same conditions as DuckDB words them in its IOException messages (it keeps no errno).
DUCKDB_PHRASES = {
    "No space left on device": errno.ENOSPC,
    "File too large": errno.EFBIG,
    "Read-only file system": errno.EROFS,
    "Permission denied": errno.EACCES,
    "Disk quota exceeded": errno.EDQUOT,
}


class DataFolderUnwritable(Exception):
    """orderloop's data folder cannot be written; the message says which folder and why."""


def probe_writable(folders: Iterable[Path]) -> None:
    """Create and remove a small file in each folder; the first that refuses raises."""
    for folder in folders:
        probe = folder / f".orderloop-write-probe-{os.getpid()}"
        try:
            with probe.open("wb") as handle:
                handle.write(b"orderloop")
                handle.flush()
                os.fsync(handle.fileno())
            probe.unlink()
        except OSError as error:
            with contextlib.suppress(OSError):
                probe.unlink()
            raise DataFolderUnwritable(describe(folder, error.errno)) from error


DEFAULT_MIN_FREE_MB = 512


def check_free_space(folder: Path, warehouse: Path, env: dict[str, str] | None = None) -> None:
    """Raise unless ``folder``'s file system has room for a checkpoint of the whole warehouse and
    at least ``ORDERLOOP_MIN_FREE_MB``."""
    env = dict(os.environ) if env is None else env
    minimum_mb = int(env.get("ORDERLOOP_MIN_FREE_MB", DEFAULT_MIN_FREE_MB))
    warehouse_mb = warehouse.stat().st_size // 2**20 if warehouse.exists() else 0
    needed_mb = max(minimum_mb, warehouse_mb)
    free_mb = shutil.disk_usage(folder).free // 2**20
    if free_mb < needed_mb:
        raise DataFolderUnwritable(
            f"cannot write the data folder {folder}: only {free_mb} MB free, and orderloop needs"
            f" {needed_mb} MB before it writes (a disk that fills up mid-write can corrupt the"
            " warehouse). Nothing was touched; free space (or lower ORDERLOOP_MIN_FREE_MB) and run again."
        )


def describe(folder: Path, code: int | None) -> str:
    """The message for ``folder`` refusing writes with ``code``."""
    reason = UNWRITABLE.get(code or 0, os.strerror(code) if code else "it refused a write")
    return (
        f"cannot write the data folder {folder}: {reason}. Nothing was committed; free space or fix the"
        " folder's permissions (or point ORDERLOOP_DATA_DIR elsewhere) and run again."
    )


def storage_failure(error: BaseException, folder: Path) -> str | None:
    """The clear message if ``error`` (or anything it was raised from) is the data folder refusing
    writes; None for every other failure, which should surface as it is."""
    for link in _chain(error):
        if isinstance(link, OSError) and link.errno in UNWRITABLE:
            return describe(folder, link.errno)
        text = str(link)
        for phrase, code in DUCKDB_PHRASES.items():
            if phrase in text:
                return describe(folder, code)
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
