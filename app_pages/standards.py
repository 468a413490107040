"""Standards: pick an article (or paragraph) of an indexed international instrument and see,
country by country, the national provisions that implement it (kb/align.py), with the
levels of the criteria that cite it; CSV and XLSX downloads with citations."""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    XLSX,
    catalog,
    compare_link,
    empty_state,
    export_download,
    knowledge_base,
    level_chip,
    ocr_flag,
    settings,
)
from kb.align import article_view
from kb.app_data import escape_markdown, library_key
from kb.errors import CtkbError
from kb.exports.alignment import alignment_csv, alignment_xlsx, provenance_rows
from kb.rubric import load_rubric
from kb.standards import outline


@st.cache_data(show_spinner=False, max_entries=4)
def _outline(catalog_path: str, rubric_path: str, mtime: float, library: str) -> dict:
    from kb.catalog import Catalog

    cat = Catalog(catalog_path)
    try:
        return outline(cat, load_rubric(rubric_path))
    finally:
        cat.close()


st.title("Standards")
st.caption("International instruments and model laws are references, not countries: indexed and searchable, "
           "never scored. Pick an article to see how each country implements it: first the evidence of the "
           "rubric's criteria that cite the article (with the country's level), then the provisions closest "
           "in meaning (cosine of the stored multilingual vectors). Not finding a provision is not proof that a "
           "law lacks it.")
cat = catalog()
if not cat.documents():
    empty_state()
    st.stop()
rubric_path = settings().rubric
listed = _outline(str(settings().catalog_path), str(rubric_path), rubric_path.stat().st_mtime, library_key(cat))
if not listed["standards"]:
    st.info("No standard is indexed. Add an international instrument or a model law on the **Documents** page "
            "(kind `international-instrument` or `model-law`), or index the corpus's `intl/` folder.")
    st.stop()
with st.expander("Instruments the rubric cites"):
    st.dataframe([{"key": i["key"], "instrument": i["title"],
                   "text in the knowledge base": i["doc_id"] or "not indexed"} for i in listed["instruments"]],
                 hide_index=True, use_container_width=True)

by_id = {s["doc_id"]: s for s in listed["standards"]}
c1, c2, c3 = st.columns([3, 2, 1])
doc_id = c1.selectbox("Standard", list(by_id), format_func=lambda d: f"{by_id[d]['instrument'] or d} — "
                                                                   f"{by_id[d]['title']}")
articles = by_id[doc_id]["articles"]
labels = {a["number"]: f"{a['citation']}{' — ' + a['heading'] if a['heading'] else ''}" for a in articles}
number = c2.selectbox("Article", list(labels), format_func=labels.get)
paragraph = c3.text_input("Paragraph or point", placeholder="3(a)", help="Optional: e.g. 1, 3(a)").strip() or None
per_country = st.slider("Matches per country", 1, 5, 3)

kb = knowledge_base(encoders=False)
rubric = load_rubric(rubric_path)
try:
    view = article_view(kb, rubric, doc_id, number, paragraph=paragraph, per_country=per_country)
except CtkbError as exc:
    st.error(str(exc))
    st.stop()

st.subheader(f"{view.instrument or view.doc_id} — {view.citation}{' — ' + view.heading if view.heading else ''}")
st.text(view.text)  # the standard's own words, shown as written
if view.criteria:
    st.markdown("**Criteria citing it:** " + "; ".join(
        f"{escape_markdown(c.id)} {escape_markdown(c.title)}" for c in view.criteria))
for note in view.notes:
    st.caption(note)

key = f"{view.provision_id}-{per_country}-{view.run_id}"
provenance = provenance_rows(cat, view, rubric)
d1, d2 = st.columns(2)
d1.download_button("Download CSV", alignment_csv(view, provenance).encode("utf-8-sig"),
                   file_name=f"article-{view.instrument or doc_id}-{view.target}.csv", mime="text/csv")
with d2:
    export_download(f"align-xlsx-{key}", "spreadsheet (XLSX)", lambda: alignment_xlsx(view, provenance),
                    f"article-{view.instrument or doc_id}-{view.target}.xlsx", XLSX)

for country in view.countries:
    levels = ", ".join(f"{c.criterion} {level_chip(c.level)}" for c in country.coverage)
    with st.expander(f"{country.country} — {len(country.matches)} match(es)", expanded=False):
        if levels:
            st.markdown(levels)
        if not country.matches:
            st.caption("No provision found in the indexed documents (not proof of absence).")
        for n, m in enumerate(country.matches):
            how = (f"evidence for {m.criterion} ({m.level}, p={m.probability:.2f})" if m.source == "evidence"
                   else f"similarity {m.similarity:.2f}" if m.similarity is not None else m.source)
            page = f", p. {m.page_start}" if m.page_start else ""
            st.markdown(f"**{escape_markdown(m.citation)}**{page} · {escape_markdown(m.title)} ({m.language}) — {how}")
            st.text(m.snippet)
            ocr_flag(m.ocr_confidence)
            compare_link(m.provision_id, f"align-{country.country}-{n}")
