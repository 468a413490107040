"""Country profile: the 4P scorecard, the gaps with evidence and reasons beside the standards'
text their legal basis cites, how other countries drafted the missing provision, and the
advisor's review."""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    DOCX,
    current_board,
    export_download,
    knowledge_base,
    level_chip,
    ocr_flag,
    run_scores,
    show_context,
    show_standards,
    standard_texts,
)
from kb.app_data import escape_markdown, gaps, marked_markdown, ocr_confidences, scorecard
from kb.compare import drafting_examples
from kb.exports import memo_docx
from kb.reviews import ReviewStore, apply_reviews
from kb.similar import drafting_similarity

# Beside each gap, a standard's article is cut to this many characters: a profile shows a dozen
# gaps, each with several articles, and the page's latency grows with the text it carries.
STANDARD_CHARS = 600

st.title("Country profile")
cat, rubric, b = current_board()
if b is not None:
    countries = sorted(b.countries)
    wanted = st.query_params.get("country") or st.session_state.get("country") or countries[0]
    country = st.selectbox("Country", countries, index=countries.index(wanted) if wanted in countries else 0)
    st.query_params["country"] = country
    rows = b.countries[country]
    reviews = ReviewStore(cat).current(country)
    cells = {c.machine.criterion: c for c in apply_reviews(rows, reviews)}
    if "flash" in st.session_state:
        st.success(st.session_state.pop("flash"))
    st.caption(f"Rests on: {', '.join(rows[0].rests_on)} · run {b.run.id}")
    st.warning(rows[0].caveat)
    st.dataframe(scorecard(rows, rubric), hide_index=True, width="stretch")
    export_download(f"memo-{b.run.id}-{country}", "Word gap memo",
                    lambda: memo_docx(cat, country, run=b.run.id, rubric=rubric),
                    f"{country.lower()}-gap-memo.docx", DOCX)
    scores = run_scores(b.run.id)
    criteria = {c.id: c for c in rubric.criteria}
    # Every evidence provision's OCR flag in one query, not one per expander (p95 target 1.5 s).
    ocr = ocr_confidences(cat, [e.provision_id for r in rows for e in r.evidence])
    texts = standard_texts(cat, b)  # cached per rubric and library: resolved once, not per rerun

    def show(row) -> None:
        c = criteria[row.criterion]
        cell = cells[row.criterion]
        flag = " · reviewed" if cell.reviewed else ""
        flag += " · **needs re-review** (the machine's score changed)" if cell.needs_rereview else ""
        machine = f" (machine: {row.level})" if cell.level != row.level else ""
        label = f"{row.criterion} {c.title} — {cell.level}{machine}{' ✓' if cell.reviewed else ''}"
        with st.expander(label):
            st.markdown(f"{level_chip(cell.level)} machine: {row.level}, confidence {row.confidence:.2f} "
                        f"({row.language}){flag}")
            st.markdown(f"**Standard.** {escape_markdown(c.present)}  \n**Partial.** {escape_markdown(c.partial)}  \n"
                        f"**Legal basis.** {escape_markdown(', '.join(c.legal_basis) or '—')}")
            # The national text and what the standards say, side by side.
            national, standard = st.columns(2)
            with national:
                st.markdown("**National text**")
                best = next((s for s in scores if s.doc_id == row.best_doc_id and s.criterion == row.criterion),
                            None)
                for reason in (best.reasons if best else []):
                    st.markdown(f"- {escape_markdown(reason)}")
                for e in row.evidence:
                    page = f", p. {e.page_start}" if e.page_start else ""
                    st.markdown(f"**{escape_markdown(e.citation)}**{page} ({escape_markdown(e.doc_id)}, "
                                f"p={e.probability:.2f})")
                    st.markdown(marked_markdown(e.snippet, []))
                    ocr_flag(ocr.get(e.provision_id))
                    show_context(cat, e.provision_id, f"{row.criterion}-{e.provision_id}", rubric=rubric,
                                 criterion=row.criterion)
            with standard:
                show_standards(texts.get(row.criterion, []), "What the standards say", max_chars=STANDARD_CHARS)
            # Computed on demand: every expander's body runs on each rerun, even when collapsed.
            wanted = row.level != "present" and st.toggle("How other countries drafted it",
                                                           key=f"drafting-{row.criterion}")
            examples = drafting_examples(cat, scores, rubric, row.criterion, exclude_country=country,
                                         limit=5) if wanted else []
            if wanted and not examples:
                st.caption("No other country's indexed documents have this criterion present.")
            against = drafting_similarity(knowledge_base(encoders=False), rubric, row.criterion, examples,
                                          [e.provision_id for e in row.evidence]) if examples else ""
            if against:
                st.caption(f"Best evidence first (p = evidence probability); similarity to {against}.")
            for ex in examples:
                similar = f", similarity {ex.similarity:.2f}" if ex.similarity is not None else ""
                st.markdown(f"*{ex.country}* — **{escape_markdown(ex.citation)}** ({escape_markdown(ex.title)}, "
                            f"{ex.language}, p={ex.probability:.2f}{similar})")
                st.markdown(marked_markdown(ex.text[:1500], [s for s in ex.highlights if s[1] <= 1500]))
                ocr_flag(ex.ocr_confidence)
                show_context(cat, ex.provision_id, f"example-{row.criterion}-{ex.provision_id}", rubric=rubric,
                             criterion=row.criterion)
            # The form is built on demand: 50 forms on one page made it slow to open.
            if not st.toggle("Review this criterion", key=f"review-on-{row.criterion}"):
                return
            with st.form(f"review-{row.criterion}"):
                st.markdown("**Your review**")
                level = st.radio("Level", ["present", "partial", "absent"], horizontal=True,
                                 index=["present", "partial", "absent"].index(cell.level))
                ids = {e.provision_id: e.citation for e in row.evidence}
                evidence = st.multiselect("Evidence", list(ids), default=list(ids), format_func=ids.get)
                comment = st.text_area("Comment")
                reviewer = st.text_input("Your name")
                if st.form_submit_button("Save review"):
                    from kb.errors import CtkbError

                    try:
                        ReviewStore(cat).save(country, row.criterion, level=level, evidence=evidence,
                                              comment=comment, reviewer=reviewer, machine=row, run_id=b.run.id)
                        # Shown after the rerun (a message before st.rerun() would be thrown away).
                        st.session_state["flash"] = f"Review of {row.criterion} saved; the review log records it."
                        st.rerun()
                    except CtkbError as exc:
                        st.error(str(exc))

    found = gaps(rows, rubric)
    st.subheader(f"Gaps ({len(found)})")
    for row in found:
        show(row)
    present = [r for r in rows if r.level == "present"]
    st.subheader(f"Found ({len(present)})")
    if st.toggle("Show the criteria found", key="show-found"):  # on demand: fewer elements, faster page
        for row in present:
            show(row)
