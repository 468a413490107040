"""Scoring as the CLI and the app use it: score and store a run, calibrate, evaluate.

    kb = KnowledgeBase.open(settings)
    run, scores = score_run(kb, "rubrics/4p.yaml", name="baseline")
    report = evaluate(kb, "rubrics/4p.yaml", "gold/dev.yaml", cv=True)
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from kb.errors import CtkbError
from kb.rubric import Rubric, load_rubric
from kb.scoring import evaluate as ev
from kb.scoring.calibration import (
    Calibration,
    calibration_path,
    fit,
    load_calibration,
    save_calibration,
)
from kb.scoring.gold import load_gold
from kb.scoring.models import Run, Score
from kb.scoring.runs import RunStore, new_run_id
from kb.scoring.scorer import Scorer
from kb.standards import is_standard

Progress = Callable[[int, int, str], None]


def _pipeline_version(kb) -> str:
    versions = sorted({d.pipeline_version for d in kb.catalog.documents()})
    return ",".join(versions) or "none"


def _models(kb) -> dict[str, str]:
    spec = kb.store.spec()
    return dict(spec.encoders) if spec else {}


def score_run(kb, rubric_path: str | Path, *, name: str | None = None, calibration: str | Path | None = None,
              doc_ids: list[str] | None = None, progress: Progress | None = None
              ) -> tuple[Run, list[Score], list[tuple[str, str]]]:
    """Score every scorable document (or ``doc_ids``) and store the run in the catalogue.

    Returns:
        The stored run, its scores, and (doc id, message) for documents that could not be
        scored (one bad document never stops the run).

    Raises:
        RubricError: The rubric is malformed (the message names the place).
        CalibrationError: No calibration, or one fitted for other criteria (says to recalibrate).
    """
    started = time.perf_counter()
    rubric = load_rubric(rubric_path)
    cal_path = Path(calibration) if calibration else calibration_path(rubric_path)
    cal = load_calibration(rubric, rubric_path, cal_path)
    scorer = Scorer(kb, rubric, cal)
    ready = scorer.scorable()
    todo = ready if not doc_ids else doc_ids
    unknown = [d for d in todo if d not in ready]
    standards = [d for d in unknown if (r := kb.catalog.find_document(d)) is not None and is_standard(r)]
    if standards:
        raise CtkbError(f"{', '.join(standards)}: a standard (international instrument or model law) is not scored "
                        f"as a country", hint="`ctkb align --standard DOC_ID --article N` shows how countries "
                                              "implement its articles")
    if unknown:
        raise CtkbError(f"not scorable (not indexed with vectors): {', '.join(unknown)}",
                        hint=f"scorable documents: {', '.join(ready[:12])}{' ...' if len(ready) > 12 else ''}")
    if not todo:
        raise CtkbError("no document to score", hint="index documents first: `ctkb index --manifest MANIFEST`")
    scores: list[Score] = []
    failed: list[tuple[str, str]] = []
    for i, doc_id in enumerate(todo):
        try:
            scores.extend(scorer.score_document(doc_id))
        except CtkbError as exc:
            failed.append((doc_id, str(exc)))
        if progress:
            progress(i + 1, len(todo), doc_id)
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    run = Run(
        id=new_run_id(created, rubric.checksum + cal.checksum), name=name, created_at=created,
        rubric_path=str(rubric_path), rubric_name=rubric.name, rubric_checksum=rubric.checksum,
        criteria_checksum=rubric.criteria_checksum, calibration_checksum=cal.checksum, models=_models(kb),
        pipeline_version=_pipeline_version(kb), seconds=round(time.perf_counter() - started, 2),
        notes=_notes(rubric, cal),
    )
    run = RunStore(kb.catalog).save(run, scores)
    return run, scores, failed


def _notes(rubric: Rubric, cal: Calibration) -> list[str]:
    if cal.rubric_checksum != rubric.checksum:
        return ["the calibration was fitted on another version of this rubric (same criteria); after editing "
                "cues or queries, `ctkb calibrate` refits it to the new wording"]
    return []


def prepare_rubric(kb, rubric_path: str | Path) -> int:
    """Embed the rubric's queries and exemplars for the indexed languages, ahead of scoring.

    ``ctkb index`` calls this with the default rubric while the encoders are loaded anyway,
    so the first ``ctkb score`` after indexing reads every vector from the catalogue.

    Returns:
        How many rubric texts were embedded (0 when all were cached).
    """
    from kb.scoring.signals import SIMILARITY_ENCODER
    from kb.scoring.vectors import rubric_texts

    rubric = load_rubric(rubric_path)
    scorer = Scorer(kb, rubric)
    languages = {d.language for d in kb.catalog.documents() if d.id in set(scorer.scorable())}
    texts = rubric_texts(rubric, languages)
    for role, items in texts.items():
        if items:
            scorer.vectors.get(SIMILARITY_ENCODER, items, role)  # type: ignore[arg-type]
    if "en" in languages and "minilm" in scorer.vectors.model_ids:
        scorer.vectors.get("minilm", rubric_texts(rubric, {"en"})["query"], "query")
    return scorer.vectors.embedded


def _gold_set(kb, rubric: Rubric, gold_path: str | Path, progress: Progress | None) -> ev.GoldSet:
    gold = load_gold(gold_path)
    scorer = Scorer(kb, rubric)
    total = len(gold.documents)
    counter = iter(range(1, total + 1))
    gs = ev.collect(scorer, gold, progress=(lambda d: progress(next(counter), total, d)) if progress else None)
    if not gs.examples:
        raise CtkbError(f"none of the {total} documents of {gold_path} is indexed with vectors here",
                        hint=f"index them first (gold ids: {', '.join(gold.ids[:6])} ...)")
    return gs


def calibrate(kb, rubric_path: str | Path, gold_path: str | Path, *, out: str | Path | None = None,
              progress: Progress | None = None) -> tuple[Calibration, Path, list[str]]:
    """Fit the scoring models on gold labels and save them next to the rubric.

    Returns:
        The calibration, where it was written, and gold documents that are not indexed.
    """
    rubric = load_rubric(rubric_path)
    gs = _gold_set(kb, rubric, gold_path, progress)
    cal = fit(gs.all_examples(), rubric, gs.fitted_on())
    path = Path(out) if out else calibration_path(rubric_path)
    save_calibration(cal, path)
    return cal, path, gs.missing


def evaluate(kb, rubric_path: str | Path, gold_path: str | Path, *, run: str | None = None, cv: bool = False,
             progress: Progress | None = None) -> dict:
    """The gold metrics (and baselines) of the saved calibration, a stored run, or cross-validation."""
    rubric = load_rubric(rubric_path)
    if run is not None:
        store = RunStore(kb.catalog)
        stored = store.get(run)
        if stored.criteria_checksum != rubric.criteria_checksum:
            raise CtkbError(f"run {stored.id} was scored with rubric {stored.rubric_path}, whose criteria differ "
                            f"from {rubric_path}", hint=f"pass --rubric {stored.rubric_path}")
    gs = _gold_set(kb, rubric, gold_path, progress)
    if run is not None:
        pairs, mode = ev.run_pairs(gs, store.scores(stored.id)), f"run {stored.id}"
    elif cv:
        pairs, mode = ev.cv_pairs(gs, rubric), "leave-one-document-out"
    else:
        pairs, mode = ev.calibrated_pairs(gs, load_calibration(rubric, rubric_path)), "calibrated"
    return ev.evaluation_report(pairs, gs, mode)
