"""Adding, replacing and removing one document, as the app's Documents page does.

    result = add_document(kb, data, "ley.pdf", UploadMeta(country="ARG", title="Ley 26.364"),
                          progress=lambda share, step: ...)
    remove_document(kb, "arg-ley-26364")

A scanned PDF (pages without a text layer) is accepted: those pages are read by OCR while it
is indexed, and ``progress`` hears of each (``OCR page 3 of 5``), as a scan takes seconds a page.

An upload is checked before anything is written: size, type (from the bytes, not the file
name), metadata. The file is kept under ``HOME/uploads`` named by its SHA-256, so a user's
file name never becomes a path. It is then indexed like any document (a failure is recorded
with its reason, as in a batch) and the knowledge base is scored again, so the new document
appears in every view.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Callable

from pydantic import Field

from kb.errors import CtkbError, NotFoundError
from kb.models import DocumentMeta, Format, Strict

Progress = Callable[[float, str], None]
SUFFIX = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "md": ".md", "txt": ".txt"}
_MD_HEADING = re.compile(r"^#{1,6} \S", re.M)  # numbered lists ("1. Short title") are in every law: not a sign
_HTML = re.compile(rb"^\s*(<!doctype html|<html|<\?xml[^>]*>\s*<html)", re.I)


class UploadError(CtkbError):
    """An upload refused before anything was written."""

    def __init__(self, name: str, message: str, hint: str) -> None:
        super().__init__(f"{name}: {message}", hint=hint)
        self.name = name


class UploadMeta(Strict):
    """What the uploader says about the document (the form on the Documents page)."""

    country: str = Field(description="ISO 3166-1 alpha-3 code, or INTL for an international instrument.")
    title: str = Field(min_length=1)
    id: str | None = Field(default=None, description="Document id; default: country + title, slugged.")
    year: int | None = None
    kind: str | None = None
    language: str | None = Field(default=None, description="ISO 639-1; default: detected from the text.")
    jurisdiction: str | None = None
    region: str | None = Field(default=None, description="Overrides the continent in the overview's filter.")


@dataclass
class AddResult:
    """What happened to an upload: its indexing outcome and the run that scored it."""

    doc_id: str
    status: str
    message: str = ""
    provisions: int = 0
    run_id: str | None = None
    scoring_failed: list[tuple[str, str]] = field(default_factory=list)
    ocr_pages: int = 0
    ocr_confidence: float | None = None


def detect_format(data: bytes, name: str) -> Format:
    """The document type from its bytes: PDF, DOCX, HTML, Markdown or plain text.

    Raises:
        UploadError: Empty, binary or an unsupported kind (the supported ones are listed).
    """
    supported = "PDF, DOCX, HTML, Markdown or plain text (UTF-8)"
    if not data.strip():
        raise UploadError(name, "is empty", hint="check you chose the right file")
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        raise UploadError(name, "is a ZIP archive but not a Word document", hint=f"upload {supported}")
    if b"\x00" in data[:8192]:
        raise UploadError(name, "is a binary file, not a document ctkb can read", hint=f"upload {supported}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UploadError(name, f"is not valid UTF-8 text (line {line}, byte {data[exc.start]:#04x})",
                          hint="re-save it as UTF-8, or upload the PDF or Word original") from None
    if _HTML.match(data[:1024]) or re.search(r"<body[\s>]", text[:20000], re.I):
        return "html"
    if len(_MD_HEADING.findall(text[:20000])) >= 2 or name.lower().endswith((".md", ".markdown")):
        return "md"
    return "txt"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "doc"


def store_upload(home: Path, data: bytes, fmt: Format) -> Path:
    """Keep the bytes under ``home/uploads/<sha256>.<ext>`` (written whole, then renamed)."""
    folder = home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(data).hexdigest() + SUFFIX[fmt])
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def check_upload(kb, data: bytes, name: str, meta: UploadMeta, *, replace: str | None = None
                 ) -> tuple[DocumentMeta, Format]:
    """Validate an upload without writing anything.

    Returns:
        The document's metadata (id settled) and its detected format.

    Raises:
        UploadError: Too large, unreadable type, bad metadata, or an id already in use
            (unless replacing that document).
    """
    limit = kb.settings.max_upload_mb
    if len(data) > limit * 1024 * 1024:
        raise UploadError(name, f"is {len(data) / 1024 / 1024:.1f} MB, over the {limit:g} MB limit",
                          hint="split the document, or raise CTKB_MAX_UPLOAD_MB")
    fmt = detect_format(data, name)
    doc_id = replace or meta.id or f"{meta.country.strip().lower()}-{_slug(meta.title)}"
    if replace is not None and kb.catalog.find_document(replace) is None:
        raise NotFoundError("document", replace, [d.id for d in kb.catalog.documents()])
    if replace is None and kb.catalog.find_document(doc_id) is not None:
        raise UploadError(name, f"the id {doc_id!r} is already in the library",
                          hint="choose another id, or replace that document instead")
    extra = {"region": meta.region} if meta.region else {}
    try:
        doc = DocumentMeta(id=doc_id, path=name, country=meta.country, title=meta.title, year=meta.year,
                           kind=meta.kind or None, language=meta.language or None, format=fmt,
                           jurisdiction=meta.jurisdiction or None, **extra)
    except Exception as exc:  # pydantic's message names the field
        errors = getattr(exc, "errors", lambda: [])()
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors) or str(exc)
        raise UploadError(name, f"metadata refused ({detail})", hint="correct the form and upload again") from None
    return doc, fmt


def add_document(kb, data: bytes, name: str, meta: UploadMeta, *, replace: str | None = None,
                 rubric: Path | None = None, progress: Progress | None = None) -> AddResult:
    """Check, store, index and embed an upload, then score the knowledge base again.

    Args:
        kb: An open :class:`kb.knowledge.KnowledgeBase` (its store is written).
        data: The file's bytes.
        name: The file name as uploaded (shown in messages only).
        meta: The metadata form.
        replace: Id of a document this upload replaces (same id, new text).
        rubric: Rubric to score with (default: the settings' rubric).
        progress: Called with (share done 0..1, step); while a scan's pages are read by OCR,
            once per page with the step ``OCR page k of N``.

    Returns:
        The outcome; a document that cannot be read is recorded as failed with its reason
        (and appears so in the library), and nothing is scored.
    """
    from indexing.manifest import Entry
    from indexing.pipeline import Indexer
    from kb.scoring.service import score_run

    report = progress or (lambda share, step: None)
    doc, _ = check_upload(kb, data, name, meta, replace=replace)
    path = store_upload(kb.settings.home, data, doc.format)
    doc = doc.model_copy(update={"path": str(path)})
    report(0.05, f"Reading and segmenting {name}")
    inferred = {} if meta.language else {"language": "detected"}
    indexer = Indexer(kb.catalog, kb.vector_writer(), force=True, ocr=kb.settings.ocr)
    bar = [0.05]

    def page_read(entry: Entry, done: int, total: int) -> None:
        # OCR is most of the time a scan takes to index: it fills the bar up to the scoring. A
        # scan read again in its detected language counts its pages anew; the bar never goes back.
        bar[0] = max(bar[0], 0.05 + 0.4 * done / max(total, 1))
        report(bar[0], f"OCR page {done} of {total}")

    indexer.on_page = page_read
    outcome = indexer.index_one(Entry(meta=doc, file=path, inferred=inferred))
    result = AddResult(doc.id, outcome.status, outcome.message, outcome.provisions)
    record = kb.catalog.find_document(doc.id)
    if record is not None and record.ocr_pages:
        result.ocr_pages, result.ocr_confidence = record.ocr_pages, record.ocr_confidence
    if outcome.status != "indexed":
        report(1.0, "Not indexed")
        return result
    report(0.5, "Scoring the knowledge base")

    def scored(done: int, total: int, doc_id: str) -> None:
        report(0.5 + 0.5 * done / total, f"Scored {done}/{total} documents ({doc_id})")

    run, _, failed = score_run(kb, rubric or kb.settings.rubric, progress=scored)
    result.run_id, result.scoring_failed = run.id, failed
    report(1.0, "Done")
    return result


def remove_document(kb, doc_id: str) -> None:
    """Remove a document: its catalogue entry, provisions and vectors.

    Earlier runs keep their scores (history); the views read only documents still in the
    library. An uploaded file stays under ``uploads/`` (named by content) for the record.

    Raises:
        NotFoundError: No such document (listing some that exist).
    """
    if kb.catalog.find_document(doc_id) is None:
        raise NotFoundError("document", doc_id, [d.id for d in kb.catalog.documents()])
    # Unmark the vectors, delete them, then the row: a crash in between leaves a row that
    # `ctkb index` re-embeds, never vectors that no catalogue row lists.
    kb.catalog.set_embedded(doc_id, None, 0)
    if kb.store.spec() is not None:
        kb.store.delete_document(doc_id)
    kb.catalog.remove_document(doc_id)
