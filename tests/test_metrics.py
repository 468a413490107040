"""Scoring metrics against hand-computed values and scikit-learn's implementations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score, f1_score

from kb.metrics import LEVEL_VALUE, Pair, evidence_hit_at_3, kappa_quadratic, report, summary

LEVELS = list(LEVEL_VALUE)


def pair(gold: str, predicted: str, *, gold_ev=(), pred_ev=(), pillar="protection", language="en") -> Pair:
    return Pair("doc", "PRT-01", pillar, language, gold, predicted, tuple(gold_ev), tuple(pred_ev))


def test_perfect_agreement_scores_one_everywhere() -> None:
    pairs = [pair("present", "present", gold_ev=["3"], pred_ev=["3"]), pair("absent", "absent"),
             pair("partial", "partial", gold_ev=["7A"], pred_ev=["1", "7a."])]
    s = summary(pairs)
    assert s["f1_addressed"] == s["macro_f1"] == s["kappa_3"] == s["evidence_hit_at_3"] == 1.0


def test_macro_f1_is_the_mean_of_the_addressed_and_absent_f1() -> None:
    pairs = [pair("present", "present"), pair("present", "absent"), pair("absent", "absent"), pair("absent", "partial")]
    # addressed: tp 1, fp 1, fn 1 -> 0.5; absent: tp 1, fp 1, fn 1 -> 0.5
    assert summary(pairs)["macro_f1"] == pytest.approx(0.5)


def test_evidence_counts_only_the_first_three_and_ignores_case_spaces_and_a_trailing_period() -> None:
    hit = pair("present", "present", gold_ev=["22A"], pred_ev=["1", "2", "22 a."])
    miss = pair("present", "present", gold_ev=["22A"], pred_ev=["1", "2", "3", "22A"])
    no_evidence = pair("partial", "absent")
    assert evidence_hit_at_3([hit, miss, no_evidence]) == 0.5


@given(st.lists(st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), min_size=2, max_size=60))
def test_figures_agree_with_scikit_learn(labels) -> None:
    pairs = [pair(g, p) for g, p in labels]
    gold = [LEVEL_VALUE[g] for g, _ in labels]
    pred = [LEVEL_VALUE[p] for _, p in labels]
    addressed_gold = [v > 0 for v in gold]
    addressed_pred = [v > 0 for v in pred]
    s = summary(pairs)
    assert s["f1_addressed"] == pytest.approx(f1_score(addressed_gold, addressed_pred, zero_division=0))
    assert s["macro_f1"] == pytest.approx(f1_score(addressed_gold, addressed_pred, average="macro", zero_division=0,
                                                   labels=[True, False]))
    if len(set(gold)) > 1 or len(set(pred)) > 1:
        expected = cohen_kappa_score(gold, pred, weights="quadratic", labels=[0, 1, 2])
        if expected == expected:  # not NaN
            assert kappa_quadratic(pairs) == pytest.approx(expected)


def test_the_report_breaks_figures_down_by_pillar_and_language() -> None:
    pairs = [pair("present", "present", pillar="prevention", language="es"), pair("absent", "present")]
    out = report(pairs)
    assert set(out["per_pillar"]) == {"prevention", "protection"}
    assert set(out["per_language"]) == {"en", "es"}
    assert out["per_pillar"]["prevention"]["macro_f1"] == pytest.approx(0.5)
