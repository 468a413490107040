"""Calibration files, gold files and the rubric-text vector cache: pure logic, real SQLite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st

from kb.catalog import Catalog
from kb.rubric import load_rubric
from kb.scoring.calibration import (
    Calibration,
    CalibrationError,
    LinearModel,
    calibration_path,
    load_calibration,
    save_calibration,
)
from kb.scoring.gold import GoldError, load_gold
from kb.scoring.vectors import TextVectors

RUBRIC = REPO / "rubrics" / "4p.yaml"


def _model(n: int) -> LinearModel:
    return LinearModel(features=[f"f{i}" for i in range(n)], mean=[0.0] * n, scale=[1.0] * n, coef=[1.0] * n,
                       intercept=0.0)


def _calibration(criteria_checksum: str) -> Calibration:
    return Calibration(rubric_name="4p", criteria_checksum=criteria_checksum, rubric_checksum="x",
                       created_at="2026-11-29T00:00:00+00:00", fitted_on={"gold": "g"}, evidence=_model(2),
                       addressed=_model(2), present=_model(2), threshold_addressed=0.5, threshold_present=0.6)


@given(st.floats(0, 1), st.floats(0, 1))
def test_a_level_and_its_confidence_follow_the_two_thresholds(p_addressed: float, p_present: float) -> None:
    level, confidence = _calibration("c").level(p_addressed, p_present)
    assert 0.0 <= confidence <= 1.0
    if p_addressed < 0.5:
        assert level == "absent" and confidence == pytest.approx(1 - p_addressed)
    else:
        assert level == ("present" if p_present >= 0.6 else "partial")


def test_the_committed_calibration_matches_the_committed_rubric() -> None:
    rubric = load_rubric(RUBRIC)
    cal = load_calibration(rubric, RUBRIC)
    assert cal.criteria_checksum == rubric.criteria_checksum
    assert cal.fitted_on["documents"] >= 10


def test_a_calibration_for_other_criteria_is_refused_with_advice_to_recalibrate(tmp_path: Path) -> None:
    rubric = load_rubric(RUBRIC)
    path = tmp_path / "4p.calibration.json"
    save_calibration(_calibration("0123456789abcdef"), path)
    with pytest.raises(CalibrationError, match="other criteria") as info:
        load_calibration(rubric, RUBRIC, path)
    assert "ctkb calibrate" in info.value.hint


def test_a_missing_calibration_says_how_to_fit_one(tmp_path: Path) -> None:
    rubric = load_rubric(RUBRIC)
    with pytest.raises(CalibrationError, match="no calibration") as info:
        load_calibration(rubric, tmp_path / "mine.yaml")
    assert "ctkb calibrate --gold" in info.value.hint
    assert calibration_path("rubrics/mine.yaml") == Path("rubrics/mine.calibration.json")


def test_a_linear_model_is_a_standardised_logistic_regression() -> None:
    model = LinearModel(features=["a", "b"], mean=[1.0, 0.0], scale=[2.0, 1.0], coef=[1.0, -1.0], intercept=0.5)
    x = np.array([[3.0, 1.0], [1.0, 0.0]])
    expected = 1 / (1 + np.exp(-np.array([1.0 - 1.0 + 0.5, 0.5])))
    assert model.probability(x) == pytest.approx(expected)


def test_a_gold_file_with_a_bad_level_is_rejected_naming_the_place(tmp_path: Path) -> None:
    path = tmp_path / "gold.yaml"
    path.write_text("rubric_version: 1\ndocuments:\n- id: d1\n  labels:\n    PRV-01: {level: maybe}\n")
    with pytest.raises(GoldError, match=r"\[documents -> 0 -> labels -> PRV-01 -> level\]"):
        load_gold(path)


def test_gold_evidence_numbers_are_read_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "gold.yaml"
    path.write_text("rubric_version: 1\ndocuments:\n- id: d1\n  labels:\n    PRV-01: {level: present, evidence: [45, 7A]}\n")
    assert load_gold(path).documents[0].labels["PRV-01"].evidence == ["45", "7A"]


class CountingEncoder:
    """Deterministic stand-in: the cache logic is under test, not the model."""

    name = "use"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.extend(texts)
        return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        self.calls.append(text)
        return np.array([len(text), 0.0, 1.0], dtype=np.float32)


def test_rubric_texts_are_embedded_once_and_then_read_from_the_catalogue(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    catalog = Catalog(tmp_path / "catalog.sqlite")
    first = TextVectors(catalog, lambda: [encoder], {"use": "use@1"})
    a = first.get("use", ["plan of action", "strategy"], "query")
    assert first.embedded == 2 and np.linalg.norm(a, axis=1) == pytest.approx([1.0, 1.0])
    again = TextVectors(Catalog(tmp_path / "catalog.sqlite"), lambda: pytest.fail("no model needed"),
                        {"use": "use@1"})
    assert np.allclose(again.get("use", ["strategy", "plan of action"], "query"), a[::-1])
    assert again.embedded == 0
    other_model = TextVectors(catalog, lambda: [encoder], {"use": "use@2"})
    other_model.get("use", ["strategy"], "query")
    assert other_model.embedded == 1 and encoder.calls == ["plan of action", "strategy", "strategy"]
