"""ctkb web app (Streamlit). Thin: it renders what the library computes.

Run with ``make demo`` or ``streamlit run app.py``. The knowledge base is read
from ``$CTKB_HOME`` (default ``.ctkb``).
"""

from __future__ import annotations

import streamlit as st

from kb.catalog import Catalog
from kb.settings import Settings
from kb.views import document_summary, document_view


def _pages(pages: list[int] | None) -> str:
    if not pages:
        return ""
    return f"p. {pages[0]}" if pages[0] == pages[1] else f"pp. {pages[0]}–{pages[1]}"


def library_page() -> None:
    settings = Settings.from_env()
    catalog = Catalog(settings.catalog_path)
    records = catalog.documents()
    st.title("ctkb — documents")
    if not records:
        st.info(
            "The knowledge base is empty. Index documents with `ctkb index --manifest FILE` "
            "(or `make demo`), then reload this page."
        )
        return
    st.dataframe([document_summary(r) for r in records], hide_index=True, use_container_width=True)
    choice = st.selectbox("Document", [r.id for r in records], format_func=lambda i: f"{i}")
    view = document_view(catalog, choice)
    st.subheader(view["title"])
    if view["status"] != "indexed":
        st.warning(f"{view['status']}: {view['error']}")
    for node in view["provisions"]:
        label = f"{node['citation']} {node['heading'] or ''} {_pages(node['pages'])}".strip()
        with st.expander(label):
            st.text(node["text"])  # st.text: provision text is shown literally, never as Markdown/HTML


st.set_page_config(page_title="ctkb", layout="wide")
library_page()
