"""Signals as numbers: the feature vectors the calibrated models read.

Every feature is language-neutral (ranks, shares, cosine on the multilingual encoder,
cue presence), so a model fitted on some languages transfers to others.
"""

from __future__ import annotations

import math

import numpy as np

from kb.scoring.signals import PairSignals, ProvisionSignals

EVIDENCE_FEATURES = (
    "positive_cue", "positive_cues", "heading_cue", "partial_cue", "negative_cue", "sim_query", "sim_exemplar",
    "sim_query_gap", "bm25_share", "hybrid_rank", "duty",
)
LEVEL_FEATURES = (
    "any_positive", "cued_provisions", "distinct_cues", "heading_cue", "any_partial", "partial_only",
    "negative_only", "max_sim_query", "max_sim_exemplar", "max_bm25", "best_evidence", "duty_in_cued",
    "power_only", "penalty_below", "penalty_meets", "cues_in_language",
)


def evidence_matrix(pair: PairSignals, rows: list[ProvisionSignals]) -> np.ndarray:
    """One row per provision in ``rows``: how much it looks like evidence for the criterion."""
    if not rows:
        return np.zeros((0, len(EVIDENCE_FEATURES)))
    best_sim = max(p.sim_query for p in pair.provisions)
    best_bm25 = max(p.bm25 for p in pair.provisions) or 1.0
    out = []
    for p in rows:
        out.append([
            float(bool(p.positive)), min(len(p.positive), 3) / 3, float(bool(p.heading)), float(bool(p.partial)),
            float(bool(p.negative) and not p.positive), p.sim_query, p.sim_exemplar, p.sim_query - best_sim,
            p.bm25 / best_bm25, 0.0 if p.hybrid_rank is None else 1.0 / (1 + p.hybrid_rank), float(p.duty),
        ])
    return np.asarray(out, dtype=np.float64)


def level_vector(pair: PairSignals, evidence_probability: list[float], min_max_years: float | None) -> np.ndarray:
    """One row for the pair: does the document address the criterion, and fully?"""
    ps = pair.provisions
    cued = [p for p in ps if p.cued]
    partial = [p for p in ps if p.partial]
    distinct = set().union(*(p.positive for p in cued)) if cued else set()
    modality_matters = pair.criterion.signals.modality
    duty = any(p.duty for p in cued)
    power_only = modality_matters and bool(cued) and not duty and any(p.power for p in cued)
    below = meets = 0.0
    if min_max_years is not None:
        years = [p.penalty_years for p in (cued or ps) if p.penalty_years is not None]
        if years:
            meets = float(max(years) >= min_max_years)
            below = 1.0 - meets
    return np.asarray([
        float(bool(cued)), math.log1p(len(cued)), math.log1p(len(distinct)), float(any(p.heading for p in ps)),
        float(bool(partial)), float(bool(partial) and not cued),
        float(any(p.negative for p in ps) and not cued),
        max((p.sim_query for p in ps), default=0.0), max((p.sim_exemplar for p in ps), default=0.0),
        math.log1p(max((p.bm25 for p in ps), default=0.0)), max(evidence_probability, default=0.0),
        float(duty), float(power_only), below, meets, float(pair.cues_in_language),
    ], dtype=np.float64)
