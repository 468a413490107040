"""Documents: the library, with each document's provisions."""

from __future__ import annotations

import streamlit as st

from app_pages.common import catalog, empty_state
from kb.views import document_summary, document_view


def _pages(pages: list[int] | None) -> str:
    if not pages:
        return ""
    return f"p. {pages[0]}" if pages[0] == pages[1] else f"pp. {pages[0]}–{pages[1]}"


st.title("Documents")
cat = catalog()
records = cat.documents()
if not records:
    empty_state()
else:
    st.dataframe([document_summary(r) for r in records], hide_index=True, width="stretch")
    choice = st.selectbox("Document", [r.id for r in records])
    view = document_view(cat, choice)
    st.subheader(view["title"])
    if view["status"] != "indexed":
        st.warning(f"{view['status']}: {view['error']}")
    for node in view["provisions"]:
        label = f"{node['citation']} {node['heading'] or ''} {_pages(node['pages'])}".strip()
        with st.expander(label):
            st.text(node["text"])  # st.text: provision text is shown literally, never as Markdown/HTML
