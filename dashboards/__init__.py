"""orderloop's Streamlit dashboards; they only ever read the published copy of the marts."""
