"""Read-only, cached access to the published copy of the marts.

The pipeline replaces the published DuckDB file atomically after each successful run, so the
dashboard never holds a connection open: every query opens the file read-only, runs, and closes.
Results are cached per publication (path + file identity), so a new publication shows up on the
next rerun instead of after the cache TTL.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from orderloop.paths import data_paths

# Opening can fail for a moment if the file is being swapped (or a misbehaving writer holds it);
# retry a few times with a short backoff before giving up (~0.75 s in total).
OPEN_ATTEMPTS = 5
OPEN_BACKOFF_SECONDS = 0.05

# Nothing in the published file needs an extension, and the dashboard must not reach the network.
# Nor any file but the published one: with external access off, a statement that somehow got
# through could not read, write or attach another file (COPY, read_csv, ATTACH all refuse).
_CONNECT_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "enable_external_access": False,
}

FileVersion = tuple[int, int, int]


class PublishedDataMissing(RuntimeError):
    """No published warehouse yet: the pipeline has not completed a run in this data folder."""


def published_path() -> Path:
    """The published DuckDB file of the data folder in force (``ORDERLOOP_DATA_DIR`` aware)."""
    return data_paths().published


def file_version(path: Path) -> FileVersion:
    """Identity of the current publication, used as the cache key so a new file busts the cache."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise PublishedDataMissing(f"no published warehouse at {path}") from exc
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def read_published(
    sql: str, params: Mapping[str, object] | None = None, *, path: Path | None = None
) -> pd.DataFrame:
    """Run one parameterised query (``$name`` parameters) on the published file, cached per publication.

    User input must only ever travel in ``params``; ``sql`` is a constant owned by the caller.
    """
    target = path if path is not None else published_path()
    return _read_cached(str(target), file_version(target), sql, dict(params) if params else None)


@st.cache_data(ttl=60, max_entries=256, show_spinner=False)
def _read_cached(path: str, version: FileVersion, sql: str, params: dict[str, object] | None) -> pd.DataFrame:
    """Cache layer: ``version`` is unused in the body but part of the cache key on purpose."""
    del version
    return query_published_file(Path(path), sql, params)


def query_published_file(path: Path, sql: str, params: Mapping[str, object] | None = None) -> pd.DataFrame:
    """Open ``path`` read-only, run ``sql`` with bound ``params``, close; no caching.

    Retries the open briefly, because the file may be mid-replacement.
    """
    for attempt in range(1, OPEN_ATTEMPTS + 1):
        try:
            conn = duckdb.connect(str(path), read_only=True, config=_CONNECT_CONFIG)
        except duckdb.IOException as exc:
            if attempt == OPEN_ATTEMPTS:
                if not path.exists():
                    raise PublishedDataMissing(f"no published warehouse at {path}") from exc
                raise
            time.sleep(OPEN_BACKOFF_SECONDS * 2 ** (attempt - 1))
            continue
        with conn:
            return conn.execute(sql, dict(params) if params else None).df()
    raise AssertionError("unreachable")  # pragma: no cover
