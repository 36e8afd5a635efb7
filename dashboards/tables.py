"""Tables on the dashboards: every table is shown with a CSV download of exactly what it shows.

Streamlit's table toolbar can download too, but only on hover in a browser; an explicit
button is visible, works for keyboard users and is what the tests can check.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV, without the index (it carries no meaning on these pages)."""
    return frame.to_csv(index=False).encode("utf-8")


def show_table(
    frame: pd.DataFrame,
    name: str,
    *,
    column_config: Mapping[str, object] | None = None,
    styled: Styler | None = None,
) -> None:
    """Render ``frame`` (or its pandas Styler ``styled``) and a "Download CSV" button under it.

    ``name`` names the file and keys the button, so it must be unique on the page.
    """
    st.dataframe(styled if styled is not None else frame, hide_index=True, column_config=column_config)
    st.download_button(
        "Download CSV",
        data=csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download.{name}",
        icon=":material/download:",
    )
