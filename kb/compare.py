"""Provisions side by side: how other countries drafted a criterion, one criterion across
countries, and a provision read with its neighbours.

    examples = drafting_examples(catalog, scores, rubric, "PRT-03", exclude_country="XAC")
    columns = compare(catalog, scores, rubric, "PRS-01", ["XAA", "XAB", "XAC"])
    csv_text = compare_csv(columns, "PRS-01 Criminalisation of trafficking")
    around = context(catalog, columns[0].provisions[0].provision_id)

Scores name their evidence by provision id; the text shown is the whole top-level provision
from the catalogue (not the run's snippet), with the criterion's positive cues highlighted.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from pydantic import Field

from kb.catalog import Catalog
from kb.cues import CueMatcher
from kb.errors import CtkbError, NotFoundError
from kb.models import DocumentRecord, Provision, Strict
from kb.ocr_quality import ocr_caveat
from kb.rubric import Rubric
from kb.scoring.country import country_view
from kb.scoring.models import Evidence, Level, Score
from kb.standards import is_standard

MIN_COUNTRIES, MAX_COUNTRIES = 2, 6
CSV_COLUMNS = ("criterion", "country", "level", "confidence", "language", "document", "citation", "pages",
               "heading", "ocr", "text")


class ProvisionRef(Strict):
    """A top-level provision ready to show and cite, with its criterion's cue words located.

    Attributes:
        text: The whole top-level provision as the catalogue holds it (subsections included).
        highlights: ``(start, end)`` offsets in ``text`` of the criterion's positive-cue matches,
            sorted; empty without a criterion or where the rubric has no cues in the language.
        probability: Evidence probability from the score (None when read in context).
        similarity: Cosine to the provision a comparison started from (:mod:`kb.similar`).
        level: Level of the score the evidence comes from (None when read in context).
        focus: Read in context: this is the provision asked for.
        from_snippet: The catalogue no longer holds the provision (its document was re-indexed
            or removed after the run): ``text`` is the run's snippet.
        ocr_confidence: Set when the text is from OCR (mean confidence of its pages): shown
            with :func:`kb.ocr_quality.ocr_caveat` wherever the text is.
    """

    country: str
    doc_id: str
    title: str
    language: str
    provision_id: str
    number: str
    citation: str
    heading: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    text: str
    highlights: list[tuple[int, int]] = Field(default_factory=list)
    probability: float | None = None
    similarity: float | None = None
    level: Level | None = None
    focus: bool = False
    from_snippet: bool = False
    ocr_confidence: float | None = None


class CompareColumn(Strict):
    """One country's column in a comparison: its level for the criterion and the evidence.

    Attributes:
        level: The best across the country's documents (as in the country view).
        language: Language of the document the level comes from.
        documents: Every document of the country that was scored.
        provisions: Evidence of the document the level comes from; empty when absent.
    """

    country: str
    level: Level
    confidence: float
    language: str
    documents: list[str]
    provisions: list[ProvisionRef] = Field(default_factory=list)


# The app asks for examples once per gap; compiling a language's cues takes ~0.2 s, so one
# matcher per rubric object is kept. The rubric is held too, so its id cannot be reused.
_MATCHERS: dict[int, tuple[Rubric, CueMatcher]] = {}
_MATCHERS_KEPT = 4


def _matcher(rubric: Rubric) -> CueMatcher:
    found = _MATCHERS.get(id(rubric))
    if found is None or found[0] is not rubric:
        if len(_MATCHERS) >= _MATCHERS_KEPT:
            _MATCHERS.pop(next(iter(_MATCHERS)))
        found = _MATCHERS[id(rubric)] = (rubric, CueMatcher(rubric))
    return found[1]


def _highlight(refs: list[ProvisionRef], rubric: Rubric, criterion: str) -> None:
    """Fill ``highlights`` in place, matching each language's provisions in one pass."""
    by_language: dict[str, list[ProvisionRef]] = defaultdict(list)
    for ref in refs:
        by_language[ref.language].append(ref)
    matcher = _matcher(rubric)
    for language, group in by_language.items():
        hits = matcher.match([r.text for r in group], [r.heading for r in group], language)
        for ref, hit in zip(group, hits):
            ref.highlights = sorted(set(hit.spans.get(criterion, [])))


def _ref(record: DocumentRecord, p: Provision, *, country: str | None = None, **extra) -> ProvisionRef:
    return ProvisionRef(
        country=country or record.country, doc_id=record.id, title=record.title, language=record.language,
        provision_id=p.id, number=p.number, citation=p.citation, heading=p.heading,
        page_start=p.page_start, page_end=p.page_end, text=p.text, ocr_confidence=p.ocr_confidence, **extra,
    )


def snippet_ocr(record: DocumentRecord | None) -> float | None:
    """The OCR confidence to show with a run's snippet of a provision the catalogue lost.

    The snippet's page is unknown, so only a document read wholly by OCR flags it (with the
    document's mean confidence); a partly scanned one cannot say which snippets are OCR.
    """
    if record is None or not record.ocr_pages or record.ocr_pages < (record.pages or 0):
        return None
    return record.ocr_confidence


def _evidence_refs(catalog: Catalog, items: list[tuple[Score, Evidence]], rubric: Rubric,
                   criterion: str) -> list[ProvisionRef]:
    """The evidence as provisions of the catalogue, in the order given."""
    docs: dict[str, tuple[DocumentRecord, dict[str, Provision]] | None] = {}
    refs = []
    for score, e in items:
        if score.doc_id not in docs:
            record = catalog.find_document(score.doc_id)
            docs[score.doc_id] = None if record is None else (
                record, {p.id: p for p in catalog.provisions(score.doc_id) if p.parent_id is None})
        found = docs[score.doc_id]
        p = found[1].get(e.provision_id) if found else None
        if found is not None and p is not None:
            refs.append(_ref(found[0], p, country=score.country, probability=e.probability, level=score.level))
        else:
            # A run outlives re-indexing (new content, new provision ids): show what it recorded.
            refs.append(ProvisionRef(
                country=score.country, doc_id=score.doc_id, title=found[0].title if found else score.doc_id,
                language=score.language, provision_id=e.provision_id, number=e.number, citation=e.citation,
                heading=e.heading, page_start=e.page_start, page_end=e.page_end, text=e.snippet,
                probability=e.probability, level=score.level, from_snippet=True,
                ocr_confidence=snippet_ocr(found[0] if found else None),
            ))
    _highlight(refs, rubric, criterion)
    return refs


def drafting_examples(catalog: Catalog, scores: list[Score], rubric: Rubric, criterion: str, *,
                      exclude_country: str | None, limit: int = 5) -> list[ProvisionRef]:
    """How other countries drafted a criterion: evidence of their "present" scores.

    National laws only: a standard is no country (a run made before standards were left out
    of scoring holds their scores); its text is quoted apart, as the criterion's legal basis.

    Evidence probability is the similarity measure at hand without embedding anything. Each
    country's best provision (from its best document) comes first, so one country with many
    laws cannot fill the list; then the rest of those documents' evidence; then other
    documents. Within each round: higher probability first, ties by country code.

    Args:
        catalog: The catalogue holding the scored documents.
        scores: Scores of one run.
        rubric: The run's rubric (for the criterion and its cues).
        criterion: Criterion id.
        exclude_country: The country whose gap is shown (its own provisions are no example).
        limit: At most this many provisions.

    Returns:
        Up to ``limit`` provisions; empty when no other country has the criterion present.

    Raises:
        NotFoundError: Unknown criterion (listing the rubric's ids).
        CtkbError: ``limit`` is below 1.
    """
    rubric.criterion(criterion)
    if limit < 1:
        raise CtkbError(f"limit {limit} asks for no example", hint="give a limit of 1 or more")
    excluded = exclude_country.strip().upper() if exclude_country else None
    standards = {d.id for d in catalog.documents() if is_standard(d)}
    by_country: dict[str, list[Score]] = defaultdict(list)
    for s in scores:
        if (s.criterion == criterion and s.level == "present" and s.evidence and s.country != excluded
                and s.doc_id not in standards):
            by_country[s.country].append(s)

    ranked: list[tuple[tuple, Score, Evidence]] = []
    for country, found in by_country.items():
        found.sort(key=lambda s: (-max(e.probability for e in s.evidence), s.doc_id))
        for doc_rank, s in enumerate(found):
            for i, e in enumerate(sorted(s.evidence, key=lambda e: -e.probability)):
                round_ = 2 if doc_rank else 0 if i == 0 else 1
                ranked.append(((round_, -e.probability, country, s.doc_id, e.citation), s, e))
    ranked.sort(key=lambda t: t[0])
    return _evidence_refs(catalog, [(s, e) for _, s, e in ranked[:limit]], rubric, criterion)


def compare(catalog: Catalog, scores: list[Score], rubric: Rubric, criterion: str,
            countries: list[str]) -> list[CompareColumn]:
    """One criterion across two to six countries: a column per country, in the order asked.

    Args:
        catalog: The catalogue holding the scored documents.
        scores: Scores of one run.
        rubric: The run's rubric.
        criterion: Criterion id.
        countries: Two to six distinct country codes.

    Raises:
        NotFoundError: Unknown criterion (listing the rubric's ids).
        CtkbError: Fewer than two, more than six or repeated countries; a country without
            scores for the criterion in ``scores`` (the hint names those with scores).
    """
    c = rubric.criterion(criterion)
    wanted = [x.strip().upper() for x in countries]
    repeated = sorted({x for x in wanted if wanted.count(x) > 1})
    if repeated:
        raise CtkbError(f"country listed twice: {', '.join(repeated)}", hint="pick each country once")
    if not MIN_COUNTRIES <= len(wanted) <= MAX_COUNTRIES:
        raise CtkbError(f"a comparison takes {MIN_COUNTRIES} to {MAX_COUNTRIES} countries, not {len(wanted)}",
                        hint=f"pick between {MIN_COUNTRIES} and {MAX_COUNTRIES} countries")
    mine = [s for s in scores if s.criterion == criterion]
    have = sorted({s.country for s in mine})
    missing = [x for x in wanted if x not in have]
    if missing:
        raise CtkbError(f"no scores of {criterion} for {', '.join(missing)} in this run",
                        hint=f"countries with scores: {', '.join(have) or 'none'}")

    view = country_view([s for s in mine if s.country in wanted], [(c.id, c.pillar, c.title)])
    columns = []
    for country in wanted:
        row = view[country][0]
        best = next((s for s in mine if s.doc_id == row.best_doc_id), None)
        items = [(best, e) for e in row.evidence] if best else []
        columns.append(CompareColumn(
            country=country, level=row.level, confidence=row.confidence, language=row.language,
            documents=row.rests_on, provisions=_evidence_refs(catalog, items, rubric, criterion) if items else [],
        ))
    return columns


def _pages(ref: ProvisionRef) -> str:
    if ref.page_start is None:
        return ""
    end = ref.page_end if ref.page_end is not None else ref.page_start
    return str(ref.page_start) if end == ref.page_start else f"{ref.page_start}-{end}"


def compare_csv(columns: list[CompareColumn], criterion_title: str) -> str:
    """The comparison as CSV: one row per (country, provision), and one for a country without any.

    Args:
        columns: From :func:`compare`.
        criterion_title: Shown in the first column of every row (a title line above the
            header would break spreadsheet imports).

    Returns:
        CSV text (encode as UTF-8 to save it); provision text is quoted whole, line breaks kept.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for col in columns:
        head = [criterion_title, col.country, col.level, f"{col.confidence:.4f}", col.language]
        if not col.provisions:
            writer.writerow([*head, "", "", "", "", "", ""])
        for p in col.provisions:
            writer.writerow([*head, p.title, p.citation, _pages(p), p.heading or "", ocr_caveat(p.ocr_confidence) or "",
                             p.text])
    return buffer.getvalue()


def context(catalog: Catalog, provision_id: str, *, neighbours: int = 1, rubric: Rubric | None = None,
            criterion: str | None = None) -> list[ProvisionRef]:
    """A provision with the top-level provisions before and after it, in document order.

    Args:
        catalog: The catalogue.
        provision_id: A top-level provision, or a subsection (read within its top-level one).
        neighbours: How many provisions to show on each side (fewer at the document's ends).
        rubric: With ``criterion``: highlight that criterion's cues.
        criterion: Criterion id whose cues to highlight.

    Returns:
        The provisions in document order; the one asked for has ``focus`` set.

    Raises:
        NotFoundError: Unknown provision id, or unknown criterion.
        CtkbError: ``neighbours`` is negative, or a criterion is given without a rubric.
    """
    if neighbours < 0:
        raise CtkbError(f"neighbours {neighbours} is negative", hint="give 0 or more")
    if criterion is not None:
        if rubric is None:
            raise CtkbError("highlighting a criterion needs its rubric", hint="pass rubric= with criterion=")
        rubric.criterion(criterion)
    # The catalogue has no lookup by provision id; one indexed query beats reading every document.
    row = catalog._db.execute("SELECT doc_id FROM provisions WHERE id=?", (provision_id,)).fetchone()
    if row is None:
        error = NotFoundError("provision", provision_id)
        error.hint = "provision ids change when a document is re-indexed; look the provision up again"
        raise error
    record = catalog.document(row[0])
    provisions = catalog.provisions(record.id)
    by_id = {p.id: p for p in provisions}
    target = by_id[provision_id]
    while target.parent_id is not None and target.parent_id in by_id:
        target = by_id[target.parent_id]
    tops = [p for p in provisions if p.parent_id is None]
    at = next(i for i, p in enumerate(tops) if p.id == target.id)
    refs = [_ref(record, p, focus=p.id == target.id) for p in tops[max(0, at - neighbours):at + neighbours + 1]]
    if rubric is not None and criterion is not None:
        _highlight(refs, rubric, criterion)
    return refs
