"""Shared helpers of the app's pages: settings, the catalogue, the current run, empty states."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kb.app_data import LEVEL_COLOUR, Board, board, latest_run, library_key, live_scores, ocr_note
from kb.catalog import Catalog
from kb.errors import CtkbError
from kb.rubric import load_rubric
from kb.scoring.runs import RunStore
from kb.settings import Settings
from kb.standard_text import StandardText, criterion_texts


def settings() -> Settings:
    return Settings.from_env()


def catalog() -> Catalog:
    """Opened per script run: SQLite connections must stay in the thread that made them."""
    return Catalog(settings().catalog_path)


def empty_state() -> None:
    st.info("The knowledge base is empty. Add documents on the **Documents** page, or index a corpus with "
            "`ctkb index --manifest FILE` and score it with `ctkb score` (`make demo` does both).")


@st.cache_resource(show_spinner=False)
def _rubric(path: str, mtime: float):
    return load_rubric(path)


@st.cache_data(show_spinner="Reading the run…", max_entries=4)
def _board(catalog_path: str, run_id: str, rubric_path: str, mtime: float, library: str):
    """A run's board and scores, once per run and state of the library (a run never changes
    after it is stored; a removed document drops out)."""
    cat = Catalog(catalog_path)
    try:
        run = RunStore(cat).get(run_id)
        rubric = _rubric(rubric_path, mtime)
        return board(cat, run, rubric), live_scores(cat, run)
    finally:
        cat.close()


def _rubric_path(run) -> Path:
    """The rubric a run was scored with, or the configured one when that file is gone."""
    return Path(run.rubric_path) if Path(run.rubric_path).is_file() else settings().rubric


@st.cache_data(show_spinner=False, max_entries=4)
def _standard_texts(catalog_path: str, rubric_path: str, mtime: float, library: str):
    """Every criterion's standard texts, once per rubric and state of the library (adding or
    removing an instrument changes what resolves)."""
    cat = Catalog(catalog_path)
    try:
        return criterion_texts(cat, _rubric(rubric_path, mtime))
    finally:
        cat.close()


def standard_texts(cat: Catalog, b: Board) -> dict[str, list[StandardText]]:
    """Criterion id -> its legal-basis citations with the standards' text, for ``b``'s rubric."""
    path = _rubric_path(b.run)
    return _standard_texts(str(settings().catalog_path), str(path), path.stat().st_mtime, library_key(cat))


def show_standards(texts: list[StandardText], heading: str | None = None, *, max_chars: int | None = None) -> None:
    """Each citation with the standard's exact text (shown literally), then the citations whose
    instrument is not indexed, alone, with "text not in the knowledge base".

    One Markdown element for the texts and one caption for the rest: a profile shows this for
    every gap, and each element adds to the page's latency. ``max_chars`` cuts long articles
    (the whole text is on the Standards page and in the memo).
    """
    from kb.app_data import escape_markdown

    def cut(text: str) -> str:
        if max_chars is None or len(text) <= max_chars:
            return text
        return text[:max_chars].rsplit(" ", 1)[0] + " … (whole text: Standards page)"

    quoted = [f"**{escape_markdown(t.label)}** — {escape_markdown(t.instrument)}, {escape_markdown(t.citation or '')}"
              f"  \n{escape_markdown(cut(t.text))}" for t in texts if t.resolved]
    if heading or quoted:
        st.markdown("\n\n".join(([f"**{escape_markdown(heading)}**"] if heading else []) + quoted))
    missing = [escape_markdown(t.line) for t in texts if not t.resolved]
    if missing or not texts:
        st.caption("  \n".join(missing) or "The criterion cites no instrument.")


def current_board():
    """(catalogue, rubric, board) of the latest run, or Nones after a message saying what to do."""
    cat = catalog()
    if not cat.documents():
        empty_state()
        return None, None, None
    run = latest_run(cat)
    if run is None:
        st.info("Documents are indexed but not scored yet. Run `ctkb score`, then reload this page.")
        return None, None, None
    path = _rubric_path(run)
    try:
        mtime = path.stat().st_mtime
        rubric = _rubric(str(path), mtime)
        b, _ = _board(str(settings().catalog_path), run.id, str(path), mtime, library_key(cat))
        return cat, rubric, b
    except (CtkbError, OSError) as exc:
        st.error(str(exc))
        return None, None, None


def run_scores(run_id: str):
    """The scores of a run (cached with its board)."""
    cat_path = str(settings().catalog_path)
    cat = catalog()
    run = RunStore(cat).get(run_id)
    path = _rubric_path(run)
    return _board(cat_path, run_id, str(path), path.stat().st_mtime, library_key(cat))[1]


@st.cache_resource(show_spinner=False)
def _store(home: str):
    """The store, leased once per process: open while the app uses it, closed when idle, so
    the CLI can take the embedded store between the app's requests."""
    from kb.lease import LeasedStore
    from kb.store.factory import open_store

    config = settings()
    return LeasedStore(lambda: open_store(config), idle_seconds=config.store_idle_seconds)


@st.cache_resource(show_spinner="Loading the encoders…")
def _encoders(home: str):
    """The dense encoders, once per process (loading them takes seconds)."""
    from kb.embed import make_encoders

    return make_encoders(settings())


def knowledge_base(*, encoders: bool = True):
    """A KnowledgeBase for this script run, lending the process's store (and encoders).

    Args:
        encoders: Load the encoders now. Pages that only read stored vectors say False, so
            they never wait for a model; a rare need (an uncached rubric text) loads one then.
    """
    from kb.knowledge import KnowledgeBase

    home = str(settings().home)
    kb = KnowledgeBase(settings(), store=_store(home), encoders=None)
    try:
        kb.store.spec()  # another process (say `ctkb index`) may hold the embedded store now
    except CtkbError as exc:
        st.error(f"{exc}. Try again when it has finished.")
        st.stop()
    if encoders:
        kb.__dict__["encoders"] = _encoders(home)
    return kb


def show_context(cat: Catalog, provision_id: str, key: str, *, rubric=None, criterion: str | None = None) -> None:
    """A "Read in context" toggle: the provision with its neighbours, then a link to compare it."""
    from kb.app_data import escape_markdown, marked_markdown
    from kb.compare import context

    if not st.toggle("Read in context", key=f"context-{key}"):
        return
    try:
        refs = context(cat, provision_id, neighbours=1, rubric=rubric, criterion=criterion)
    except CtkbError as exc:
        st.error(str(exc))
        return
    for ref in refs:
        pages = f", p. {ref.page_start}" if ref.page_start else ""
        st.markdown(("➤ " if ref.focus else "") + f"**{escape_markdown(ref.citation)}**{pages}")
        st.markdown(marked_markdown(ref.text, ref.highlights))
        ocr_flag(ref.ocr_confidence)
    compare_link(provision_id, key)


def ocr_flag(confidence: float | None) -> None:
    """Under a provision's text: the caveat that it is from OCR, when it is (else nothing)."""
    note = ocr_note(confidence)
    if note is not None:
        st.caption(note)


def compare_link(provision_id: str, key: str) -> None:
    """A link to the Compare page starting from this provision."""
    st.page_link("app_pages/compare.py", label="Compare with other countries", icon="↔",
                 query_params={"provision": provision_id})


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_download(key: str, label: str, build, file_name: str, mime: str) -> None:
    """A "Prepare" button that builds an export on demand (seconds for a memo), then its download.

    Args:
        key: Unique for what is exported (include the run id, so a new run builds anew).
        label: What it is, e.g. "Word gap memo".
        build: Returns the file's bytes or text; may raise CtkbError (shown, nothing offered).
        file_name: The download's name.
        mime: Its media type.
    """
    slot = f"export-{key}"
    if slot not in st.session_state and st.button(f"Prepare {label}", key=f"prepare-{key}"):
        with st.spinner(f"Preparing the {label}…"):
            try:
                st.session_state[slot] = build()
            except CtkbError as exc:
                st.error(str(exc))
    if slot in st.session_state:
        st.download_button(f"Download {label}", st.session_state[slot], file_name=file_name, mime=mime,
                           key=f"download-{key}")


def level_chip(level: str) -> str:
    """A coloured level label (Markdown; the level words are ours, never document text)."""
    colour = {"present": "green", "partial": "orange", "absent": "red"}[level]
    return f":{colour}[**{level}**]"


def cell_style(value: str) -> str:
    for level, mark in (("present", "●"), ("partial", "◐"), ("absent", "○")):
        if value.startswith(mark):
            return f"background-color: {LEVEL_COLOUR[level]}"
    return ""
