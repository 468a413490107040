"""Index documents: extract -> clean -> segment -> enrich -> catalogue, one document at a time.

A document that fails is recorded with its reason and the batch goes on. An
unchanged document (same bytes, same pipeline version) is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal

from indexing import clean as clean_stage
from indexing import enrich as enrich_stage
from indexing import extract as extract_stage
from indexing import segment as segment_stage
from indexing.infer import country_from_path
from indexing.isolate import Budget, Request, WorkerInternalError, shared_worker
from indexing.manifest import SUFFIX_FORMAT, Entry, discover
from indexing.ocr import OCR_MODES, OcrMode, OcrOptions, OcrUnavailableError
from kb.catalog import Catalog
from kb.errors import CtkbError, DocumentError, ManifestError, NeedsOcrError
from kb.ids import sha256_file
from kb.models import DocumentMeta, DocumentRecord
from kb.store.base import StoreError

if TYPE_CHECKING:
    from indexing.vectors import VectorWriter

UNKNOWN_COUNTRY = "XXX"  # ISO 3166 user-assigned code, "unspecified"


def pipeline_version() -> str:
    """The versions of every stage; a change in any re-indexes every document."""
    return "+".join(m.VERSION for m in (extract_stage, clean_stage, segment_stage, enrich_stage))


@dataclass
class Outcome:
    """What happened to one document."""

    doc_id: str
    path: str
    status: Literal["indexed", "skipped", "failed", "needs_ocr"]
    provisions: int = 0
    pages: int | None = None
    language: str | None = None
    message: str = ""
    inferred: dict[str, str] = field(default_factory=dict)


@dataclass
class IndexReport:
    outcomes: list[Outcome] = field(default_factory=list)
    manifest_errors: list[ManifestError] = field(default_factory=list)

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.manifest_errors and all(o.status in ("indexed", "skipped") for o in self.outcomes)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "doc"


def entries_from_paths(paths: list[Path]) -> list[Entry]:
    """Entries for files given without a manifest: id from the file name, country from
    an ISO3 folder name; title and language are inferred after extraction."""
    entries: list[Entry] = []
    used: set[str] = set()
    for file in discover(paths):
        file = file.resolve()
        country = country_from_path(file)
        doc_id = _slug(file.stem)
        if country and country != "INTL":
            doc_id = f"{country.lower()}-{doc_id}"
        while doc_id in used:
            doc_id += "-" + sha256_file(file)[:6]
        used.add(doc_id)
        inferred = {"country": country or f"{UNKNOWN_COUNTRY} (no ISO3 folder name; use a manifest)"}
        meta = DocumentMeta(id=doc_id, path=str(file), country=country or UNKNOWN_COUNTRY, title=file.stem)
        entries.append(Entry(meta=meta, file=file, inferred=inferred))
    return entries


class Indexer:
    """Runs the stages over entries and writes each document to the catalogue, then its
    vectors to the store.

    Args:
        catalog: Where documents and provisions go.
        vectors: Embeds provisions into the vector store; None indexes provisions only.
        force: Re-index even unchanged documents.
        budget: Time and memory one document may take from extraction to enrichment (run in
            a worker process, see :mod:`indexing.isolate`); default from the settings
            (``CTKB_DOC_TIMEOUT``, ``CTKB_DOC_MEMORY_MB``).
        ocr: Which PDF pages are OCR'd: ``auto`` (those without a usable text layer),
            ``always`` or ``never``; default from the settings (``CTKB_OCR``).
        ocr_cache: Where OCR'd pages are cached; default ``ocr-cache`` beside the catalogue.
    """

    def __init__(self, catalog: Catalog, vectors: VectorWriter | None = None, *, force: bool = False,
                 budget: Budget | None = None, ocr: OcrMode | None = None, ocr_cache: Path | None = None) -> None:
        from kb.settings import Settings

        self.catalog = catalog
        self.vectors = vectors
        self.force = force
        self.version = pipeline_version()
        self.budget = budget or Budget.from_env()
        settings = Settings.from_env()
        self.ocr = ocr or settings.ocr
        self.ocr_max_pages = settings.ocr_max_pages
        if self.ocr not in OCR_MODES:
            raise CtkbError(f"unknown OCR mode {self.ocr!r}", hint=f"use one of: {', '.join(OCR_MODES)}")
        self.ocr_cache = ocr_cache or catalog.path.parent / "ocr-cache"
        self.on_page: Callable[[Entry, int, int], None] | None = None  # after each OCR'd page
        self._worker = shared_worker(self.budget)

    def run(self, entries: list[Entry], on_progress: Callable[[int, int, Entry], None] | None = None,
            on_page: Callable[[Entry, int, int], None] | None = None) -> IndexReport:
        """Index every entry in order.

        Args:
            entries: The documents.
            on_progress: Called before each document with (done, total, entry).
            on_page: Called after each OCR'd page with (entry, pages done, pages to OCR).
        """
        if on_page is not None:
            self.on_page = on_page
        report = IndexReport()
        for done, entry in enumerate(entries):
            if on_progress:
                on_progress(done, len(entries), entry)
            report.outcomes.append(self.index_one(entry))
        return report

    def index_one(self, entry: Entry) -> Outcome:
        """Index one document; never raises for a problem with the document itself."""
        meta = entry.meta
        try:
            sha = sha256_file(entry.file)
        except OSError as exc:
            return Outcome(meta.id, str(entry.file), "failed", message=f"{entry.file}: cannot read ({exc.strerror})")
        known = self.catalog.find_document(meta.id)
        if (
            not self.force and known is not None and known.sha256 == sha
            and known.pipeline_version == self.version and known.status != "failed"
            and not self._ocr_stale(known)
        ):
            if known.status == "indexed" and self.vectors is not None and known.embedded != self.vectors.fingerprint:
                self._embed(known, self.catalog.provisions(known.id))  # text unchanged: no re-segmentation
                return Outcome(meta.id, str(entry.file), "indexed", known.provisions, known.pages, known.language,
                               message="re-embedded (encoders changed or vectors missing)", inferred=known.inferred)
            return Outcome(meta.id, str(entry.file), "skipped", known.provisions, known.pages, known.language,
                           message="unchanged", inferred=known.inferred)
        try:
            return self._index(entry, sha)
        except StoreError:
            raise  # the store is unusable for every document: stop the batch with its message
        except DocumentError as exc:
            status = "needs_ocr" if isinstance(exc, (NeedsOcrError, OcrUnavailableError)) else "failed"
            pages = exc.page_count if isinstance(exc, NeedsOcrError) else None
            self._record_failure(entry, sha, status, str(exc), pages)
            return Outcome(meta.id, str(entry.file), status, pages=pages, message=str(exc))
        except CtkbError as exc:
            self._record_failure(entry, sha, "failed", f"{entry.file}: {exc}", None)
            return Outcome(meta.id, str(entry.file), "failed", message=f"{entry.file}: {exc}")
        except Exception as exc:  # noqa: BLE001 - one bad document must not stop the batch
            what = str(exc) if isinstance(exc, WorkerInternalError) else f"{type(exc).__name__}: {exc}"
            message = f"{entry.file}: internal error {what} — please report it with this file"
            self._record_failure(entry, sha, "failed", message, None)
            return Outcome(meta.id, str(entry.file), "failed", message=message)

    def _index(self, entry: Entry, sha: str) -> Outcome:
        meta = entry.meta
        inferred = dict(entry.inferred)
        # Extraction through enrichment, within the per-document time and memory budget.
        ocr = OcrOptions(mode=self.ocr, language=meta.language or None, cache_dir=str(self.ocr_cache),
                         max_pages=self.ocr_max_pages)
        on_page = None if self.on_page is None else lambda done, total: self.on_page(entry, done, total)
        done = self._worker.run(Request(str(entry.file), meta.format, meta.id, sha, meta.language or None,
                                        infer_title="country" in inferred, ocr=ocr), on_page)
        clean, seg = done.clean, done.seg
        title = meta.title
        if "country" in inferred:  # no manifest: the title given is only the file name
            title = done.title or title
            inferred["title"] = title
        language = meta.language
        if not language:
            language = done.language
            inferred["language"] = language
        record = DocumentRecord(
            id=meta.id, path=str(entry.file), country=meta.country, title=title, jurisdiction=meta.jurisdiction,
            year=meta.year, kind=meta.kind, language=language, format=done.format, sha256=sha,
            pipeline_version=self.version, status="indexed", pages=done.page_count,
            provisions=len(seg.top_level), meta=meta.extra, inferred=inferred,
            ocr_pages=done.ocr_pages, ocr_confidence=done.ocr_confidence,
            ocr_mode=self.ocr if done.format == "pdf" else None,
        )
        message = done.note
        if done.ocr_pages:
            message = (message + "; " if message else "") + (
                f"text of {done.ocr_pages} page(s) from OCR, mean confidence {done.ocr_confidence:.2f}"
                + (f", {done.ocr_cached} from the OCR cache" if done.ocr_cached else ""))
        if meta.sha256 and meta.sha256 != sha:
            message = (message + "; " if message else "") + (
                f"warning: sha256 differs from the manifest ({meta.sha256[:12]}… given, {sha[:12]}… found)")
        prior = self.catalog.find_document(meta.id)
        reuse = self.vectors is not None and prior is not None and prior.embedded == self.vectors.fingerprint
        self.catalog.replace_document(record, clean, seg)
        self._embed(record, seg.provisions, reuse=reuse)
        if reuse and self.vectors.reused:
            message = (message + "; " if message else "") + (
                f"vectors of {self.vectors.reused} unchanged chunk(s) kept")
        return Outcome(meta.id, str(entry.file), "indexed", record.provisions, record.pages, language,
                       message=message, inferred=inferred)

    def _ocr_stale(self, known: DocumentRecord) -> bool:
        """Whether the OCR mode asked for would read this unchanged PDF differently."""
        if known.format != "pdf":
            return False
        if known.status == "needs_ocr":
            return self.ocr != "never"
        was = known.ocr_mode or "auto"  # records from before OCR: text layers only, as auto reads them
        if was == self.ocr:
            return False
        return "always" in (was, self.ocr) or known.ocr_pages > 0

    def _record_failure(self, entry: Entry, sha: str, status: str, message: str, pages: int | None) -> None:
        meta = entry.meta
        fmt = meta.format or SUFFIX_FORMAT.get(entry.file.suffix.lower(), "txt")
        record = DocumentRecord(
            id=meta.id, path=str(entry.file), country=meta.country, title=meta.title, jurisdiction=meta.jurisdiction,
            year=meta.year, kind=meta.kind, language=meta.language or "xx", format=fmt, sha256=sha,
            pipeline_version=self.version, status=status, error=message, pages=pages, meta=meta.extra,
            inferred=entry.inferred,
        )
        self.catalog.replace_document(record)
        if self.vectors is not None:
            self.vectors.ensure()
            self.vectors.store.delete_document(meta.id)  # no stale points of an earlier version

    def _embed(self, record: DocumentRecord, provisions: list, *, reuse: bool = False) -> None:
        """Vectors after the catalogue; the fingerprint last, so a crash in between is redone.
        With ``reuse``, unchanged chunks keep the vectors stored for them by these encoders."""
        if self.vectors is None:
            return
        chunks = self.vectors.write(record, provisions, reuse=reuse)
        self.catalog.set_embedded(record.id, self.vectors.fingerprint, chunks)
