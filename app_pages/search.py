"""Search: hybrid, semantic or exact, with filters; each hit readable in its document context."""

from __future__ import annotations

import streamlit as st

from app_pages.common import catalog, empty_state, knowledge_base, ocr_flag, show_context
from kb.app_data import marked_markdown, ocr_confidences
from kb.errors import CtkbError
from kb.knowledge import MODES

st.title("Search")
cat = catalog()
if not cat.documents():
    empty_state()
else:
    query = st.text_input("Search provisions (any language)")
    c1, c2, c3, c4 = st.columns(4)
    facets = cat.facets()
    countries = c1.multiselect("Countries", sorted({f[1] for f in facets}))
    languages = c2.multiselect("Languages", sorted({f[3] for f in facets}))
    kinds = c3.multiselect("Document kinds", sorted({f[2] for f in facets if f[2]}))
    mode = c4.radio("Mode", MODES, horizontal=True)
    if query.strip():
        kb = knowledge_base()
        try:
            hits = kb.search(query, countries=countries, languages=languages, kinds=kinds, mode=mode, limit=20)
        except CtkbError as exc:
            st.error(str(exc))
            hits = []
        if not hits:
            st.caption("No provision found.")
        ocr = ocr_confidences(cat, [h.provision_id for h in hits])  # one query for every hit
        for i, h in enumerate(hits):
            page = f", p. {h.pages[0]}" if h.pages else ""
            with st.expander(f"{h.country} · {h.citation}{page} — {h.title} (score {h.score:.3f})"):
                st.markdown(marked_markdown(h.text, h.highlights))
                ocr_flag(ocr.get(h.provision_id))
                show_context(cat, h.provision_id, f"hit-{i}-{h.provision_id}")
