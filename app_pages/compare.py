"""Compare: one criterion, two to six countries, their provisions side by side."""

from __future__ import annotations

import streamlit as st

from app_pages.common import current_board, level_chip, run_scores
from kb.app_data import escape_markdown, marked_markdown
from kb.compare import compare, compare_csv
from kb.errors import CtkbError

st.title("Compare")
cat, rubric, b = current_board()
if b is not None:
    titles = {c.id: f"{c.id} {c.title}" for c in rubric.criteria}
    criterion = st.selectbox("Criterion", list(titles), format_func=titles.get)
    countries = st.multiselect("Countries (2 to 6)", sorted(b.countries), max_selections=6)
    if len(countries) < 2:
        st.caption("Pick at least two countries.")
    else:
        try:
            columns = compare(cat, run_scores(b.run.id), rubric, criterion, countries)
        except CtkbError as exc:
            st.error(str(exc))
            columns = []
        if columns:
            # The byte-order mark lets Excel read the accents of es/fr/pt provisions.
            st.download_button("Download CSV", "\ufeff" + compare_csv(columns, titles[criterion]),
                               file_name=f"compare-{criterion}.csv", mime="text/csv")
            for col, data in zip(st.columns(len(columns)), columns):
                with col:
                    st.markdown(f"### {data.country}")
                    st.markdown(f"{level_chip(data.level)} confidence {data.confidence:.2f} ({data.language})")
                    if not data.provisions:
                        st.caption("Not found in the indexed documents (not proof of absence).")
                    for p in data.provisions:
                        page = f", p. {p.page_start}" if p.page_start else ""
                        st.markdown(f"**{escape_markdown(p.citation)}**{page}")
                        st.markdown(marked_markdown(p.text, p.highlights))
