"""orderloop dashboards: the entry point of ``streamlit run dashboards/app.py``.

Pages live in ``dashboards/pages/`` (one module per page) and are listed in
``dashboards.pages_index`` with an explicit URL path each; ``st.navigation`` wires them up here.
The shared sidebar filters persist in ``st.session_state`` across pages (``dashboards.filters``).
"""

from __future__ import annotations

import streamlit as st

from dashboards.pages_index import PAGES

st.set_page_config(page_title="orderloop", page_icon=":material/local_shipping:", layout="wide")

navigation = st.navigation(
    [
        st.Page(page.path, title=page.title, icon=page.icon, url_path=page.url_path, default=page.default)
        for page in PAGES
    ]
)
navigation.run()
