"""The scoring commands of the ``ctkb`` CLI: score, runs, diff, country, calibrate, evaluate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from kb.errors import CtkbError

RUBRIC_HELP = "Rubric YAML (default $CTKB_RUBRIC or rubrics/4p.yaml)."


def register(app: typer.Typer, state, out, err) -> None:
    """Add the scoring commands to ``app`` (``state.settings`` is set by the app's callback)."""

    def _kb():
        from kb.knowledge import KnowledgeBase

        return KnowledgeBase.open(state.settings)

    def _rubric(rubric: Optional[Path]) -> Path:
        return rubric or state.settings.rubric

    @app.command()
    def score(
        rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help=RUBRIC_HELP),
        name: Optional[str] = typer.Option(None, "--name", help="A name for the run (unique)."),
        doc: list[str] = typer.Option(None, "--doc", "-d", help="Score only this document; repeatable."),
        calibration: Optional[Path] = typer.Option(None, "--calibration", help="Calibration JSON (default: next to "
                                                                                "the rubric)."),
        as_json: bool = typer.Option(False, "--json", help="Print the run and its scores as JSON."),
    ) -> None:
        """Score indexed documents against the rubric and store the run (earlier runs are kept)."""
        from kb.render_scores import progress_bar, run_summary
        from kb.scoring.service import score_run

        kb = _kb()
        try:
            with progress_bar(err, "Scoring") as progress:
                run, scores, failed = score_run(kb, _rubric(rubric), name=name, calibration=calibration,
                                                doc_ids=doc or None, progress=progress)
        finally:
            kb.close()
        if as_json:
            print(json.dumps({"run": run.model_dump(), "scores": [s.model_dump() for s in scores],
                              "failed": [{"doc_id": d, "error": m} for d, m in failed]}, ensure_ascii=False, indent=1))
        else:
            run_summary(out, run, scores, failed)

    @app.command()
    def runs(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """List scoring runs, newest first, with their rubric and calibration checksums."""
        from kb.catalog import Catalog
        from kb.render_scores import runs_table
        from kb.scoring.runs import RunStore

        found = RunStore(Catalog(state.settings.catalog_path)).runs()
        if as_json:
            print(json.dumps([r.model_dump() for r in found], ensure_ascii=False, indent=1))
        else:
            runs_table(out, found)

    @app.command()
    def diff(
        run_a: str = typer.Argument(..., help="Earlier run: id, name or 'latest'."),
        run_b: str = typer.Argument(..., help="Later run: id, name or 'latest'."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Show every score that changed between two runs, with both levels and evidence."""
        from kb.catalog import Catalog
        from kb.render_scores import diff_table
        from kb.scoring.runs import RunStore

        result = RunStore(Catalog(state.settings.catalog_path)).diff(run_a, run_b)
        if as_json:
            print(json.dumps(result.model_dump(), ensure_ascii=False, indent=1))
        else:
            diff_table(out, result)

    @app.command()
    def country(
        code: str = typer.Argument(..., help="ISO3 country code, e.g. ARG."),
        run: str = typer.Option("latest", "--run", help="Run id or name (default: the latest)."),
        criterion: Optional[str] = typer.Option(None, "--criterion", "-c", help="Show one criterion in full."),
        rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help="Rubric (default: the run's own)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """A country's level per criterion: the best across its documents, with evidence."""
        from kb.catalog import Catalog
        from kb.render_scores import country_table, score_detail
        from kb.rubric import load_rubric
        from kb.scoring.country import country_view, not_a_country, pillar_summary, without_standards
        from kb.scoring.runs import RunStore

        catalog = Catalog(state.settings.catalog_path)
        standard = not_a_country(catalog, code)
        if standard is not None:
            raise standard
        store = RunStore(catalog)
        stored = store.get(run)
        # The run's own rubric names its criteria; --rubric overrides (e.g. the file moved).
        loaded = load_rubric(rubric or (Path(stored.rubric_path) if Path(stored.rubric_path).is_file()
                                        else state.settings.rubric))
        national = without_standards(store.scores(stored.id), catalog)
        scores = [s for s in national if s.country == code.upper()]
        if not scores:
            countries = sorted({s.country for s in national})
            raise CtkbError(f"run {stored.id} has no scores for country {code.upper()!r}",
                            hint=f"countries in this run: {', '.join(countries)}")
        rows = country_view(scores, [(c.id, c.pillar, c.title) for c in loaded.criteria])[code.upper()]
        if criterion:
            loaded.criterion(criterion)  # NotFoundError lists the ids
            best = next(r for r in rows if r.criterion == criterion)
            chosen = [s for s in scores if s.criterion == criterion and s.doc_id == (best.best_doc_id or s.doc_id)]
            if as_json:
                print(json.dumps([s.model_dump() for s in chosen], ensure_ascii=False, indent=1))
            else:
                for s in chosen:
                    score_detail(out, s)
                out.print(f"[dim]{best.caveat}[/]")
            return
        pillars = pillar_summary(rows, {c.id: c.weight for c in loaded.criteria})
        if as_json:
            print(json.dumps({"country": code.upper(), "run": stored.id, "pillars": pillars,
                              "criteria": [r.model_dump() for r in rows]}, ensure_ascii=False, indent=1))
        else:
            country_table(out, code.upper(), rows, pillars, loaded.pillars, {c.id: c.title for c in loaded.criteria})

    @app.command()
    def calibrate(
        gold: Path = typer.Option(..., "--gold", "-g", help="Gold labels YAML (format: gold README)."),
        rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help=RUBRIC_HELP),
        output: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write (default: next to the "
                                                                         "rubric)."),
    ) -> None:
        """Fit the scoring models on gold labels; saves RUBRIC.calibration.json next to the rubric."""
        from kb.render_scores import progress_bar
        from kb.scoring.service import calibrate as fit_calibration

        kb = _kb()
        try:
            with progress_bar(err, "Signals") as progress:
                cal, path, missing = fit_calibration(kb, _rubric(rubric), gold, out=output, progress=progress)
        finally:
            kb.close()
        fit = cal.training_fit
        out.print(f"wrote {path}: fitted on {cal.fitted_on['documents']} documents, {cal.fitted_on['pairs']} "
                  f"labelled pairs; thresholds addressed {cal.threshold_addressed:.2f}, present "
                  f"{cal.threshold_present:.2f}; in-sample macro_f1 {fit['macro_f1']:.3f}, kappa_3 {fit['kappa_3']:.3f}",
                  highlight=False)
        out.print("in-sample figures flatter the model; `ctkb evaluate --gold FILE --cv` measures it honestly")
        if missing:
            err.print(f"[yellow]not indexed, left out:[/] {', '.join(missing)}")

    @app.command()
    def evaluate(
        gold: Path = typer.Option(..., "--gold", "-g", help="Gold labels YAML (format: gold README)."),
        rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help=RUBRIC_HELP),
        run: Optional[str] = typer.Option(None, "--run", help="Evaluate a stored run instead of scoring now."),
        cv: bool = typer.Option(False, "--cv", help="Leave one document out: calibrate on the others, score it."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ) -> None:
        """Measure scoring against gold labels: F1, macro F1, kappa, evidence hit@3, per pillar and language,
        with the bm25 and dense baselines."""
        from kb.render_scores import evaluation_table, progress_bar
        from kb.scoring.service import evaluate as run_evaluation

        if run and cv:
            raise CtkbError("--run and --cv do not go together", hint="--cv refits the models; a run is already "
                                                                       "scored")
        kb = _kb()
        try:
            with progress_bar(err, "Signals") as progress:
                report = run_evaluation(kb, _rubric(rubric), gold, run=run, cv=cv, progress=progress)
        finally:
            kb.close()
        if as_json:
            print(json.dumps(report, ensure_ascii=False, indent=1))
        else:
            evaluation_table(out, report)
