"""Documents: the library (national documents, then the standards apart) with each document's
provisions; add, replace or remove a document."""

from __future__ import annotations

import streamlit as st

from app_pages.common import catalog, compare_link, empty_state, knowledge_base, ocr_flag
from kb.app_data import library_sections, ocr_label
from kb.errors import CtkbError
from kb.library import UploadMeta, add_document, remove_document
from kb.ocr_quality import ocr_caveat
from kb.views import document_summary, document_view

KINDS = ["act", "regulation", "procedure", "penal-code-chapter", "policy", "international-instrument", "model-law"]
LANGUAGES = ["en", "es", "fr", "pt", "ar", "nl", "id", "ms", "bn", "ru", "zh"]
TYPES = ["pdf", "docx", "html", "htm", "txt", "md"]


def _pages(pages: list[int] | None) -> str:
    if not pages:
        return ""
    return f"p. {pages[0]}" if pages[0] == pages[1] else f"pp. {pages[0]}–{pages[1]}"


def _row(record) -> dict:
    """A library table row: the OCR figures as one readable cell ("5 pages OCR, 0.89")."""
    row = {k: v for k, v in document_summary(record).items() if k not in ("ocr_pages", "ocr_confidence")}
    return {**row, "ocr": ocr_label(record)}


STANDARDS = "Standards (international instruments and model laws)"


def library(cat, records) -> None:
    national, standards = library_sections(records)
    if national:
        st.dataframe([_row(r) for r in national], hide_index=True, width="stretch")
    else:
        st.caption("No national documents yet.")
    if standards:  # no country's law: never scored, quoted beside the criteria that cite them
        st.subheader(STANDARDS)
        st.caption("Searchable like any document and never scored as a country; the country profiles, Compare "
                   "and the gap memos quote their provisions beside each criterion whose legal basis cites them, "
                   "and the Standards page lines up each article with the countries' provisions.")
        st.dataframe([_row(r) for r in standards], hide_index=True, width="stretch")
    choice = st.selectbox("Document", [r.id for r in national + standards])
    view = document_view(cat, choice)
    record = next(r for r in records if r.id == choice)
    st.subheader(view["title"])
    if view["status"] != "indexed":
        st.warning(f"{view['status']}: {view['error']}")
    if record.ocr_pages:
        st.warning(f"{record.ocr_pages} of {record.pages or record.ocr_pages} pages were read by OCR: check "
                   "quotes against the original.")
    for node in view["provisions"]:
        label = f"{node['citation']} {node['heading'] or ''} {_pages(node['pages'])}".strip()
        with st.expander(label):
            st.text(node["text"])  # st.text: provision text is shown literally, never as Markdown/HTML
            ocr_flag(node.get("ocr_confidence"))  # per provision: in a partly scanned PDF only some are OCR'd
            compare_link(node["id"], node["id"])


def _run_upload(data: bytes, name: str, meta: UploadMeta, replace: str | None = None) -> None:
    """Index and score with a progress bar; the outcome is shown after the rerun.

    A scan is OCR'd while it is indexed, a page at a time: the bar then reads "OCR page k of N".
    """
    bar = st.progress(0.0, text=f"Checking {name}…")
    try:
        result = add_document(knowledge_base(), data, name, meta, replace=replace,
                              progress=lambda share, step: bar.progress(min(share, 1.0), text=step))
    except CtkbError as exc:
        bar.empty()
        st.error(str(exc))
        return
    if result.status != "indexed":
        st.session_state["doc-flash"] = ("error", f"{result.doc_id} was not indexed: {result.message}")
    else:
        failed = f"; {len(result.scoring_failed)} document(s) could not be scored" if result.scoring_failed else ""
        ocr = (f" {result.ocr_pages} page(s) were read by OCR ({ocr_caveat(result.ocr_confidence)})."
               if result.ocr_pages else "")
        st.session_state["doc-flash"] = ("success", f"{result.doc_id}: {result.provisions} provisions indexed; "
                                                    f"the knowledge base was scored again (run {result.run_id}){failed}."
                                                    + ocr)
    st.rerun()


def add_form(kinds: list[str]) -> None:
    with st.form("add-document"):
        file = st.file_uploader("File (PDF, scanned PDFs included, Word, HTML, plain text or Markdown)", type=TYPES)
        st.caption("A scanned PDF (no text layer) is read by OCR, a page at a time; its provisions are flagged "
                   "to be checked against the original.")
        c1, c2 = st.columns(2)
        country = c1.text_input("Country (ISO 3166 alpha-3, e.g. ARG; INTL for an international instrument)")
        title = c2.text_input("Title")
        year = c1.number_input("Year", min_value=1800, max_value=2100, value=None, step=1)
        kind = c2.selectbox("Kind", kinds, index=None, accept_new_options=True)
        language = c1.selectbox("Language", LANGUAGES, index=None, placeholder="detect from the text",
                                accept_new_options=True)
        region = c2.text_input("Region (optional; default: the country's continent)")
        doc_id = c1.text_input("Id (optional; default: country and title)")
        submitted = st.form_submit_button("Add and score")
    if not submitted:
        return
    if file is None or not country.strip() or not title.strip():
        st.error("Choose a file and give its country and title.")
        return
    try:
        meta = UploadMeta(country=country, title=title, year=int(year) if year else None, kind=kind,
                          language=language, region=region or None, id=doc_id.strip() or None)
    except ValueError as exc:
        st.error(f"The form is not valid: {exc}")
        return
    _run_upload(file.getvalue(), file.name, meta)


def replace_or_remove(records) -> None:
    by_id = {r.id: r for r in records}
    choice = st.selectbox("Document to replace or remove", list(by_id), key="manage-doc")
    record = by_id[choice]
    with st.form("replace-document"):
        st.markdown("**Replace** with a new version (same id and metadata, new text; scored again).")
        file = st.file_uploader("New file", type=TYPES, key="replace-file")
        if st.form_submit_button("Replace and score") and file is not None:
            meta = UploadMeta(country=record.country, title=record.title, year=record.year, kind=record.kind,
                              language=record.language if record.language != "xx" else None,
                              jurisdiction=record.jurisdiction, region=record.meta.get("region"))
            _run_upload(file.getvalue(), file.name, meta, replace=choice)
    with st.form("remove-document"):
        st.markdown("**Remove** from the library: its provisions and vectors go; earlier runs keep their scores "
                    "as history, and the views stop showing it.")
        sure = st.checkbox(f"Yes, remove {choice}")
        if st.form_submit_button("Remove") and sure:
            try:
                remove_document(knowledge_base(), choice)
                st.session_state["doc-flash"] = ("success", f"{choice} removed.")
                st.rerun()
            except CtkbError as exc:
                st.error(str(exc))


st.title("Documents")
cat = catalog()
records = cat.documents()
if "doc-flash" in st.session_state:
    kind, message = st.session_state.pop("doc-flash")
    (st.success if kind == "success" else st.error)(message)
read, add, manage = st.tabs(["Library", "Add a document", "Replace or remove"])
with read:
    if records:
        library(cat, records)
    else:
        empty_state()
with add:
    add_form(sorted(set(KINDS) | {r.kind for r in records if r.kind}))
with manage:
    if records:
        replace_or_remove(records)
    else:
        st.caption("Nothing to replace or remove yet.")
