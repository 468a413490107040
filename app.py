"""ctkb web app (Streamlit). Thin: it routes to pages that render what the library computes.

Run with ``make demo`` or ``streamlit run app.py``. The knowledge base is read from
``$CTKB_HOME`` (default ``.ctkb``).
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="ctkb", layout="wide")
pages = {
    "Frameworks": [
        st.Page("app_pages/overview.py", title="Overview", default=True),
        st.Page("app_pages/country.py", title="Country profile"),
        st.Page("app_pages/compare.py", title="Compare"),
        st.Page("app_pages/standards.py", title="Standards"),
    ],
    "Library": [
        st.Page("app_pages/search.py", title="Search"),
        st.Page("app_pages/documents.py", title="Documents"),
    ],
    "Analysis": [
        st.Page("app_pages/review.py", title="Review log"),
        st.Page("app_pages/runs.py", title="Runs"),
    ],
}
st.navigation(pages).run()
