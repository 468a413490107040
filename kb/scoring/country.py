"""A country's level per criterion: the best across its documents, and coverage per pillar.

A country's framework is spread over several laws, so a measure present in any one of them
is present for the country. The view keeps the document the level comes from and every
document it rests on, and ``absent`` keeps its caveat: not found is not proof of absence.
"""

from __future__ import annotations

from collections import defaultdict

from kb.errors import CtkbError
from kb.scoring.models import LEVELS, CountryScore, Score

RANK = {level: i for i, level in enumerate(LEVELS)}  # absent < partial < present
COVERAGE = {"absent": 0.0, "partial": 0.5, "present": 1.0}


def _best(scores: list[Score]) -> Score:
    """The highest level, ties broken by higher confidence, then by the first given."""
    return max(scores, key=lambda s: (RANK[s.level], s.confidence))


def country_view(scores: list[Score], rubric_criteria: list[tuple[str, str, str]]) -> dict[str, list[CountryScore]]:
    """Each country's level per criterion, the best across its scored documents.

    Args:
        scores: Scores of one run, any number of countries and documents.
        rubric_criteria: ``(id, pillar, title)`` of the rubric's criteria, in the order to show
            them. Criteria with no score for a country are left out rather than shown as
            absent (they were not scored); scores for criteria not listed are ignored.

    Returns:
        Country code -> its criteria in rubric order, countries sorted.
    """
    docs: dict[str, dict[str, None]] = defaultdict(dict)  # country -> doc ids, first-seen order
    by_pair: dict[tuple[str, str], list[Score]] = defaultdict(list)
    for s in scores:
        docs[s.country][s.doc_id] = None
        by_pair[(s.country, s.criterion)].append(s)

    view: dict[str, list[CountryScore]] = {}
    for country in sorted(docs):
        rests_on = list(docs[country])
        rows = []
        for criterion, pillar, title in rubric_criteria:
            found = by_pair.get((country, criterion))
            if not found:
                continue
            best = _best(found)
            absent = best.level == "absent"
            rows.append(
                CountryScore(
                    country=country,
                    criterion=criterion,
                    pillar=pillar,
                    title=title,
                    level=best.level,
                    # Absent everywhere: the best is the most confident "not found".
                    confidence=best.confidence,
                    language=best.language,
                    cues_in_language=best.cues_in_language,
                    best_doc_id=None if absent else best.doc_id,
                    evidence=[] if absent else list(best.evidence),
                    rests_on=rests_on,
                )
            )
        view[country] = rows
    return view


def pillar_summary(country_scores: list[CountryScore], weights: dict[str, float]) -> dict[str, float]:
    """Weighted coverage per pillar in [0, 1]: present counts 1, partial 0.5, absent 0.

    Args:
        country_scores: One country's criteria (from :func:`country_view`).
        weights: Criterion id -> weight; a criterion not listed weighs 1 (the rubric default).

    Returns:
        Pillar -> coverage, pillars in the order they first appear.

    Raises:
        CtkbError: A weight is not positive.
    """
    got: dict[str, float] = defaultdict(float)
    total: dict[str, float] = defaultdict(float)
    for cs in country_scores:
        weight = weights.get(cs.criterion, 1.0)
        if weight <= 0:
            raise CtkbError(f"criterion {cs.criterion}: weight {weight} is not positive", hint="weights must be > 0")
        got[cs.pillar] += weight * COVERAGE[cs.level]
        total[cs.pillar] += weight
    # min() guards against float sums landing a hair above 1.
    return {pillar: min(1.0, got[pillar] / total[pillar]) for pillar in total}


def without_standards(scores: list[Score], catalog) -> list[Score]:
    """The scores of national documents only.

    Standards are never scored now, but a run made before they were left out holds their
    scores (as country ``INTL``); no country view shows those.
    """
    from kb.standards import is_standard

    standard = {d.id for d in catalog.documents() if is_standard(d)}
    return [s for s in scores if s.doc_id not in standard]


def not_a_country(catalog, code: str) -> CtkbError | None:
    """The error to raise when ``code`` holds standards only (``INTL``), else None."""
    from kb.standards import is_standard

    docs = [d for d in catalog.documents() if d.country == code.strip().upper()]
    if not docs or not all(is_standard(d) for d in docs):
        return None
    return CtkbError(
        f"{code.strip().upper()} is not a country: its {len(docs)} document(s) are standards (international "
        f"instruments or model laws: {', '.join(d.id for d in docs)}), which are never scored",
        hint="list them with `ctkb standards`; `ctkb align --standard DOC_ID --article N` shows how each country "
             "implements an article")
