"""The article view: one article (or paragraph) of a standard beside the national provisions
that implement it, country by country — an evidence-backed version of article tagging.

    view = article_view(kb, rubric, "intl-coe-convention-2005", "26", run="scored")
    for column in view.countries:
        print(column.country, [m.citation for m in column.matches])

Per country the matches come in two tiers, nothing embedded at query time:

1. **evidence**: the rubric's criteria whose ``legal_basis`` cites the article
   (:func:`kb.standards.criteria_citing`); for each, the country's level (the best across
   its documents, as :func:`kb.scoring.country.country_view` computes it) and the provisions
   the scoring run cites as evidence in any of its documents — present before partial, then
   by evidence probability;
2. **similarity**: the country's top-level provisions closest to the article by the cosine of
   the stored multilingual vectors (:func:`kb.similar.similar_provisions`), filling the rest.

Chunks are embedded per top-level provision, so a paragraph is compared through its
article's vector; what narrows a paragraph's view is the criteria that cite it.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, computed_field

from kb.app_data import live_scores
from kb.errors import CtkbError, NotFoundError
from kb.models import DocumentRecord, Provision, Strict
from kb.rubric import Rubric
from kb.scoring.country import RANK, country_view
from kb.scoring.models import Level, Run, Score
from kb.scoring.runs import RunStore
from kb.scoring.scorer import snippet  # the scorer's evidence snippets, so both tiers read alike
from kb.similar import similar_provisions
from kb.standards import (
    CitationError,
    Resolver,
    Target,
    criteria_citing,
    instrument_keys,
    is_standard,
    parse_citation,
    standards,
)

DEFAULT_PER_COUNTRY = 3
# Similar provisions fetched per match shown: evidence matches found among them get their
# similarity too, and enough remain to fill a country's column after evidence is removed.
SIMILAR_POOL = 3
BATCH = 6  # kb.similar takes at most this many countries per call


class Coverage(Strict):
    """A criterion citing the article, and the country's level for it in the run."""

    criterion: str
    title: str
    level: Level
    confidence: float
    doc_id: str | None = Field(default=None, description="The document the level comes from (None when absent).")


class AlignMatch(Strict):
    """A national provision matched to the article.

    Attributes:
        source: ``evidence`` (cited by the run for a criterion covering the article) or
            ``similarity`` (close by multilingual embedding only).
        similarity: Cosine to the article (None when not among the country's closest).
        probability: Evidence probability from the run (evidence matches only).
        criterion: The covering criterion the provision is evidence for, and ``level`` that
            criterion's level in the provision's document (the country's own level, the best
            across its documents, is in :attr:`CountryAlignment.coverage`).
        ocr_confidence: Set when the provision's text is from OCR.
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
    snippet: str
    source: Literal["evidence", "similarity"]
    similarity: float | None = None
    probability: float | None = None
    criterion: str | None = None
    level: Level | None = None
    ocr_confidence: float | None = None


class CountryAlignment(Strict):
    """One country's column: its levels for the covering criteria, and its matches best first."""

    country: str
    coverage: list[Coverage] = Field(default_factory=list)
    matches: list[AlignMatch] = Field(default_factory=list)


class CoveringCriterion(Strict):
    id: str
    pillar: str
    title: str
    legal_basis: list[str]


class ArticleView(Strict):
    """An article or paragraph of a standard and, per country, the provisions implementing it."""

    doc_id: str
    title: str
    instrument: str | None = Field(description="The rubric's abbreviation for the standard (PP, CoE), if any.")
    target: str = Field(description="What was asked: '26', '6(3)', '12(1)(a)'.")
    provision_id: str
    citation: str
    heading: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    text: str
    criteria: list[CoveringCriterion] = Field(default_factory=list)
    run_id: str | None = None
    run_name: str | None = None
    countries: list[CountryAlignment] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @computed_field
    @property
    def label(self) -> str:
        """``CoE Art 26``, or the document id when the rubric does not name the standard."""
        return f"{self.instrument or self.doc_id} Art {self.target}"


# ------------------------------------------------------------------ what was asked

_REF = re.compile(r"^\s*(?:art(?:icle)?\.?\s*)?(\d+[a-z]?(?:\([^()\s]+\))*)\s*$", re.I)


def parse_article(article: str, paragraph: str | None = None) -> Target:
    """``6``, ``Art 6(3)(a)`` or ``6`` with paragraph ``3`` as a :class:`~kb.standards.Target`.

    Raises:
        CtkbError: Not an article reference (ranges are not one article).
    """
    m = _REF.match(article or "")
    try:
        if not m:
            raise CitationError(article)
        target = parse_citation(f"X Art {m.group(1)}").targets[0]
    except CitationError:
        raise CtkbError(f"{article!r} is not an article reference", hint="give a number like 26, or 6(3)(a)") from None
    if paragraph:
        extra = re.findall(r"[^()\s]+", paragraph)
        target = Target(target.number, (*target.path, *extra))
    return target


def find_standard(kb, rubric: Rubric, ref: str) -> tuple[str, str | None]:
    """The indexed standard ``ref`` names (a document id, or an instrument key like ``CoE``),
    and the rubric's key for it.

    Raises:
        NotFoundError: No such standard; the options are the indexed standards.
    """
    keys = instrument_keys(Resolver(kb.catalog, rubric))
    found = [d.id for d in standards(kb.catalog)]
    by_key = {k.lower(): d for d, k in keys.items()}
    doc_id = ref if ref in found else by_key.get(ref.strip().lower())
    if doc_id is None:
        raise NotFoundError("standard", ref, found + [f"{k} ({d})" for d, k in keys.items()])
    return doc_id, keys.get(doc_id)


def find_provision(kb, rubric: Rubric, doc_id: str, target: Target) -> Provision:
    """The provision ``target`` names in the standard.

    Raises:
        NotFoundError: No such article (options: its article numbers) or paragraph/point
            (options: the labels found at that level).
    """
    resolver = Resolver(kb.catalog, rubric)
    found = resolver._find(doc_id, Target(target.number))
    if found is None:
        tops = [p.number for p in kb.catalog.provisions(doc_id) if p.parent_id is None]
        error = NotFoundError("article", target.number, tops)
        error.message = f"{doc_id} has no article {target.number!r}"
        raise error
    for depth in range(1, len(target.path) + 1):
        parent, found = found, resolver._find(doc_id, Target(target.number, target.path[:depth]))
        if found is None:
            labels = [re.sub(r"[^0-9A-Za-z]", "", c.label) for c in resolver.article_children(doc_id, parent.id)]
            error = NotFoundError("paragraph", target.path[depth - 1], labels)
            error.message = f"{parent.citation} of {doc_id} has no paragraph or point {target.path[depth - 1]!r}"
            if not labels:
                error.hint = f"{parent.citation} has no numbered paragraphs or points; ask for the whole article"
            raise error
    return found


# ------------------------------------------------------------------ the view

def national_countries(kb) -> list[str]:
    """Countries with an indexed, embedded document that is not a standard."""
    return sorted({d.country for d in kb.catalog.documents()
                   if d.status == "indexed" and d.embedded and not is_standard(d)})


def _run(kb, run: str | None) -> Run | None:
    """The run asked for; ``latest`` with no run at all means similarity only."""
    store = RunStore(kb.catalog)
    if run is None or (run == "latest" and not store.runs()):
        return None
    return store.get(run)


def article_view(kb, rubric: Rubric, standard: str, article: str, *, paragraph: str | None = None,
                 countries: list[str] | None = None, per_country: int = DEFAULT_PER_COUNTRY,
                 run: str | None = "latest") -> ArticleView:
    """An article (or paragraph, or point) of a standard beside each country's provisions.

    Args:
        kb: An open :class:`kb.knowledge.KnowledgeBase`.
        rubric: Names the instruments and the criteria that cite articles.
        standard: The standard's document id, or its instrument key (``CoE``).
        article: ``26``, ``6(3)(a)``; ``paragraph`` adds levels (``3``, ``3(a)``).
        countries: ISO3 codes; default every country with national documents.
        per_country: Matches per country, best first.
        run: Scoring run for the evidence tier (id, name, ``latest``); None for similarity only.

    Raises:
        NotFoundError: Unknown standard, article, paragraph, country or run (each lists options).
        CtkbError: ``per_country`` below 1; the store has no multilingual vectors.
    """
    if per_country < 1:
        raise CtkbError(f"per_country {per_country} asks for nothing", hint="give 1 or more")
    doc_id, key = find_standard(kb, rubric, standard)
    target = parse_article(article, paragraph)
    provision = find_provision(kb, rubric, doc_id, target)
    # A paragraph has no heading of its own: show its article's.
    heading = provision.heading or (find_provision(kb, rubric, doc_id, Target(target.number)).heading
                                    if target.path else None)
    known = national_countries(kb)
    wanted = list(dict.fromkeys(c.strip().upper() for c in countries or [] if c.strip())) or known
    for code in wanted:
        if code not in known:
            raise NotFoundError("country code", code, known)
    record = kb.catalog.document(doc_id)
    criteria = criteria_citing(rubric, key, target.number, target.path) if key else []
    stored = _run(kb, run)
    view = ArticleView(
        doc_id=doc_id, title=record.title, instrument=key, target=target.label, provision_id=provision.id,
        citation=provision.citation, heading=heading, page_start=provision.page_start,
        page_end=provision.page_end, text=provision.text, run_id=stored.id if stored else None,
        run_name=stored.name if stored else None,
        criteria=[CoveringCriterion(id=c.id, pillar=c.pillar, title=c.title, legal_basis=list(c.legal_basis))
                  for c in criteria])
    if not criteria:
        view.notes.append("no criterion of the rubric cites this article: matches are by similarity only")
    if stored is None:
        view.notes.append("no scoring run: matches are by similarity only (`ctkb score` adds evidence and levels)")
    scores = live_scores(kb.catalog, stored) if stored is not None and criteria else []
    titles = {c.id: c.title for c in criteria}
    levels = country_view(scores, [(c.id, c.pillar, c.title) for c in criteria]) if scores else {}
    addressed: dict[str, list[Score]] = {}
    for s in scores:
        if s.level != "absent" and s.criterion in titles:
            addressed.setdefault(s.country, []).append(s)
    similar = _similar(kb, provision.id, wanted, per_country * SIMILAR_POOL)
    provisions = _ProvisionCache(kb.catalog)
    for code in wanted:
        column = CountryAlignment(country=code)
        for row in levels.get(code, []):
            column.coverage.append(Coverage(criterion=row.criterion, title=titles[row.criterion], level=row.level,
                                            confidence=row.confidence, doc_id=row.best_doc_id))
        column.matches = _matches(code, addressed.get(code, []), similar.get(code, []), provisions, per_country)
        view.countries.append(column)
    return view


def _similar(kb, provision_id: str, countries: list[str], limit: int) -> dict:
    out = {}
    for i in range(0, len(countries), BATCH):
        _, columns = similar_provisions(kb, provision_id, countries[i:i + BATCH], per_country=limit)
        out.update((c.country, c.provisions) for c in columns)
    return out


class _ProvisionCache:
    """Top-level provisions and document records, read once per document."""

    def __init__(self, catalog) -> None:
        self.catalog = catalog
        self._docs: dict[str, tuple[DocumentRecord, dict[str, Provision]] | None] = {}

    def get(self, doc_id: str, provision_id: str) -> tuple[DocumentRecord | None, Provision | None]:
        """The document and its top-level provision (None for what the catalogue no longer holds)."""
        if doc_id not in self._docs:
            record = self.catalog.find_document(doc_id)
            self._docs[doc_id] = None if record is None else (
                record, {p.id: p for p in self.catalog.provisions(doc_id) if p.parent_id is None})
        found = self._docs[doc_id]
        return (found[0], found[1].get(provision_id)) if found else (None, None)


def _matches(country: str, addressed: list[Score], similar, provisions: _ProvisionCache,
             limit: int) -> list[AlignMatch]:
    """Evidence for covering criteria first (present before partial, then by probability),
    then the closest provisions by similarity, each provision once.

    Evidence comes from every document of the country that addresses a covering criterion,
    not only the one its level comes from: a framework spread over several laws implements
    an article in each of them.
    """
    cosine = {ref.provision_id: ref.similarity for ref in similar}
    ranked = sorted(((RANK[row.level], e.probability, row, e) for row in addressed for e in row.evidence),
                    key=lambda t: (-t[0], -t[1]))
    out: dict[str, AlignMatch] = {}
    for _, prob, row, e in ranked:
        if e.provision_id in out:
            continue
        record, p = provisions.get(e.doc_id, e.provision_id)
        out[e.provision_id] = AlignMatch(
            country=country, doc_id=e.doc_id, title=record.title if record else e.doc_id,
            language=record.language if record else row.language, provision_id=e.provision_id,
            number=e.number, citation=e.citation, heading=e.heading, page_start=e.page_start,
            page_end=e.page_end, snippet=e.snippet, source="evidence", similarity=cosine.get(e.provision_id),
            probability=prob, criterion=row.criterion, level=row.level,
            ocr_confidence=p.ocr_confidence if p is not None else None)
    for ref in similar:
        if len(out) >= limit:
            break
        if ref.provision_id in out:
            continue
        _, p = provisions.get(ref.doc_id, ref.provision_id)
        out[ref.provision_id] = AlignMatch(
            country=country, doc_id=ref.doc_id, title=ref.title, language=ref.language,
            provision_id=ref.provision_id, number=ref.number, citation=ref.citation, heading=ref.heading,
            page_start=ref.page_start, page_end=ref.page_end, snippet=snippet(ref.text, ref.highlights),
            source="similarity", similarity=ref.similarity,
            ocr_confidence=p.ocr_confidence if p is not None else None)
    return list(out.values())[:limit]
