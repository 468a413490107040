"""Consistency of a knowledge base: the catalogue against the vector store, and itself.

    report = check(settings)           # read-only
    if not report.consistent:
        result = repair(settings)      # fixes what check finds, then checks again

What is checked (each problem is a typed :class:`Finding`):

- the catalogue file passes SQLite's ``quick_check``;
- every indexed document has its text, ``record.provisions`` top-level provisions, and each
  provision's text is exactly its span of the document's text (a document is never half old
  and half new);
- every document whose vectors are recorded (``embedded``) as made by the store's encoders
  has exactly ``record.chunks`` points, each with the deterministic id
  ``point_id(provision_id, chunk)``, a provision of that document, chunks numbered 0..n-1
  per provision, and a text equal to that provision's text at the point's offsets (so a
  point of an earlier version of the document is caught even under the same id);
- an indexed document without vectors from the store's encoders is reported (``ctkb index``
  embeds it);
- no points for documents the catalogue does not hold (orphans) or holds as failed or
  needing OCR;
- every score row belongs to a stored run, and every run holds as many scores as it says.

:func:`repair` deletes orphan points, forgets the vectors of a document whose points do not
match (so ``ctkb index`` re-embeds it), turns a document whose catalogue rows disagree into a
failed record (so ``ctkb index`` re-indexes it), removes score rows without a run and runs
that are incomplete; it then says what to rerun.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Literal

from pydantic import Field

from kb.catalog import Catalog
from kb.models import DocumentRecord, Strict
from kb.settings import Settings
from kb.store.base import CollectionSpec, Store, point_id

FindingKind = Literal[
    "catalogue_integrity",  # SQLite quick_check failed
    "missing_text",  # indexed document without its text row
    "provision_count",  # record.provisions differs from the provisions stored
    "provision_text",  # a provision's text is not its span of the document text
    "not_embedded",  # indexed, but no vectors from the store's encoders recorded
    "point_count",  # embedded, but the store holds another number of points
    "stale_points",  # points of a provision not in the document, or with another text
    "bad_point_id",  # a point id that is not point_id(provision_id, chunk)
    "chunk_gap",  # a provision's chunks are not numbered 0..n-1
    "orphan_points",  # points of a document the catalogue does not hold
    "points_of_unindexed",  # points of a failed or needs-OCR document
    "scores_without_run",  # score rows whose run is not stored
    "run_incomplete",  # a run whose score rows differ from its recorded count
]

Repair = Literal["delete_points", "reembed", "reindex", "delete_scores", "delete_run", "none", "index"]

_REPAIR_FOR: dict[str, Repair] = {
    "catalogue_integrity": "none",
    "missing_text": "reindex",
    "provision_count": "reindex",
    "provision_text": "reindex",
    "not_embedded": "index",
    "point_count": "reembed",
    "stale_points": "reembed",
    "bad_point_id": "reembed",
    "chunk_gap": "reembed",
    "orphan_points": "delete_points",
    "points_of_unindexed": "delete_points",
    "scores_without_run": "delete_scores",
    "run_incomplete": "delete_run",
}

REPAIR_WORDS: dict[str, str] = {
    "delete_points": "delete the points",
    "reembed": "forget the document's vectors so `ctkb index` embeds it again",
    "reindex": "mark the document failed so `ctkb index` indexes it again",
    "delete_scores": "delete the score rows",
    "delete_run": "delete the incomplete run",
    "index": "nothing to delete: run `ctkb index` to embed it",
    "none": "restore a backup (`ctkb restore FILE`) or re-index into a fresh home",
}


class Finding(Strict):
    """One inconsistency, and what ``--repair`` does about it."""

    kind: FindingKind
    doc_id: str | None = None
    run_id: str | None = None
    message: str
    repair: Repair


class CheckReport(Strict):
    """What :func:`check` found. ``consistent`` is true when there are no findings."""

    consistent: bool
    documents: int = Field(description="Documents in the catalogue (any status).")
    indexed: int = Field(description="Documents with status indexed.")
    points: int = Field(description="Points in the vector store.")
    provisions: int = Field(description="Provisions in the catalogue (all levels).")
    runs: int
    scores: int
    fingerprint: str | None = Field(default=None, description="Encoders' fingerprint of the store's collection.")
    findings: list[Finding] = Field(default_factory=list)

    def summary(self) -> str:
        return f"{self.documents} documents, {self.points} points, {self.provisions} provisions"


class RepairReport(Strict):
    """What :func:`repair` did, what to run next, and the check made afterwards."""

    before: CheckReport
    actions: list[str]
    rerun: list[str]
    after: CheckReport


def spec_fingerprint(spec: CollectionSpec) -> str:
    """The ``embedded`` fingerprint that :class:`indexing.vectors.VectorWriter` records for
    vectors made for a collection with ``spec`` (same formula)."""
    import kb.chunking as chunking
    from indexing.vectors import VERSION

    key = spec.model_dump_json() + VERSION + getattr(chunking, "VERSION", "")
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _finding(kind: FindingKind, message: str, *, doc_id: str | None = None, run_id: str | None = None) -> Finding:
    return Finding(kind=kind, doc_id=doc_id, run_id=run_id, message=message, repair=_REPAIR_FOR[kind])


def _check_catalogue(catalog: Catalog, record: DocumentRecord) -> list[Finding]:
    """The document's own rows: text, provision count, provision spans."""
    doc = record.id
    row = catalog._db.execute("SELECT text FROM texts WHERE doc_id=?", (doc,)).fetchone()
    if row is None:
        return [_finding("missing_text", f"{doc}: indexed but its text is not stored", doc_id=doc)]
    text = row[0]
    provisions = catalog.provisions(doc)
    top = sum(1 for p in provisions if p.parent_id is None)
    found: list[Finding] = []
    if top != record.provisions:
        found.append(_finding("provision_count", f"{doc}: the record says {record.provisions} top-level "
                                                 f"provisions, the catalogue holds {top}", doc_id=doc))
    wrong = [p for p in provisions if text[p.start:p.end] != p.text]
    if wrong:
        found.append(_finding("provision_text", f"{doc}: {len(wrong)} provision(s) differ from their span of the "
                                                f"document's text (first: {wrong[0].citation})", doc_id=doc))
    return found


def _check_points(catalog: Catalog, record: DocumentRecord, points: list) -> list[Finding]:
    """An embedded document's points against its provisions."""
    doc = record.id
    found: list[Finding] = []
    if len(points) != record.chunks:
        found.append(_finding("point_count", f"{doc}: {len(points)} point(s) in the store, the catalogue "
                                             f"recorded {record.chunks}", doc_id=doc))
    tops = {p.id: p for p in catalog.provisions(doc) if p.parent_id is None}
    stale, bad_ids = 0, 0
    chunks: dict[str, list[int]] = defaultdict(list)
    for p in points:
        pid, chunk = p.payload.get("provision_id"), p.payload.get("chunk")
        if not isinstance(chunk, int) or pid not in tops:
            stale += 1
            continue
        chunks[pid].append(chunk)
        if p.id != point_id(pid, chunk):
            bad_ids += 1
        prov = tops[pid]
        start, end = p.payload.get("start"), p.payload.get("end")
        if (not isinstance(start, int) or not isinstance(end, int)
                or prov.text[start - prov.start:end - prov.start] != p.payload.get("text")):
            stale += 1
    if stale:
        found.append(_finding("stale_points", f"{doc}: {stale} point(s) belong to no provision of the stored "
                                              f"version or carry another text", doc_id=doc))
    if bad_ids:
        found.append(_finding("bad_point_id", f"{doc}: {bad_ids} point(s) whose id is not derived from "
                                              f"(provision, chunk)", doc_id=doc))
    gaps = [pid for pid, got in chunks.items() if sorted(got) != list(range(len(got)))]
    if gaps:
        found.append(_finding("chunk_gap", f"{doc}: {len(gaps)} provision(s) with missing or repeated chunks "
                                           f"(first: {tops[gaps[0]].citation})", doc_id=doc))
    return found


def _check_runs(catalog: Catalog) -> tuple[int, int, list[Finding]]:
    from kb.scoring.runs import RunStore

    RunStore(catalog)  # creates the run tables if missing
    db = catalog._db
    found: list[Finding] = []
    runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    scores = db.execute("SELECT count(*) FROM scores").fetchone()[0]
    for run_id, n in db.execute(
        "SELECT run_id, count(*) FROM scores WHERE run_id NOT IN (SELECT id FROM runs) GROUP BY run_id"
    ).fetchall():
        found.append(_finding("scores_without_run", f"{n} score row(s) of run {run_id}, which is not stored",
                              run_id=run_id))
    rows = db.execute(
        "SELECT r.id, json_extract(r.data, '$.scores'), (SELECT count(*) FROM scores s WHERE s.run_id = r.id) "
        "FROM runs r"
    ).fetchall()
    for run_id, said, held in rows:
        if said is not None and said != held:
            found.append(_finding("run_incomplete", f"run {run_id} records {said} scores but holds {held}",
                                  run_id=run_id))
    return runs, scores, found


def check_open(catalog: Catalog, store: Store | None) -> CheckReport:
    """:func:`check` on an open catalogue and store (``None``: no vector store yet)."""
    findings: list[Finding] = []
    integrity = catalog._db.execute("PRAGMA quick_check").fetchone()[0]
    if integrity != "ok":
        findings.append(_finding("catalogue_integrity", f"{catalog.path}: SQLite quick_check: {integrity}"))
    records = catalog.documents()
    spec = store.spec() if store is not None else None
    fingerprint = spec_fingerprint(spec) if spec is not None else None
    by_doc: dict[str, list] = defaultdict(list)
    total_points = 0
    if store is not None and spec is not None:
        for p in store.scroll(with_vectors=False):
            by_doc[str(p.payload.get("doc_id"))].append(p)
            total_points += 1
    known = {r.id: r for r in records}
    for record in records:
        doc = record.id
        points = by_doc.get(doc, [])
        if record.status != "indexed":
            if points:
                findings.append(_finding("points_of_unindexed", f"{doc}: {len(points)} point(s) in the store for a "
                                                                f"document with status {record.status}", doc_id=doc))
            continue
        findings += _check_catalogue(catalog, record)
        if record.embedded is None or (fingerprint is not None and record.embedded != fingerprint):
            why = "not embedded yet" if record.embedded is None else "its vectors were made by other encoders"
            findings.append(_finding("not_embedded", f"{doc}: {why}", doc_id=doc))
            continue
        findings += _check_points(catalog, record, points)
    for doc in sorted(set(by_doc) - set(known)):
        findings.append(_finding("orphan_points", f"{doc}: {len(by_doc[doc])} point(s) in the store for a document "
                                                  f"the catalogue does not hold", doc_id=doc))
    runs, scores, run_findings = _check_runs(catalog)
    findings += run_findings
    provisions = catalog._db.execute("SELECT count(*) FROM provisions").fetchone()[0]
    return CheckReport(
        consistent=not findings, documents=len(records), indexed=sum(r.status == "indexed" for r in records),
        points=total_points, provisions=provisions, runs=runs, scores=scores, fingerprint=fingerprint,
        findings=findings,
    )


def _open(settings: Settings) -> tuple[Catalog, Store | None]:
    from kb.store.factory import open_store

    catalog = Catalog(settings.catalog_path)
    if not settings.qdrant_url and not settings.vectors_dir.exists():
        return catalog, None
    try:
        return catalog, open_store(settings)
    except BaseException:
        catalog.close()
        raise


def check(settings: Settings) -> CheckReport:
    """Check the knowledge base in ``settings.home`` (read-only).

    Raises:
        StoreError: The vector store is held by another process or cannot be opened.
        CatalogError: The catalogue file is not a usable ctkb catalogue.
    """
    catalog, store = _open(settings)
    try:
        return check_open(catalog, store)
    finally:
        if store is not None:
            store.close()
        catalog.close()


def _invalidate(catalog: Catalog, record: DocumentRecord, reason: str) -> None:
    """Replace a document whose rows disagree by a failed record: its text, provisions and
    divisions go, and ``ctkb index`` retries failed documents."""
    failed = record.model_copy(update={
        "status": "failed", "provisions": 0, "embedded": None, "chunks": 0,
        "error": f"{reason} (found by `ctkb check`) — run `ctkb index` to index it again",
    })
    catalog.replace_document(failed)


def repair_open(catalog: Catalog, store: Store | None) -> RepairReport:
    """:func:`repair` on an open catalogue and store."""
    before = check_open(catalog, store)
    actions: list[str] = []
    rerun: list[str] = []
    done: set[tuple[str, str | None]] = set()
    for f in before.findings:
        key = (f.repair, f.doc_id or f.run_id)
        if key in done:
            continue
        done.add(key)
        if f.repair == "delete_points" and store is not None and f.doc_id is not None:
            store.delete_document(f.doc_id)
            actions.append(f"deleted the points of {f.doc_id}")
        elif f.repair == "reembed" and f.doc_id is not None and (("reindex", f.doc_id) not in done):
            catalog.set_embedded(f.doc_id, None, 0)
            actions.append(f"forgot the vectors of {f.doc_id} ({f.kind})")
            rerun.append("ctkb index")
        elif f.repair == "reindex" and f.doc_id is not None:
            record = catalog.find_document(f.doc_id)
            if record is not None and record.status == "indexed":
                _invalidate(catalog, record, f.message)
                if store is not None:
                    store.delete_document(f.doc_id)
                actions.append(f"marked {f.doc_id} failed and deleted its points ({f.kind})")
            rerun.append("ctkb index")
        elif f.repair == "delete_scores" and f.run_id is not None:
            with catalog.transaction() as db:
                db.execute("DELETE FROM scores WHERE run_id=?", (f.run_id,))
            actions.append(f"deleted the score rows of missing run {f.run_id}")
        elif f.repair == "delete_run" and f.run_id is not None:
            with catalog.transaction() as db:
                db.execute("DELETE FROM scores WHERE run_id=?", (f.run_id,))
                db.execute("DELETE FROM runs WHERE id=?", (f.run_id,))
            actions.append(f"deleted incomplete run {f.run_id}")
            rerun.append("ctkb score")
        elif f.repair == "index":
            rerun.append("ctkb index")
        elif f.repair == "none":
            rerun.append("ctkb restore FILE")
    after = check_open(catalog, store)
    return RepairReport(before=before, actions=actions, rerun=list(dict.fromkeys(rerun)), after=after)


def repair(settings: Settings) -> RepairReport:
    """Fix what :func:`check` finds in ``settings.home``; see the module docstring."""
    catalog, store = _open(settings)
    try:
        return repair_open(catalog, store)
    finally:
        if store is not None:
            store.close()
        catalog.close()
