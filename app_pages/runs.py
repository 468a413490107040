"""Runs: the scoring history, what changed between two runs, and accuracy against gold labels."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app_pages.common import catalog, empty_state, knowledge_base, settings
from kb.app_data import evaluation_rows
from kb.errors import CtkbError
from kb.scoring.runs import RunStore


@st.cache_data(show_spinner="Evaluating the run against the gold labels…", max_entries=8)
def _evaluate(run_id: str, rubric_path: str, gold_text: str, gold_name: str, library: str) -> dict:
    """The gold report of a run (cached per run, gold file and library state)."""
    from kb.scoring.service import evaluate

    with tempfile.TemporaryDirectory() as tmp:
        gold = Path(tmp) / Path(gold_name).name
        gold.write_text(gold_text, encoding="utf-8")
        report = evaluate(knowledge_base(encoders=False), rubric_path, gold, run=run_id)
    report["gold"] = gold_name
    return report


def evaluation(cat, runs) -> None:
    st.subheader("Accuracy against gold labels")
    st.caption("Metrics as defined in the gold file's README; baselines use one threshold chosen on the same "
               "file. Leave-one-document-out figures: `ctkb evaluate --gold FILE --cv`.")
    c1, c2 = st.columns(2)
    path = c1.text_input("Gold file on this machine (YAML)", placeholder="../shared/gold/dev.yaml")
    uploaded = c2.file_uploader("…or upload one", type=["yaml", "yml"])
    run = st.selectbox("Run to evaluate", [r.id for r in runs], key="eval-run",
                       format_func=lambda i: next(f"{r.id} {r.name or ''}".strip() for r in runs if r.id == i))
    if not st.button("Evaluate"):
        return
    try:
        if uploaded is not None:
            text, name = uploaded.getvalue().decode("utf-8"), uploaded.name
        elif path.strip():
            text, name = Path(path.strip()).read_text(encoding="utf-8"), path.strip()
        else:
            st.error("Give the path of a gold file, or upload one.")
            return
    except (OSError, UnicodeDecodeError) as exc:
        st.error(f"Cannot read the gold file: {exc}")
        return
    from kb.app_data import library_key

    stored = RunStore(cat).get(run)
    rubric = stored.rubric_path if Path(stored.rubric_path).is_file() else str(settings().rubric)
    try:
        report = _evaluate(run, rubric, text, name, library_key(cat))
    except CtkbError as exc:
        st.error(str(exc))
        return
    st.dataframe(evaluation_rows(report), hide_index=True, width="stretch")
    st.caption(f"Run {run} on {len(report['documents'])} gold documents of {name}."
               + (f" Not indexed, left out: {', '.join(report['missing_documents'])}."
                  if report["missing_documents"] else ""))


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
    evaluation(cat, runs)
