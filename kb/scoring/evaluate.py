"""Evaluation against gold labels: the metrics of the gold README, baselines, and cross-validation.

- **calibrated**: score the gold documents with the saved calibration;
- **cv** (leave one document out): for each gold document, fit a calibration on the
  other documents and score the held-out one, so no document is scored by a model that saw it;
- **run**: the levels stored by an earlier ``ctkb score`` run;
- **baselines**: ``bm25`` (lexical retrieval only: the best BM25 score of a provision for the
  criterion's queries) and ``dense`` (embedding similarity only: the best cosine of a provision
  to the criterion's queries), each addressed above one threshold chosen on the gold file
  itself, evidence = its three best provisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal

import numpy as np

from kb.metrics import Pair, report, summary
from kb.scoring.calibration import Calibration, Example, fit
from kb.scoring.gold import GoldFile
from kb.scoring.models import Score
from kb.scoring.scorer import Scorer, score_pair
from kb.scoring.signals import DocContext

Baseline = Literal["bm25", "dense"]


@dataclass
class GoldSet:
    """The gold documents' signals, computed once and reused by every evaluation."""

    gold: GoldFile
    contexts: dict[str, DocContext] = field(default_factory=dict)
    examples: dict[str, list[Example]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # gold documents not indexed with vectors

    def all_examples(self, skip: str | None = None) -> list[Example]:
        return [e for doc_id, exs in self.examples.items() if doc_id != skip for e in exs]

    def fitted_on(self) -> dict[str, str | int]:
        return {"gold": self.gold.path, "gold_sha256": self.gold.sha256, "documents": len(self.examples),
                "pairs": sum(len(v) for v in self.examples.values())}


def collect(scorer: Scorer, gold: GoldFile, progress: Callable[[str], None] | None = None) -> GoldSet:
    """Signals for every gold document that is indexed with vectors."""
    ready = set(scorer.scorable())
    out = GoldSet(gold=gold)
    for doc in gold.documents:
        if doc.id not in ready:
            out.missing.append(doc.id)
            continue
        ctx = scorer.context(doc.id)
        numbers = [t.number for t in ctx.tops]
        out.contexts[doc.id] = ctx
        out.examples[doc.id] = [
            Example(pair=ctx.pairs[c.id], numbers=numbers, pillar=c.pillar, gold=doc.labels[c.id].level,
                    evidence=doc.labels[c.id].evidence)
            for c in scorer.rubric.criteria if c.id in doc.labels
        ]
        if progress:
            progress(doc.id)
    return out


def _pair(ex: Example, predicted: str, evidence: Iterable[str]) -> Pair:
    return Pair(doc_id=ex.pair.doc_id, criterion=ex.pair.criterion.id, pillar=ex.pillar, language=ex.pair.language,
                gold=ex.gold, predicted=predicted, gold_evidence=tuple(ex.evidence),
                predicted_evidence=tuple(evidence))


def _scored_pairs(examples: list[Example], ctx: DocContext, cal: Calibration) -> list[Pair]:
    out = []
    for ex in examples:
        s = score_pair(ex.pair, ctx, cal)
        out.append(_pair(ex, s.level, [e.number for e in s.evidence]))
    return out


def calibrated_pairs(gs: GoldSet, cal: Calibration) -> list[Pair]:
    return [p for doc_id, exs in gs.examples.items() for p in _scored_pairs(exs, gs.contexts[doc_id], cal)]


def cv_pairs(gs: GoldSet, rubric, progress: Callable[[str], None] | None = None) -> list[Pair]:
    """Leave one document out: calibrate on the others, score the held-out document."""
    out = []
    for doc_id, exs in gs.examples.items():
        cal = fit(gs.all_examples(skip=doc_id), rubric, gs.fitted_on())
        out.extend(_scored_pairs(exs, gs.contexts[doc_id], cal))
        if progress:
            progress(doc_id)
    return out


def run_pairs(gs: GoldSet, scores: list[Score]) -> list[Pair]:
    by_key = {(s.doc_id, s.criterion): s for s in scores}
    out = []
    for exs in gs.examples.values():
        for ex in exs:
            s = by_key.get((ex.pair.doc_id, ex.pair.criterion.id))
            if s is not None:
                out.append(_pair(ex, s.level, [e.number for e in s.evidence]))
    return out


def baseline_pairs(gs: GoldSet, kind: Baseline) -> tuple[list[Pair], float]:
    """A one-signal scorer with its single threshold chosen on the gold file (maximising macro F1)."""
    rows = []
    for doc_id, exs in gs.examples.items():
        tops = gs.contexts[doc_id].tops
        for ex in exs:
            ps = ex.pair.provisions
            value = (lambda p: p.bm25) if kind == "bm25" else (lambda p: p.sim_query)
            ranked = sorted(ps, key=value, reverse=True)[:3]
            best = value(ranked[0]) if ranked else 0.0
            rows.append((ex, best, [tops[p.index].number for p in ranked if value(p) > 0]))
    values = sorted({round(v, 4) for _, v, _ in rows})
    candidates = values if len(values) <= 400 else list(np.quantile(values, np.linspace(0, 1, 401)))

    def at(t: float) -> list[Pair]:
        return [_pair(ex, "present" if v >= t else "absent", ev if v >= t else []) for ex, v, ev in rows]

    threshold = max(candidates, key=lambda t: summary(at(t))["macro_f1"]) if candidates else 0.0
    return at(threshold), float(threshold)


def evaluation_report(pairs: list[Pair], gs: GoldSet, mode: str) -> dict:
    """The JSON object of ``ctkb evaluate --json``."""
    out = report(pairs)
    out["baselines"] = {}
    for kind in ("bm25", "dense"):
        bpairs, threshold = baseline_pairs(gs, kind)  # type: ignore[arg-type]
        out["baselines"][kind] = {**report(bpairs), "threshold": round(threshold, 4)}
    out["mode"] = mode
    out["documents"] = sorted(gs.examples)
    out["missing_documents"] = gs.missing
    out["gold"] = gs.gold.path
    return out
