"""orderloop dashboards: the entry point of ``streamlit run dashboards/app.py``.

Pages live in ``dashboards/pages/`` (one module per page) and are wired up here with
``st.navigation``, so adding a page is one ``st.Page`` line. Shared sidebar filters persist in
``st.session_state`` across pages (see ``dashboards.filters``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent / "pages"

st.set_page_config(page_title="orderloop", page_icon=":material/local_shipping:", layout="wide")

navigation = st.navigation(
    [
        st.Page(PAGES_DIR / "cycle_time.py", title="Cycle time", icon=":material/timer:", default=True),
    ]
)
navigation.run()
