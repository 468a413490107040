"""Search: hybrid, semantic or exact, with filters; each hit readable in its document context."""

from __future__ import annotations

import streamlit as st

from app_pages.common import catalog, empty_state, settings
from kb.app_data import marked_markdown
from kb.errors import CtkbError
from kb.knowledge import MODES, KnowledgeBase


@st.cache_resource(show_spinner="Loading the encoders and the vector store…")
def _heavy(home: str):
    """Encoders and store, once per process (the CLI gets a clear message while the app holds the store)."""
    kb = KnowledgeBase.open(settings())
    return kb.store, kb.encoders


st.title("Search")
cat = catalog()
if not cat.documents():
    empty_state()
else:
    query = st.text_input("Search provisions (any language)")
    c1, c2, c3 = st.columns(3)
    facets = cat.facets()
    countries = c1.multiselect("Countries", sorted({f[1] for f in facets}))
    languages = c2.multiselect("Languages", sorted({f[3] for f in facets}))
    mode = c3.radio("Mode", MODES, horizontal=True)
    if query.strip():
        store, encoders = _heavy(str(settings().home))
        kb = KnowledgeBase(settings(), store=store, encoders=encoders)
        try:
            hits = kb.search(query, countries=countries, languages=languages, mode=mode, limit=20)
        except CtkbError as exc:
            st.error(str(exc))
            hits = []
        if not hits and query.strip():
            st.caption("No provision found.")
        for h in hits:
            page = f", p. {h.pages[0]}" if h.pages else ""
            with st.expander(f"{h.country} · {h.citation}{page} — {h.title} (score {h.score:.3f})"):
                st.markdown(marked_markdown(h.text, h.highlights))
