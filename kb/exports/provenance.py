"""Where an export comes from: the run, rubric, calibration, models and documents, and when.

Every export carries one :class:`Provenance`: on the memo's last page, in the workbooks'
"About" sheet and as the CSV's leading ``#`` lines, so that a figure in a drafting team's
file can be traced to the run and the exact document bytes it rests on.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import Field

from kb import __version__
from kb.exports.context import ExportContext
from kb.models import Strict
from kb.ocr_quality import OCR_CAVEAT


class DocumentProvenance(Strict):
    """A document an export rests on, with the sha256 of the file that was indexed."""

    id: str
    country: str
    title: str
    year: int | None = None
    kind: str | None = None
    language: str
    sha256: str
    status: str
    indexed_at: str | None = None
    pages: int | None = None
    ocr_pages: int = 0
    ocr_confidence: float | None = None

    @property
    def ocr_summary(self) -> str:
        """``5 of 5 pages from OCR, mean OCR confidence 0.89``; empty when no page is from OCR."""
        if not self.ocr_pages:
            return ""
        confidence = f", mean OCR confidence {self.ocr_confidence:.2f}" if self.ocr_confidence is not None else ""
        return f"{self.ocr_pages} of {self.pages or self.ocr_pages} pages from OCR{confidence}"


class Provenance(Strict):
    """What an export was made from.

    Attributes:
        rubric_checksum: sha256 of the rubric file the run was scored with.
        rubric_file_checksum: sha256 of the rubric file that named the criteria in this export
            (differs from ``rubric_checksum`` only when the rubric was edited since the run;
            ``notes`` then says so).
        calibration_checksum: Checksum of the calibration the run used.
        models: Encoder name -> model id, and the sparse encoder's version, from the run.
        exported_at: UTC time of the export, ISO 8601.
    """

    kind: str
    run_id: str
    run_name: str | None = None
    run_created_at: str
    rubric_name: str
    rubric_version: int
    rubric_path: str
    rubric_checksum: str
    rubric_file_checksum: str
    criteria_checksum: str
    calibration_checksum: str
    models: dict[str, str]
    pipeline_version: str
    scorer_version: str
    documents: list[DocumentProvenance] = Field(default_factory=list)
    exported_at: str
    ctkb_version: str = __version__
    notes: list[str] = Field(default_factory=list)

    @property
    def run_label(self) -> str:
        return self.run_id + (f" ({self.run_name})" if self.run_name else "")

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs, documents last, one per line in every format."""
        rows = [
            ("export", self.kind), ("exported at (UTC)", self.exported_at), ("ctkb version", self.ctkb_version),
            ("run", self.run_label), ("run created at", self.run_created_at),
            ("rubric", f"{self.rubric_name} version {self.rubric_version} ({self.rubric_path})"),
            ("rubric checksum (sha256)", self.rubric_checksum),
            *([("rubric file checksum (sha256)", self.rubric_file_checksum)]
              if self.rubric_file_checksum != self.rubric_checksum else []),
            ("criteria checksum", self.criteria_checksum), ("calibration checksum", self.calibration_checksum),
            *((f"model: {name}", model) for name, model in self.models.items()),
            ("pipeline version", self.pipeline_version), ("scorer version", self.scorer_version),
        ]
        rows += [(f"document: {d.id}", f"sha256 {d.sha256}") for d in self.documents]
        # Separate rows: the document rows' value stays "sha256 …" for whoever parses them.
        rows += [(f"OCR: {d.id}", f"{d.ocr_summary}; {OCR_CAVEAT}")
                 for d in self.documents if d.ocr_pages]
        rows += [("note", note) for note in self.notes]
        return rows


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def build_provenance(ctx: ExportContext, kind: str, doc_ids: list[str], *, exported_at: str | None = None,
                     notes: list[str] | None = None) -> Provenance:
    """The provenance of an export of ``ctx``'s run resting on ``doc_ids`` (in that order).

    Args:
        kind: What the export is, e.g. ``gap memo ZMB``.
        doc_ids: The documents the export's figures come from; ids the catalogue no longer
            holds are listed with an unknown checksum.
        exported_at: ISO time to record (default now, UTC).
        notes: What a reader should know, after the run's own notes.
    """
    run, rubric = ctx.run, ctx.rubric
    documents = []
    for doc_id in dict.fromkeys(doc_ids):
        d = ctx.document(doc_id)
        documents.append(DocumentProvenance(id=doc_id, country="?", title=doc_id, language="?", sha256="unknown",
                                            status="no longer in the knowledge base") if d is None else
                         DocumentProvenance(id=d.id, country=d.country, title=d.title, year=d.year, kind=d.kind,
                                            language=d.language, sha256=d.sha256, status=d.status,
                                            indexed_at=d.indexed_at, pages=d.pages, ocr_pages=d.ocr_pages,
                                            ocr_confidence=d.ocr_confidence))
    extra = list(run.notes) + list(notes or [])
    if ctx.dropped:
        extra.append(f"left out: the run's scores of {', '.join(ctx.dropped)}, no longer indexed in the knowledge base")
    later = [d.id for d in documents if d.indexed_at and d.indexed_at > run.created_at]
    if later:
        extra.append(f"re-indexed after the run (their checksums are of the file indexed now): {', '.join(later)}")
    if rubric.checksum != run.rubric_checksum:
        extra.append(f"the criteria's wording comes from a rubric file (sha256 {rubric.checksum[:16]}…) that differs "
                     f"from the one the run was scored with (sha256 {run.rubric_checksum[:16]}…)")
    return Provenance(
        kind=kind, run_id=run.id, run_name=run.name, run_created_at=run.created_at, rubric_name=rubric.name,
        rubric_version=rubric.version, rubric_path=run.rubric_path, rubric_checksum=run.rubric_checksum,
        rubric_file_checksum=rubric.checksum, criteria_checksum=run.criteria_checksum,
        calibration_checksum=run.calibration_checksum, models=dict(run.models), pipeline_version=run.pipeline_version,
        scorer_version=run.scorer_version, documents=documents, exported_at=exported_at or utc_now(), notes=extra,
    )
