"""Compare: one criterion across two to six countries under the standards' text its legal basis
cites, or any provision (a standard's article too) against other countries' closest provisions;
side by side, with a CSV download."""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    DOCX,
    XLSX,
    current_board,
    export_download,
    knowledge_base,
    level_chip,
    ocr_flag,
    run_scores,
    show_standards,
    standard_texts,
)
from kb.app_data import escape_markdown, marked_markdown, other_countries
from kb.compare import MAX_COUNTRIES, compare, compare_csv
from kb.errors import CtkbError
from kb.exports import compare_docx, compare_xlsx
from kb.similar import similar_csv, similar_provisions


def _provision(p, score: str = "") -> None:
    page = f", p. {p.page_start}" if p.page_start else ""
    st.markdown(f"**{escape_markdown(p.citation)}**{page} · {escape_markdown(p.title)} ({p.language}){score}")
    st.markdown(marked_markdown(p.text, p.highlights))
    ocr_flag(p.ocr_confidence)


def by_criterion(cat, rubric, b) -> None:
    titles = {c.id: f"{c.id} {c.title}" for c in rubric.criteria}
    criterion = st.selectbox("Criterion", list(titles), format_func=titles.get)
    countries = st.multiselect("Countries (2 to 6)", sorted(b.countries), max_selections=MAX_COUNTRIES)
    texts = standard_texts(cat, b).get(criterion, [])
    # Above the countries: the yardstick each column is read against.
    with st.expander("What the standards say", expanded=True):
        show_standards(texts)
    if len(countries) < 2:
        st.caption("Pick at least two countries.")
        return
    try:
        columns = compare(cat, run_scores(b.run.id), rubric, criterion, countries)
    except CtkbError as exc:
        st.error(str(exc))
        return
    # The byte-order mark lets Excel read the accents of es/fr/pt provisions.
    csv_col, docx_col, xlsx_col = st.columns(3)
    csv_col.download_button("Download CSV", "\ufeff" + compare_csv(columns, titles[criterion]),
                            file_name=f"compare-{criterion}.csv", mime="text/csv")
    key = f"{b.run.id}-{criterion}-{'-'.join(countries)}"
    with docx_col:
        export_download(f"compare-docx-{key}", "Word table", lambda: compare_docx(
            cat, criterion, countries, run=b.run.id, rubric=rubric), f"compare-{criterion}.docx", DOCX)
    with xlsx_col:
        export_download(f"compare-xlsx-{key}", "spreadsheet (XLSX)", lambda: compare_xlsx(
            cat, criterion, countries, run=b.run.id, rubric=rubric), f"compare-{criterion}.xlsx", XLSX)
    for col, data in zip(st.columns(len(columns)), columns):
        with col:
            st.markdown(f"### {data.country}")
            st.markdown(f"{level_chip(data.level)} confidence {data.confidence:.2f} ({data.language})")
            if not data.provisions:
                st.caption("Not found in the indexed documents (not proof of absence).")
            for p in data.provisions:
                _provision(p)


def by_provision(cat, b) -> None:
    """Start from a provision (a link from search, a profile or the documents; or picked here)."""
    wanted = st.query_params.get("provision")
    docs = [d for d in cat.documents() if d.status == "indexed"]
    ids = [d.id for d in docs]
    row = cat._db.execute("SELECT doc_id FROM provisions WHERE id=?", (wanted,)).fetchone() if wanted else None
    doc_id = st.selectbox("Document", ids, index=ids.index(row[0]) if row and row[0] in ids else 0)
    tops = [p for p in cat.provisions(doc_id) if p.parent_id is None]
    if not tops:
        st.caption("This document has no provisions.")
        return
    at = next((i for i, p in enumerate(tops) if p.id == wanted), 0)
    chosen = st.selectbox("Provision", tops, index=at, format_func=lambda p: f"{p.citation} {p.heading or ''}")
    source_country = next(d.country for d in docs if d.id == doc_id)
    others = other_countries(docs, source_country)
    countries = st.multiselect(f"Countries to compare with (1 to {MAX_COUNTRIES})", others,
                               max_selections=MAX_COUNTRIES)
    if not countries:
        st.caption("Pick at least one country.")
        return
    try:
        source, columns = similar_provisions(knowledge_base(encoders=False), chosen.id, countries)
    except CtkbError as exc:
        st.error(str(exc))
        return
    st.download_button("Download CSV", "\ufeff" + similar_csv(source, columns),
                       file_name=f"compare-{source.doc_id}-{source.number}.csv", mime="text/csv")
    for col, data in zip(st.columns(len(columns) + 1), [None, *columns]):
        with col:
            if data is None:
                st.markdown(f"### {source.country} (start)")
                _provision(source)
                continue
            st.markdown(f"### {data.country}")
            if not data.provisions:
                st.caption("No provision of this country is indexed with vectors.")
            for p in data.provisions:
                _provision(p, f" · similarity {p.similarity:.2f}")


st.title("Compare")
cat, rubric, b = current_board()
if b is not None:
    modes = ["By criterion", "From a provision"]
    start = 1 if st.query_params.get("provision") else 0
    mode = st.radio("Compare", modes, index=start, horizontal=True)
    if mode == modes[0]:
        by_criterion(cat, rubric, b)
    else:
        by_provision(cat, b)
