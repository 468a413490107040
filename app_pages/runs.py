"""Runs: the scoring history, and what changed between two runs."""

from __future__ import annotations

import streamlit as st

from app_pages.common import catalog, empty_state
from kb.scoring.runs import RunStore

st.title("Runs")
cat = catalog()
store = RunStore(cat)
runs = store.runs()
if not cat.documents():
    empty_state()
elif not runs:
    st.info("No scoring run yet. Run `ctkb score`, then reload this page.")
else:
    st.dataframe([{"id": r.id, "name": r.name or "", "created": r.created_at, "rubric": r.rubric_path,
                   "calibration": r.calibration_checksum, "documents": r.documents, "scores": r.scores,
                   "seconds": r.seconds} for r in runs], hide_index=True, width="stretch")
    if len(runs) >= 2:
        ids = [r.id for r in runs]
        c1, c2 = st.columns(2)
        a = c1.selectbox("From run", ids, index=1)
        b = c2.selectbox("To run", ids, index=0)
        diff = store.diff(a, b)
        st.caption(f"{len(diff.changes)} changed, {diff.unchanged} unchanged")
        st.dataframe([{"document": c.doc_id, "criterion": c.criterion, "change": c.kind, "before": c.level_a,
                       "after": c.level_b, "evidence before": "; ".join(c.evidence_a),
                       "evidence after": "; ".join(c.evidence_b)} for c in diff.changes],
                     hide_index=True, width="stretch")
    st.caption("Accuracy against gold labels: `ctkb evaluate --gold FILE [--cv]` (see docs/methodology.md).")
