"""Overview: countries by criteria, coloured by level, with pillar coverage per country."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import XLSX, cell_style, current_board, export_download
from kb.app_data import matrix
from kb.exports import matrix_csv, matrix_xlsx
from kb.reviews import ReviewStore

st.title("Overview")
cat, rubric, b = current_board()
if b is not None:
    st.caption(f"Run {b.run.id} ({b.run.created_at}), rubric {b.rubric_name}. ● present ◐ partial ○ absent "
               "✓ reviewed. 'Absent' means not found in the indexed documents, not proof of absence.")
    left, middle, right = st.columns(3)
    regions = left.multiselect("Regions", sorted(set(b.regions.values())))
    pillars = middle.multiselect("Pillars", list(rubric.pillars), format_func=lambda p: rubric.pillars[p])
    all_kinds = sorted({k for ks in b.kinds.values() for k in ks})
    kinds = right.multiselect("Document kinds", all_kinds)
    reviewed = set(ReviewStore(cat).current())
    columns, rows = matrix(b, rubric, pillars=pillars or None, kinds=kinds or None, regions=regions or None,
                           reviewed=reviewed)
    if not rows:
        st.warning("No country matches these filters.")
    else:
        frame = pd.DataFrame(rows).set_index("country")
        st.dataframe(frame.style.map(cell_style), width="stretch")
        left, right = st.columns(2)
        with left:
            export_download(f"matrix-xlsx-{b.run.id}", "spreadsheet (XLSX)",
                            lambda: matrix_xlsx(cat, run=b.run.id, rubric=rubric), "ctkb-matrix.xlsx", XLSX)
        with right:  # the byte-order mark lets Excel read accents
            export_download(f"matrix-csv-{b.run.id}", "CSV", lambda: "\ufeff" + matrix_csv(cat, run=b.run.id, rubric=rubric),
                            "ctkb-matrix.csv", "text/csv")
        coverage = pd.DataFrame({c: {rubric.pillars[p]: v for p, v in cov.items()} for c, cov in b.coverage.items()
                                 if c in frame.index}).T
        st.subheader("Coverage per pillar")
        st.bar_chart(coverage, stack=False)
        country = st.selectbox("Open a country profile", list(frame.index))
        # A link, not a button: a button would rerun this page before navigating.
        st.page_link("app_pages/country.py", label="Open profile", query_params={"country": country})
