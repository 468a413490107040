"""The ``ctkb`` command line: thin wrappers over the library.

Library exceptions (:class:`kb.errors.CtkbError`) become one-line messages that
say how to fix the problem; nothing here computes what the library should.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from kb.errors import CtkbError
from kb.settings import Settings

app = typer.Typer(
    name="ctkb",
    help="Counter-trafficking knowledge base: index national laws into provisions, search them, score them "
    "against the 4P rubric.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


class OcrChoice(str, Enum):
    """``ctkb index --ocr`` values (see :class:`indexing.ocr.OcrOptions`)."""

    auto = "auto"
    always = "always"
    never = "never"


class State:
    settings: Settings


state = State()


@app.callback()
def _main(
    home: Optional[Path] = typer.Option(None, "--home", help="Knowledge base folder (default $CTKB_HOME or .ctkb)."),
) -> None:
    state.settings = Settings.from_env(home=home)


def _catalog():
    from kb.catalog import Catalog

    return Catalog(state.settings.catalog_path)


@app.command()
def index(
    paths: list[Path] = typer.Argument(None, help="Files or folders to index (metadata inferred)."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", "-m", help="YAML manifest listing the documents."),
    force: bool = typer.Option(False, "--force", help="Re-index documents even when unchanged."),
    no_embed: bool = typer.Option(False, "--no-embed", help="Store provisions only; embed on a later run."),
    ocr: Optional[OcrChoice] = typer.Option(
        None, "--ocr", case_sensitive=False,
        help="Which PDF pages to OCR: auto (pages without a usable text layer), always, never "
             "[default: auto, or CTKB_OCR]."),
) -> None:
    """Index documents into provisions and vectors. Unchanged documents are skipped; failures are listed.
    Scanned PDF pages are read with Tesseract OCR (cached), and their provisions flagged."""
    from indexing.manifest import load_manifest
    from indexing.pipeline import Indexer, entries_from_paths
    from kb.render import index_progress, index_summary

    if manifest is None and not paths:
        manifest_default = state.settings.corpus / "manifest.yaml"
        if manifest_default.is_file():
            manifest = manifest_default
        else:
            paths = [state.settings.corpus]
    if manifest is not None:
        entries, manifest_errors = load_manifest(manifest)
        for problem in manifest_errors:
            err.print(f"[yellow]skipped[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
    else:
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise CtkbError(f"not found: {', '.join(map(str, missing))}", hint="give existing files or folders")
        entries, manifest_errors = entries_from_paths(list(paths)), []
    from kb.knowledge import KnowledgeBase

    kb = KnowledgeBase.open(state.settings)
    try:
        indexer = Indexer(kb.catalog, None if no_embed else kb.vector_writer(), force=force,
                          ocr=ocr.value if ocr else state.settings.ocr)
        with index_progress(err) as progress:
            report = indexer.run(entries, progress, progress.ocr_page)
        prepared = None if no_embed else _prepare_rubric(kb)
    finally:
        kb.close()
    report.manifest_errors = manifest_errors
    index_summary(out, report)
    if prepared:
        out.print(f"rubric {state.settings.rubric}: {prepared} query and model-provision texts embedded for scoring",
                  soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1 if not report.by_status("indexed") and not report.by_status("skipped") else 0)


def _prepare_rubric(kb) -> int | None:
    """Embed the default rubric's texts now, so the first `ctkb score` needs no model."""
    from kb.scoring.service import prepare_rubric

    if not state.settings.rubric.is_file() or kb.store.spec() is None:
        return None
    try:
        return prepare_rubric(kb, state.settings.rubric)
    except CtkbError as exc:  # a broken rubric must not fail the indexing that succeeded
        err.print(f"[yellow]rubric not prepared for scoring:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return None


@app.command()
def docs(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List indexed documents with provision counts, pages, language and status."""
    from kb.render import docs_json, docs_table

    records = _catalog().documents()
    if as_json:
        print(json.dumps(docs_json(records), ensure_ascii=False, indent=2))
    elif not records:
        out.print("No documents yet. Index some with [bold]ctkb index --manifest FILE[/] or [bold]ctkb index DIR[/].")
    else:
        out.print(docs_table(records))


@app.command()
def show(
    doc_id: str = typer.Argument(..., help="Document id (see `ctkb docs`)."),
    provision: Optional[str] = typer.Option(None, "--provision", "-p", help="Top-level number, e.g. 45 or 273f."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print a document's outline, or one provision with its citation and pages."""
    from kb import render
    from kb.views import document_view

    view = document_view(_catalog(), doc_id, provision)
    if as_json:
        print(json.dumps(view, ensure_ascii=False, indent=2))
    elif provision is None:
        render.outline(out, view)
    else:
        render.provision_detail(out, view)


@app.command()
def search(
    query: str = typer.Argument(..., help="What to look for, in any language."),
    country: list[str] = typer.Option(None, "--country", "-c", help="ISO3 country code; repeat for several."),
    language: list[str] = typer.Option(None, "--language", "-l", help="Document language (ISO 639-1); repeatable."),
    kind: list[str] = typer.Option(None, "--kind", "-k", help="Document kind (act, regulation, ...); repeatable."),
    year_min: Optional[int] = typer.Option(None, "--from-year", help="Documents from this year on."),
    year_max: Optional[int] = typer.Option(None, "--to-year", help="Documents up to this year."),
    mode: str = typer.Option("hybrid", "--mode", "-m", help="hybrid (default), semantic or exact."),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=200, help="How many provisions."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search provisions by meaning and by exact words, with filters."""
    from kb import render
    from kb.knowledge import KnowledgeBase

    kb = KnowledgeBase.open(state.settings)
    try:
        hits = kb.search(query, countries=country, languages=language, kinds=kind, year_min=year_min,
                         year_max=year_max, mode=mode, limit=limit)
    finally:
        kb.close()
    if as_json:
        print(json.dumps([h.as_json() for h in hits], ensure_ascii=False, indent=2))
    else:
        render.hits(out, query, hits)


@app.command()
def migrate(
    to: str = typer.Option(..., "--to", help="Qdrant server URL, e.g. http://localhost:6333."),
    api_key: Optional[str] = typer.Option(None, "--api-key", help="API key (default $CTKB_QDRANT_API_KEY)."),
) -> None:
    """Copy the embedded vector store into a Qdrant server, then verify counts and sample queries."""
    from kb import render
    from kb.knowledge import migrate_to_server

    report = migrate_to_server(state.settings, to, api_key or state.settings.qdrant_api_key)
    render.migration(out, report)
    if not report.ok:
        raise typer.Exit(1)


from kb.cli_scoring import register as _register_scoring  # noqa: E402 - after `app` exists

_register_scoring(app, state, out, err)
from kb.cli_export import register as _register_export  # noqa: E402 - after `app` exists

_register_export(app, state, out, err)
from kb.cli_admin import register as _register_admin  # noqa: E402 - after `app` exists

_register_admin(app, state, out, err)
from kb.cli_standards import register as _register_standards  # noqa: E402 - after `app` exists

_register_standards(app, state, out, err)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the app and turns library errors into one-line messages."""
    import logging

    # pypdf logs repair notes ("EOF marker not found") for files we then report ourselves.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        app(args=argv, standalone_mode=False)
    except CtkbError as exc:
        err.print(f"[red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
