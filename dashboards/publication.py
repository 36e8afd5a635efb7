"""The state of the published copy as users see it: freshness, the empty state, read failures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pandas as pd
import streamlit as st

from dashboards import formatting
from dashboards.queries import PublishedDataMissing, one_connection_per_render, published_path, read_published

PUBLICATION_SQL = """
select published_at, run_id
from meta.publication
order by published_at desc
limit 1
"""

EMPTY_STATE_MESSAGE = (
    "No order data has been published yet. Run `orderloop demo` to try orderloop on a simulated "
    "merchant, or `orderloop run` to load your own orders, then reload this page."
)


@dataclass(frozen=True)
class Publication:
    """When the published copy was made, and by which pipeline run."""

    published_at: dt.datetime
    run_id: str | None


def latest_publication() -> Publication | None:
    """The publication record, or None if the file predates ``meta.publication``."""
    try:
        frame = read_published(PUBLICATION_SQL)
    except duckdb.CatalogException:
        return None
    if frame.empty or pd.isna(frame.iloc[0]["published_at"]):
        return None
    row = frame.iloc[0]
    run_id = row["run_id"]
    return Publication(
        published_at=pd.Timestamp(row["published_at"]).to_pydatetime(),
        run_id=None if pd.isna(run_id) else str(run_id),
    )


def last_refreshed_text(publication: Publication | None) -> str:
    """The freshness line every page shows, so users know how old the figures are."""
    if publication is None:
        return "Data last refreshed: unknown"
    text = f"Data last refreshed: {formatting.utc_timestamp(publication.published_at)}"
    return f"{text} (run {publication.run_id})" if publication.run_id else text


def show_last_refreshed() -> None:
    """Render the freshness line under the page title."""
    st.caption(last_refreshed_text(latest_publication()))


def show_empty_state() -> None:
    """Tell the user how to get data, instead of showing empty or broken figures."""
    st.info(EMPTY_STATE_MESSAGE, icon=":material/info:")


@contextmanager
def published_data_errors() -> Iterator[None]:
    """Turn a missing or unreadable published file into a message, never a traceback; the
    page's queries inside share one connection (``one_connection_per_render``)."""
    try:
        with one_connection_per_render():
            yield
    except PublishedDataMissing:
        show_empty_state()
    except duckdb.CatalogException:
        # The file exists but has no marts yet (e.g. a run that published before building them).
        show_empty_state()
    except duckdb.Error as exc:
        st.error(
            f"Could not read the published warehouse at `{published_path()}`: {exc}. "
            "Try reloading; if it persists, re-run `orderloop run`.",
            icon=":material/error:",
        )
