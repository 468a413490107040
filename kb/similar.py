"""Starting from any provision: the provisions of other countries that say the most alike.

    source, columns = similar_provisions(kb, "3f9c…", ["ARG", "ZMB", "NLD"])

Similarity is the cosine of the multilingual USE vectors already in the store (the mean of
the provision's chunks), so a Spanish article finds its English and Dutch counterparts and
nothing is embedded. Shared key words are highlighted.
"""

from __future__ import annotations

import csv
import io

import numpy as np
from pydantic import Field

from kb.catalog import Catalog
from kb.compare import MAX_COUNTRIES, ProvisionRef, _pages, _ref
from kb.errors import CtkbError, NotFoundError
from kb.highlight import highlight_spans
from kb.models import Provision, Strict
from kb.ocr_quality import ocr_caveat
from kb.store.base import SearchFilter, StoreQuery

ENCODER = "use"  # multilingual: the comparison crosses languages


class SimilarColumn(Strict):
    """One country's provisions most like the source, best first."""

    country: str
    provisions: list[ProvisionRef] = Field(default_factory=list)


def _top_level(catalog: Catalog, provision_id: str, doc_id: str | None = None,
               cache: dict[str, list[Provision]] | None = None) -> tuple[Provision, set[str]]:
    """The top-level provision holding ``provision_id`` and the ids of everything inside it."""
    if doc_id is None:
        row = catalog._db.execute("SELECT doc_id FROM provisions WHERE id=?", (provision_id,)).fetchone()
        doc_id = row[0] if row else None
    cache = {} if cache is None else cache
    if doc_id is not None and doc_id not in cache:
        cache[doc_id] = catalog.provisions(doc_id)
    provisions = cache.get(doc_id, []) if doc_id else []
    by_id = {p.id: p for p in provisions}
    if provision_id not in by_id:
        error = NotFoundError("provision", provision_id)
        error.hint = "provision ids change when a document is re-indexed; look the provision up again"
        raise error
    top = by_id[provision_id]
    while top.parent_id is not None and top.parent_id in by_id:
        top = by_id[top.parent_id]
    inside = {top.id}
    for p in provisions:  # provisions come parents first, so one pass collects every descendant
        if p.parent_id in inside:
            inside.add(p.id)
    return top, inside


def provision_vector(kb, provision_id: str) -> tuple[Provision, np.ndarray]:
    """The top-level provision and its unit USE vector (mean of its stored chunks).

    Raises:
        NotFoundError: Unknown provision.
        CtkbError: The store has no USE vectors, or none for this provision (say how to fix).
    """
    top, inside = _top_level(kb.catalog, provision_id)
    spec = kb.store.spec()
    if spec is None or ENCODER not in spec.dense:
        raise CtkbError("the store has no multilingual (use) vectors to compare provisions with",
                        hint="index with CTKB_ENCODERS including 'use' (the default is minilm,use)")
    vectors = [p.dense[ENCODER] for p in kb.store.scroll(doc_id=top.doc_id)
               if p.payload.get("provision_id") in inside and ENCODER in p.dense]
    if not vectors:
        raise CtkbError(f"{top.citation} of {top.doc_id} has no vectors in the store",
                        hint="run `ctkb index` to embed the document again")
    mean = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    return top, mean / (np.linalg.norm(mean) or 1.0)


def similar_provisions(kb, provision_id: str, countries: list[str], *, per_country: int = 3
                       ) -> tuple[ProvisionRef, list[SimilarColumn]]:
    """The source provision and, per country asked, its closest top-level provisions.

    Args:
        kb: An open :class:`kb.knowledge.KnowledgeBase`.
        provision_id: Any provision (a subsection is read within its top-level provision).
        countries: One to six country codes; the source's own document is left out.
        per_country: Provisions per country, best first.

    Raises:
        NotFoundError: Unknown provision.
        CtkbError: No country, too many, or ``per_country`` below 1.
    """
    wanted = list(dict.fromkeys(c.strip().upper() for c in countries if c.strip()))
    if not wanted or len(wanted) > MAX_COUNTRIES:
        raise CtkbError(f"{len(wanted)} countries asked", hint=f"pick 1 to {MAX_COUNTRIES} countries")
    if per_country < 1:
        raise CtkbError(f"per_country {per_country} asks for nothing", hint="give 1 or more")
    top, vector = provision_vector(kb, provision_id)
    source_record = kb.catalog.document(top.doc_id)
    source = _ref(source_record, top, focus=True)
    terms = set(kb.sparse.terms(top.text, source_record.language))
    source.highlights = highlight_spans(kb.sparse, top.text, terms, source_record.language)
    columns = []
    cache: dict[str, list[Provision]] = {}
    for country in wanted:
        query = StoreQuery(dense={ENCODER: vector.tolist()}, weights={ENCODER: 1.0},
                           filter=SearchFilter(countries=[country]), limit=per_country * 8,
                           prefetch_limit=max(kb.settings.prefetch_limit, per_country * 8))
        refs: list[ProvisionRef] = []
        seen: set[str] = set()
        for hit in kb.store.query(query):
            p = hit.payload
            if p["doc_id"] == top.doc_id:
                continue
            try:
                other, _ = _top_level(kb.catalog, p["provision_id"], p["doc_id"], cache)
            except NotFoundError:  # the store is ahead of the catalogue: `ctkb check` territory
                continue
            if other.id in seen:
                continue
            seen.add(other.id)
            record = kb.catalog.document(other.doc_id)
            ref = _ref(record, other, similarity=round(float(hit.score), 4))
            ref.highlights = highlight_spans(kb.sparse, other.text, terms, record.language)
            refs.append(ref)
            if len(refs) >= per_country:
                break
        columns.append(SimilarColumn(country=country, provisions=refs))
    return source, columns


SIMILAR_CSV_COLUMNS = ("role", "country", "similarity", "language", "document", "citation", "pages", "heading",
                       "ocr", "text")


def similar_csv(source: ProvisionRef, columns: list[SimilarColumn]) -> str:
    """The comparison as CSV: the source provision first, then each country's rows, best first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SIMILAR_CSV_COLUMNS)

    def row(role: str, ref: ProvisionRef, country: str) -> list[str]:
        similarity = "" if ref.similarity is None else f"{ref.similarity:.4f}"
        return [role, country, similarity, ref.language, ref.title, ref.citation, _pages(ref), ref.heading or "",
                ocr_caveat(ref.ocr_confidence) or "", ref.text]

    writer.writerow(row("source", source, source.country))
    for col in columns:
        if not col.provisions:
            writer.writerow(["match", col.country, "", "", "", "", "", "", "", ""])
        for ref in col.provisions:
            writer.writerow(row("match", ref, col.country))
    return buffer.getvalue()


def drafting_similarity(kb, rubric, criterion: str, examples: list[ProvisionRef],
                        own_evidence: list[str]) -> str:
    """Fill each example's ``similarity`` in place, and say to what it was measured.

    For a partial gap the reference is the gap country's own evidence (how far an example
    is from what the law already says); for an absent one, the rubric's model provisions
    for the criterion (how closely the example drafts the standard).

    Returns:
        What the similarity is measured against, for the label.
    """
    if not examples:
        return ""
    refs = []
    for provision_id in own_evidence:
        try:
            refs.append(provision_vector(kb, provision_id)[1])
        except CtkbError:  # evidence re-indexed away since the run: fall back to the standard
            continue
    against = "this country's provision"
    if not refs:
        from kb.scoring.vectors import TextVectors

        spec = kb.store.spec()
        exemplars = rubric.criterion(criterion).exemplars_for("en")
        if spec is None or ENCODER not in spec.encoders or not exemplars:
            return ""
        vectors = TextVectors(kb.catalog, lambda: kb.encoders, dict(spec.encoders)).get(ENCODER, exemplars, "document")
        refs, against = list(vectors), "the rubric's model provision"
    reference = np.mean(np.asarray(refs, dtype=np.float32), axis=0)
    reference /= np.linalg.norm(reference) or 1.0
    for ex in examples:
        try:
            ex.similarity = round(float(provision_vector(kb, ex.provision_id)[1] @ reference), 4)
        except CtkbError:
            ex.similarity = None
    return against
