"""The calibrated models that turn signals into levels, fitted by ``ctkb calibrate``.

Three logistic regressions (scikit-learn), saved as plain JSON next to the rubric
(``rubrics/4p.calibration.json`` for ``rubrics/4p.yaml``), never fitted at scoring time:

- **evidence**: is this provision evidence for the criterion? (ranks the evidence);
- **addressed**: does the document address the criterion at all (present or partial)?
- **present**: given it is addressed, is it fully present?

Two thresholds, chosen on the gold labels the models were fitted on, cut the probabilities
into levels. A calibration records the checksum of the rubric's criterion ids; scoring with
a rubric whose criteria differ is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from pydantic import Field, ValidationError

from kb.errors import CtkbError
from kb.metrics import Pair, kappa_quadratic, summary
from kb.models import Strict, norm_number
from kb.rubric import Rubric
from kb.scoring.features import EVIDENCE_FEATURES, LEVEL_FEATURES, evidence_matrix, level_vector
from kb.scoring.models import SCORER_VERSION
from kb.scoring.signals import PairSignals

FORMAT = "ctkb-calibration@1"


class CalibrationError(CtkbError):
    """A calibration file that cannot be used with this rubric."""


class LinearModel(Strict):
    """Standardised logistic regression: p = sigmoid(((x - mean) / scale) . coef + intercept)."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        if x.size == 0:
            return np.zeros(len(x))
        z = ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def weights(self) -> dict[str, float]:
        """Feature -> coefficient (standardised), for the methodology page and `ctkb calibrate`."""
        return dict(zip(self.features, self.coef))


class Calibration(Strict):
    format: str = FORMAT
    scorer_version: str = SCORER_VERSION
    rubric_name: str
    criteria_checksum: str
    rubric_checksum: str
    created_at: str
    fitted_on: dict[str, str | int] = Field(description="Gold file, its sha256, documents and pairs used.")
    evidence: LinearModel
    addressed: LinearModel
    present: LinearModel
    threshold_addressed: float = Field(gt=0, lt=1)
    threshold_present: float = Field(gt=0, lt=1)
    training_fit: dict[str, float | int | None] = Field(default_factory=dict, description="In-sample figures.")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    def check(self, rubric: Rubric, path: str | Path) -> None:
        """Refuse a rubric whose criteria are not the ones this calibration was fitted for."""
        if self.criteria_checksum != rubric.criteria_checksum:
            raise CalibrationError(
                f"{path}: fitted for rubric {self.rubric_name!r} with other criteria "
                f"(checksum {self.criteria_checksum}, the rubric's is {rubric.criteria_checksum})",
                hint="recalibrate: `ctkb calibrate --gold GOLD.yaml --rubric RUBRIC.yaml`",
            )
        if self.scorer_version != SCORER_VERSION:
            raise CalibrationError(f"{path}: made by {self.scorer_version}, this ctkb scores with {SCORER_VERSION}",
                                   hint="recalibrate: `ctkb calibrate --gold GOLD.yaml`")

    def level(self, p_addressed: float, p_present: float) -> tuple[str, float]:
        """The level and its confidence (the model's probability of that level)."""
        if p_addressed < self.threshold_addressed:
            return "absent", 1.0 - p_addressed
        if p_present >= self.threshold_present:
            return "present", p_addressed * p_present
        return "partial", p_addressed * (1.0 - p_present)


def calibration_path(rubric_path: str | Path) -> Path:
    """``rubrics/4p.yaml`` -> ``rubrics/4p.calibration.json``."""
    p = Path(rubric_path)
    return p.with_name(p.stem + ".calibration.json")


def load_calibration(rubric: Rubric, rubric_path: str | Path, path: str | Path | None = None) -> Calibration:
    path = Path(path) if path else calibration_path(rubric_path)
    if not path.exists():
        raise CalibrationError(f"{path}: no calibration for rubric {rubric_path}",
                               hint=f"fit one first: `ctkb calibrate --gold GOLD.yaml --rubric {rubric_path}`")
    try:
        cal = Calibration.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = " -> ".join(str(x) for x in err["loc"])
        raise CalibrationError(f"{path}: [{where}] {err['msg']}",
                               hint="recalibrate: `ctkb calibrate --gold GOLD.yaml`") from None
    cal.check(rubric, path)
    return cal


def save_calibration(cal: Calibration, path: str | Path) -> None:
    """Write atomically: a crash never leaves a half-written calibration."""
    path = Path(path)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(cal.model_dump(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


@dataclass
class Example:
    """A gold-labelled pair with its signals; ``numbers`` are the document's top-level numbers."""

    pair: PairSignals
    numbers: list[str]
    pillar: str
    gold: str
    evidence: list[str]

    def is_evidence(self, index: int) -> bool:
        return norm_number(self.numbers[index]) in {norm_number(n) for n in self.evidence}


def _fit(x: np.ndarray, y: np.ndarray, features: tuple[str, ...], name: str) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        raise CalibrationError(f"cannot fit the {name} model: the gold labels have only one class",
                               hint="calibrate on a gold file with both positive and negative examples")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale < 1e-9, 1.0, scale)
    model = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
    return LinearModel(features=list(features), mean=mean.tolist(), scale=scale.tolist(),
                       coef=model.coef_[0].tolist(), intercept=float(model.intercept_[0]))


def evidence_probabilities(model: LinearModel, pair: PairSignals) -> tuple[list[int], list[float]]:
    """Candidate provision indexes and their evidence probabilities."""
    candidates = pair.candidates()
    probs = model.probability(evidence_matrix(pair, candidates))
    return [p.index for p in candidates], probs.tolist()


def level_matrix(model: LinearModel, examples: list[Example]) -> np.ndarray:
    rows = []
    for ex in examples:
        _, probs = evidence_probabilities(model, ex.pair)
        rows.append(level_vector(ex.pair, probs, _min_years(ex.pair)))
    return np.asarray(rows)


def _min_years(pair: PairSignals) -> float | None:
    pen = pair.criterion.signals.penalty
    return pen.min_max_years if pen else None


def _pairs(examples: list[Example], predicted: list[str]) -> list[Pair]:
    return [Pair(doc_id=e.pair.doc_id, criterion=e.pair.criterion.id, pillar=e.pillar, language=e.pair.language,
                 gold=e.gold, predicted=p) for e, p in zip(examples, predicted)]


def fit(examples: list[Example], rubric: Rubric, fitted_on: dict[str, str | int]) -> Calibration:
    """Fit the three models and the two thresholds on gold-labelled examples."""
    if not examples:
        raise CalibrationError("no labelled pairs to calibrate on",
                               hint="check that the gold file's documents are indexed (`ctkb docs`)")
    ex_rows, ex_y = [], []
    for ex in examples:
        if ex.gold == "absent" or not ex.evidence:
            continue
        cands = ex.pair.candidates()
        ex_rows.append(evidence_matrix(ex.pair, cands))
        ex_y.extend(ex.is_evidence(p.index) for p in cands)
    evidence = _fit(np.vstack(ex_rows) if ex_rows else np.zeros((0, len(EVIDENCE_FEATURES))),
                    np.asarray(ex_y, dtype=int), EVIDENCE_FEATURES, "evidence")
    x = level_matrix(evidence, examples)
    addressed_y = np.asarray([ex.gold != "absent" for ex in examples], dtype=int)
    addressed = _fit(x, addressed_y, LEVEL_FEATURES, "addressed")
    mask = addressed_y == 1
    present = _fit(x[mask], np.asarray([ex.gold == "present" for ex in examples], dtype=int)[mask], LEVEL_FEATURES,
                   "present")
    pa, pp = addressed.probability(x), present.probability(x)
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)

    def macro(t: float) -> float:
        return summary(_pairs(examples, ["present" if a >= t else "absent" for a in pa]))["macro_f1"]

    t_a = float(max(grid, key=lambda t: (macro(t), -abs(t - 0.5))))

    def kappa(t: float) -> float:
        levels = ["absent" if a < t_a else "present" if p >= t else "partial" for a, p in zip(pa, pp)]
        return kappa_quadratic(_pairs(examples, levels))

    t_p = float(max(grid, key=lambda t: (kappa(t), -abs(t - 0.5))))
    cal = Calibration(
        rubric_name=rubric.name, criteria_checksum=rubric.criteria_checksum, rubric_checksum=rubric.checksum,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), fitted_on=fitted_on,
        evidence=evidence, addressed=addressed, present=present, threshold_addressed=t_a, threshold_present=t_p,
    )
    levels = [cal.level(a, p)[0] for a, p in zip(pa, pp)]
    fit_pairs = _pairs(examples, levels)
    cal.training_fit = {k: v for k, v in summary(fit_pairs).items()}
    return cal


__all__ = ["Calibration", "CalibrationError", "Example", "calibration_path", "evidence_probabilities", "fit",
           "load_calibration", "save_calibration"]
