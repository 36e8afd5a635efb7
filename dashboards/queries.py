"""Read-only, cached access to the published copy of the marts.

The pipeline replaces the published DuckDB file atomically after each successful run, so the
dashboard never holds a connection open between renders: a query opens the file read-only,
runs, and closes. Within one render of a page (``one_connection_per_render``, entered by
``publication.published_data_errors``) the queries share one connection instead, as long as
the file is the one it opened: a page runs up to ten small queries, and opening the file each
time cost about as much as the queries (docs/PERFORMANCE.md). Results are cached per
publication (path + file identity), so a new publication shows up on the next rerun instead of
after the cache TTL.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
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
_CONNECT_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# Nor any file but the published one: once it is attached, external access is switched off and
# the configuration locked, so a statement that somehow got through could not read, write or
# attach another file (COPY, read_csv, ATTACH all refuse) nor switch it back on.
_LOCK_DOWN = ("set enable_external_access = false", "set lock_configuration = true")

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


# The current render's connections: path -> (the file's identity when opened, connection). A
# ContextVar, so each script run (its own thread) has its own and nothing leaks between users.
_RENDER_CONNECTIONS: ContextVar[dict[str, tuple[FileVersion, duckdb.DuckDBPyConnection]] | None] = ContextVar(
    "orderloop_render_connections", default=None
)


@contextmanager
def one_connection_per_render() -> Iterator[None]:
    """Let the queries inside share one read-only connection per published file, closed on exit.

    A query whose file has been replaced since (another identity) opens its own, as outside.
    """
    if _RENDER_CONNECTIONS.get() is not None:  # already inside one
        yield
        return
    connections: dict[str, tuple[FileVersion, duckdb.DuckDBPyConnection]] = {}
    token = _RENDER_CONNECTIONS.set(connections)
    try:
        yield
    finally:
        _RENDER_CONNECTIONS.reset(token)
        for _, conn in connections.values():
            conn.close()


def query_published_file(path: Path, sql: str, params: Mapping[str, object] | None = None) -> pd.DataFrame:
    """Run ``sql`` with bound ``params`` on ``path`` read-only; no caching. Inside
    ``one_connection_per_render`` on the render's connection, else on one opened and closed here."""
    connections = _RENDER_CONNECTIONS.get()
    if connections is None:
        return _query_once(path, sql, params)
    version = file_version(path)
    held = connections.get(str(path))
    if held is None or held[0] != version:
        if held is not None:
            held[1].close()
        connections[str(path)] = (version, _open(path))
    return connections[str(path)][1].execute(sql, dict(params) if params else None).df()


def _query_once(path: Path, sql: str, params: Mapping[str, object] | None) -> pd.DataFrame:
    with _open(path) as conn:
        return conn.execute(sql, dict(params) if params else None).df()


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    """Open ``path`` read-only, retrying briefly, because the file may be mid-replacement.

    The file is attached to a fresh in-memory database rather than opened by path: DuckDB hands
    every ``connect(path)`` in a process the database already open under that path, so while
    any connection to a replaced file was alive, a new one still read the old file.
    """
    quoted = str(path).replace("'", "''")  # ATTACH takes no bound parameters; the path is ours
    for attempt in range(1, OPEN_ATTEMPTS + 1):
        try:
            conn = duckdb.connect(":memory:", config=_CONNECT_CONFIG)
            try:
                conn.execute(f"attach '{quoted}' as published (read_only)")
                conn.execute("use published")
                for statement in _LOCK_DOWN:
                    conn.execute(statement)
            except BaseException:
                conn.close()
                raise
        except duckdb.IOException as exc:
            if attempt == OPEN_ATTEMPTS:
                if not path.exists():
                    raise PublishedDataMissing(f"no published warehouse at {path}") from exc
                raise
            time.sleep(OPEN_BACKOFF_SECONDS * 2 ** (attempt - 1))
            continue
        return conn
    raise AssertionError("unreachable")  # pragma: no cover
