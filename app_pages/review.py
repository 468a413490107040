"""Review log: every advisor review (confirm, override, withdraw), newest first."""

from __future__ import annotations

import streamlit as st

from app_pages.common import catalog, empty_state
from kb.reviews import ReviewStore

st.title("Review log")
cat = catalog()
if not cat.documents():
    empty_state()
else:
    entries = ReviewStore(cat).audit()
    if not entries:
        st.info("No review yet. Open a country profile, expand a criterion and save a review.")
    st.dataframe([{"when": e.at, "who": e.reviewer, "country": e.country, "criterion": e.criterion,
                   "action": e.action, "before": (e.before or {}).get("level"), "after": (e.after or {}).get("level"),
                   "comment": e.comment} for e in entries], hide_index=True, width="stretch")
