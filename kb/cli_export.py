"""The ``ctkb export`` commands: the gap memo, the matrix and the comparison, written as files."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

RUN_HELP = "Run id or name (default: the latest)."
RUBRIC_HELP = "Rubric naming the criteria (default: the run's own)."


def register(app: typer.Typer, state, out, err) -> None:
    """Add the ``export`` command group to ``app`` (``state.settings`` is set by the app's callback)."""
    export = typer.Typer(name="export", no_args_is_help=True,
                         help="Write deliverables for drafting teams: a Word gap memo, the countries-by-criteria "
                              "matrix, a side-by-side comparison. Each carries its provenance.")
    app.add_typer(export, name="export")

    def _catalog():
        from kb.catalog import Catalog

        return Catalog(state.settings.catalog_path)

    def _rubric(catalog, run: str, given: Optional[Path]) -> Optional[Path]:
        """--rubric, else the run's own file (None), else the default rubric, as `ctkb country` does."""
        from kb.scoring.runs import RunStore

        if given is not None:
            return given
        return None if Path(RunStore(catalog).get(run).rubric_path).is_file() else state.settings.rubric

    def _done(written) -> None:
        from rich.markup import escape

        out.print(f"wrote {escape(written.path)}: {escape(written.summary)}", highlight=False, soft_wrap=True)

    @export.command()
    def memo(
        country: str = typer.Option(..., "--country", "-c", help="ISO3 country code, e.g. ZMB."),
        output: Path = typer.Option(..., "--out", "-o", help="The Word file to write (.docx)."),
        run: str = typer.Option("latest", "--run", help=RUN_HELP),
        rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help=RUBRIC_HELP),
    ) -> None:
        """A country's gap-analysis memo (Word): summary per pillar, then each absent and partial criterion
        with the standard, the national text, reviewer notes and how other countries drafted it."""
        from kb.exports import export_memo

        catalog = _catalog()
        _done(export_memo(catalog, country, output, run=run, rubric=_rubric(catalog, run, rubric)))

    @export.command()
    def matrix(
        output: Path = typer.Option(..., "--out", "-o", help="The file to write (.xlsx or .csv)."),
        run: str = typer.Option("latest", "--run", help=RUN_HELP),
        rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help=RUBRIC_HELP),
    ) -> None:
        """Countries by criteria: levels, confidence, reviewed flag and evidence citations (XLSX or CSV)."""
        from kb.exports import export_matrix

        catalog = _catalog()
        _done(export_matrix(catalog, output, run=run, rubric=_rubric(catalog, run, rubric)))

    @export.command()
    def compare(
        criterion: str = typer.Option(..., "--criterion", help="Criterion id, e.g. PRS-01."),
        country: list[str] = typer.Option(..., "--country", "-c", help="ISO3 code; repeat (or separate with "
                                                                        "commas) for 2 to 6 countries."),
        output: Path = typer.Option(..., "--out", "-o", help="The file to write (.docx or .xlsx)."),
        run: str = typer.Option("latest", "--run", help=RUN_HELP),
        rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help=RUBRIC_HELP),
    ) -> None:
        """One criterion across two to six countries, provisions side by side (Word or XLSX)."""
        from kb.exports import export_compare

        countries = [c for value in country for c in value.split(",") if c.strip()]
        catalog = _catalog()
        _done(export_compare(catalog, criterion, countries, output, run=run, rubric=_rubric(catalog, run, rubric)))
