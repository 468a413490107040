"""The scorer: signals + calibration -> a level per criterion, with evidence and reasons.

    scorer = Scorer(kb, rubric, calibration)
    scores = scorer.score_document("xaa-tip-act-2021")  # any indexed document id

Reasons are written for an advisor: which cue was found where, whether the wording is a
duty or only a power, what the maximum penalty is, how close the closest provision is to
the rubric's model provision.
"""

from __future__ import annotations

import re

from kb.errors import CtkbError
from kb.rubric import Rubric
from kb.scoring.calibration import Calibration, evidence_probabilities
from kb.scoring.features import level_vector
from kb.scoring.models import Evidence, Score
from kb.scoring.signals import DocContext, PairSignals, ProvisionSignals, SignalExtractor
from kb.scoring.vectors import TextVectors
from kb.standards import is_standard

SNIPPET_CHARS = 320
MAX_EVIDENCE = 3
EVIDENCE_FLOOR = 0.2  # evidence shown only if at least this share of the best one's probability


def snippet(text: str, spans: list[tuple[int, int]]) -> str:
    """A few lines of ``text`` around its first matched span (or its start)."""
    if spans:
        a, b = min(spans)
        start = max(0, a - SNIPPET_CHARS // 3)
        piece = text[start:start + SNIPPET_CHARS]
        prefix = "…" if start else ""
    else:
        piece, prefix = text[:SNIPPET_CHARS], ""
    piece = re.sub(r"\s+", " ", piece).strip()
    return prefix + piece + ("…" if len(text) > SNIPPET_CHARS else "")


def _quote(ids: set[str], limit: int = 2) -> str:
    return ", ".join(f"'{i}'" for i in sorted(ids)[:limit])


def provision_reasons(p: ProvisionSignals, min_years: float | None, modality_matters: bool) -> list[str]:
    """What this provision shows, in words."""
    out = []
    if p.heading:
        out.append(f"its heading names the measure ({_quote(p.heading)})")
    body = p.positive - p.heading
    if body:
        out.append(f"wording that establishes the measure: {_quote(body)}")
    if p.partial:
        out.append(f"narrower wording: {_quote(p.partial)}")
    if p.negative and not p.positive:
        out.append(f"mentions the topic without establishing it: {_quote(p.negative)}")
    if modality_matters and p.positive:
        if p.duty:
            out.append("imposes a duty ('shall')")
        elif p.power:
            out.append("grants only a power ('may')")
    if min_years is not None and p.penalty_years is not None:
        years = "life" if p.penalty_years >= 99 else f"{p.penalty_years:g} years"
        verdict = "meets" if p.penalty_years >= min_years else "is below"
        out.append(f"maximum imprisonment {years}, which {verdict} the {min_years:g} years the standard asks")
    if p.hybrid_rank is not None and p.hybrid_rank < 3:
        out.append(f"among the top {p.hybrid_rank + 1} search results for the criterion")
    out.append(f"similarity to the criterion {p.sim_query:.2f}, to the model provision {p.sim_exemplar:.2f}")
    return out


def pair_reasons(pair: PairSignals, ctx: DocContext, level: str) -> list[str]:
    """Why the pair got its level, citing provisions."""
    c = pair.criterion
    tops = ctx.tops
    cued = [p for p in pair.provisions if p.cued]
    out = []
    if cued:
        cites = ", ".join(tops[p.index].citation for p in cued[:4]) + (" …" if len(cued) > 4 else "")
        out.append(f"wording that establishes the measure found in {len(cued)} provision(s): {cites}")
    else:
        out.append("no wording that establishes the measure was found")
    partial = [p for p in pair.provisions if p.partial]
    if partial:
        out.append(f"narrower wording in {tops[partial[0].index].citation} ({_quote(partial[0].partial)})")
    if c.signals.modality and cued:
        if any(p.duty for p in cued):
            out.append("worded as a duty ('shall')")
        elif any(p.power for p in cued):
            out.append("worded only as a power ('may'): the standard reads this as partial")
    pen = c.signals.penalty
    if pen is not None:
        years = [(p.penalty_years, tops[p.index].citation) for p in (cued or pair.provisions)
                 if p.penalty_years is not None]
        if years:
            top, where = max(years)
            shown = "life" if top >= 99 else f"{top:g} years"
            verdict = "meets" if top >= pen.min_max_years else "is below"
            out.append(f"maximum imprisonment {shown} ({where}) {verdict} the {pen.min_max_years:g} years asked")
    best = max(pair.provisions, key=lambda p: p.sim_query, default=None)
    if best is not None:
        out.append(f"closest provision to the criterion: {tops[best.index].citation} "
                   f"(similarity {best.sim_query:.2f})")
    if not pair.cues_in_language:
        out.append(f"the rubric has no cue wording in '{pair.language}': this level rests on similarity alone "
                   f"and is less certain")
    if level == "absent":
        out.append("not found in this document; other laws of the country may still provide it")
    return out


class Scorer:
    """Scores documents of a knowledge base against a rubric with a calibration.

    Args:
        kb: The knowledge base (catalogue, store, encoders opened on demand).
        rubric: The loaded rubric.
        calibration: The fitted models; ``None`` allows computing signals only (for calibrating).
    """

    def __init__(self, kb, rubric: Rubric, calibration: Calibration | None = None) -> None:
        self.kb = kb
        self.rubric = rubric
        self.calibration = calibration
        spec = kb.store.spec()
        if spec is None:
            raise CtkbError(f"no vectors in {kb.settings.home}: nothing to score",
                            hint="index documents first: `ctkb index --manifest MANIFEST`")
        names = sorted(spec.dense)
        self.vectors = TextVectors(kb.catalog, lambda: kb.encoders, {n: spec.encoders.get(n, n) for n in names})
        self.extractor = SignalExtractor(kb.store, self.vectors, kb.sparse, names, rubric,
                                         prefetch_limit=kb.settings.prefetch_limit)

    def scorable(self) -> list[str]:
        """Ids of the national documents with provisions and vectors.

        Standards (international instruments, model laws) are what the rubric measures
        against, not a country's law: they are indexed and searchable but never scored.
        """
        return [d.id for d in self.kb.catalog.documents()
                if d.status == "indexed" and d.embedded and not is_standard(d)]

    def context(self, doc_id: str) -> DocContext:
        record = self.kb.catalog.document(doc_id)
        if not record.embedded:
            raise CtkbError(f"{doc_id}: its provisions have no vectors yet",
                            hint="run `ctkb index` without --no-embed, then score again")
        return self.extractor.document(record, self.kb.catalog.provisions(doc_id))

    def score_document(self, doc_id: str) -> list[Score]:
        return self.score_context(self.context(doc_id))

    def score_context(self, ctx: DocContext, calibration: Calibration | None = None) -> list[Score]:
        cal = calibration or self.calibration
        if cal is None:
            raise CtkbError("no calibration loaded", hint="run `ctkb calibrate --gold GOLD.yaml` first")
        return [score_pair(pair, ctx, cal) for pair in ctx.pairs.values()]


def score_pair(pair: PairSignals, ctx: DocContext, cal: Calibration) -> Score:
    """The level, confidence, evidence and reasons of one (document, criterion) pair."""
    c = pair.criterion
    indexes, probs = evidence_probabilities(cal.evidence, pair)
    pen = c.signals.penalty
    x = level_vector(pair, probs, pen.min_max_years if pen else None)[None, :]
    p_addressed = float(cal.addressed.probability(x)[0])
    p_present = float(cal.present.probability(x)[0])
    level, confidence = cal.level(p_addressed, p_present)
    ranked = sorted(zip(indexes, probs), key=lambda t: -t[1])[:MAX_EVIDENCE] if level != "absent" else []
    # Far weaker candidates are noise to a reader; on the dev gold dropping them costs no hits.
    ranked = [(i, p) for i, p in ranked if p >= EVIDENCE_FLOOR * ranked[0][1]]
    by_index = {p.index: p for p in pair.provisions}
    evidence = []
    for i, prob in ranked:
        top, sig = ctx.tops[i], by_index[i]
        evidence.append(Evidence(
            provision_id=top.id, doc_id=ctx.record.id, number=top.number, citation=top.citation,
            heading=top.heading, page_start=top.page_start, page_end=top.page_end,
            snippet=snippet(top.text, sig.spans), probability=round(prob, 4),
            reasons=provision_reasons(sig, pen.min_max_years if pen else None, c.signals.modality),
        ))
    return Score(
        doc_id=ctx.record.id, country=ctx.record.country, language=pair.language, criterion=c.id, pillar=c.pillar,
        level=level, confidence=round(confidence, 4), p_addressed=round(p_addressed, 4), evidence=evidence,
        reasons=pair_reasons(pair, ctx, level), cues_in_language=pair.cues_in_language,
    )
