"""Scoring metrics exactly as defined in the gold labels' README.

A (document, criterion) pair is *addressed* when its level is present or partial.

- ``f1_addressed``: F1 of the class "addressed" over all labelled pairs.
- ``macro_f1``: mean of the F1 of "addressed" and the F1 of "absent".
- ``kappa_3``: quadratic-weighted Cohen's kappa over absent=0, partial=1, present=2.
- ``evidence_hit_at_3``: over gold pairs that are addressed and have evidence, the share where
  one of the system's first three evidence provisions has a top-level number equal to a listed
  one (case-insensitive, spaces and a trailing period ignored).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from kb.models import norm_number

LEVEL_VALUE = {"absent": 0, "partial": 1, "present": 2}


@dataclass(frozen=True)
class Pair:
    """One judged (document, criterion) pair: the gold label against the system's output."""

    doc_id: str
    criterion: str
    pillar: str
    language: str
    gold: str
    predicted: str
    gold_evidence: tuple[str, ...] = ()
    predicted_evidence: tuple[str, ...] = field(default=())


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _binary_f1(pairs: list[Pair], positive: bool) -> float:
    def addressed(level: str) -> bool:
        return level != "absent"

    tp = sum(1 for p in pairs if addressed(p.gold) == positive and addressed(p.predicted) == positive)
    fp = sum(1 for p in pairs if addressed(p.gold) != positive and addressed(p.predicted) == positive)
    fn = sum(1 for p in pairs if addressed(p.gold) == positive and addressed(p.predicted) != positive)
    return _f1(tp, fp, fn)


def kappa_quadratic(pairs: list[Pair]) -> float:
    """Quadratic-weighted Cohen's kappa over the three levels."""
    n = len(pairs)
    if n == 0:
        return 0.0
    k = 3
    observed = [[0.0] * k for _ in range(k)]
    for p in pairs:
        observed[LEVEL_VALUE[p.gold]][LEVEL_VALUE[p.predicted]] += 1
    rows = [sum(observed[i]) for i in range(k)]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * rows[i] * cols[j] / n
    return 1.0 - num / den if den else 1.0


def evidence_hit_at_3(pairs: list[Pair]) -> float | None:
    """Share of addressed gold pairs with evidence whose top-3 system evidence hits a listed number."""
    eligible = [p for p in pairs if p.gold != "absent" and p.gold_evidence]
    if not eligible:
        return None
    hits = 0
    for p in eligible:
        gold = {norm_number(n) for n in p.gold_evidence}
        if any(norm_number(n) in gold for n in p.predicted_evidence[:3]):
            hits += 1
    return hits / len(eligible)


def summary(pairs: list[Pair]) -> dict[str, float | int | None]:
    """The four figures for a set of pairs."""
    return {
        "f1_addressed": _binary_f1(pairs, True),
        "macro_f1": (_binary_f1(pairs, True) + _binary_f1(pairs, False)) / 2,
        "kappa_3": kappa_quadratic(pairs),
        "evidence_hit_at_3": evidence_hit_at_3(pairs),
        "n": len(pairs),
    }


def report(pairs: Iterable[Pair]) -> dict:
    """Overall figures plus ``per_pillar`` and ``per_language`` breakdowns."""
    pairs = list(pairs)
    by_pillar: dict[str, list[Pair]] = defaultdict(list)
    by_language: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        by_pillar[p.pillar].append(p)
        by_language[p.language].append(p)
    out = summary(pairs)
    out["per_pillar"] = {k: summary(v) for k, v in sorted(by_pillar.items())}
    out["per_language"] = {k: summary(v) for k, v in sorted(by_language.items())}
    return out
