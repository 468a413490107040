"""The standards commands of the ``ctkb`` CLI: ``standards`` (what is indexed) and ``align``
(an article of a standard beside each country's provisions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

RUBRIC_HELP = "Rubric naming the instruments and the criteria (default $CTKB_RUBRIC or rubrics/4p.yaml)."
SNIPPET = 130  # characters of a match shown in the table; --json and --out carry the whole snippet


def register(app: typer.Typer, state, out, err) -> None:
    """Add ``standards`` and ``align`` to ``app`` (``state.settings`` is set by the app's callback)."""

    def _rubric(path: Optional[Path]):
        from kb.rubric import load_rubric

        return load_rubric(path or state.settings.rubric)

    @app.command("standards")
    def standards_command(
        standard: Optional[str] = typer.Option(None, "--standard", "-s", help="List this standard's articles only."),
        rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help=RUBRIC_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List the indexed standards (international instruments, model laws) with their articles, and the
        instruments the rubric cites with whether their text is indexed."""
        from kb.catalog import Catalog
        from kb.errors import NotFoundError
        from kb.standards import outline

        listing = outline(Catalog(state.settings.catalog_path), _rubric(rubric))
        if standard is not None:
            chosen = [s for s in listing["standards"] if standard in (s["doc_id"], s["instrument"])]
            if not chosen:
                raise NotFoundError("standard", standard, [s["doc_id"] for s in listing["standards"]])
            listing["standards"] = chosen
        if as_json:
            print(json.dumps(listing, ensure_ascii=False, indent=1))
            return
        _standards_tables(out, listing)

    @app.command()
    def align(
        standard: str = typer.Option(..., "--standard", "-s", help="Standard: document id (see `ctkb standards`) "
                                                                   "or instrument key, e.g. CoE."),
        article: str = typer.Option(..., "--article", "-a", help="Article number, e.g. 26 or 6(3)(a)."),
        paragraph: Optional[str] = typer.Option(None, "--paragraph", "-p", help="Paragraph or point, e.g. 3 or "
                                                                               "3(a)."),
        countries: list[str] = typer.Option(None, "--countries", "-c", help="ISO3 codes, comma-separated or "
                                                                            "repeated (default: every country)."),
        per_country: int = typer.Option(3, "--per-country", "-n", min=1, max=20, help="Matches per country."),
        run: str = typer.Option("latest", "--run", help="Scoring run for evidence and levels (default: the "
                                                        "latest; none at all: similarity only)."),
        rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help=RUBRIC_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        output: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write the table (.csv or .xlsx)."),
    ) -> None:
        """An article (or paragraph) of a standard and, country by country, the national provisions that
        implement it: scoring evidence for the criteria citing it, with levels, then the closest provisions."""
        from kb.align import article_view
        from kb.exports.alignment import check_alignment_output, export_alignment
        from kb.knowledge import KnowledgeBase

        if output is not None:
            check_alignment_output(output)  # before the slow part
        loaded = _rubric(rubric)
        codes = [c for value in countries or [] for c in value.split(",") if c.strip()]
        kb = KnowledgeBase.open(state.settings)
        try:
            view = article_view(kb, loaded, standard, article, paragraph=paragraph, countries=codes,
                                per_country=per_country, run=run)
            written = export_alignment(kb.catalog, view, loaded, output) if output is not None else None
        finally:
            kb.close()
        if as_json:
            print(json.dumps(view.model_dump(), ensure_ascii=False, indent=1))
        else:
            _align_table(out, view)
        if written is not None:
            err.print(f"wrote {escape(written.path)}: {escape(written.summary)}", highlight=False, soft_wrap=True)


def _standards_tables(out, listing: dict) -> None:
    for s in listing["standards"]:
        key = f" ({s['instrument']})" if s["instrument"] else ""
        out.print(f"[bold]{escape(s['doc_id'])}{escape(key)}[/]: {escape(s['title'])}, {len(s['articles'])} articles",
                  highlight=False, soft_wrap=True)
        table = Table()
        table.add_column("Article", no_wrap=True)
        table.add_column("Heading")
        table.add_column("Paragraphs/points", justify="right")
        for a in s["articles"]:
            table.add_row(escape(a["number"]), escape(a["heading"] or ""), str(a["children"] or ""))
        out.print(table)
    if not listing["standards"]:
        out.print("No standard is indexed: index documents whose kind is international-instrument or model-law.")
    out.print("[bold]Instruments the rubric cites[/]")
    table = Table()
    for name in ("Key", "Instrument", "Text indexed"):
        table.add_column(name)
    for i in listing["instruments"]:
        state = "no" if not i["indexed"] else i["doc_id"] + ("" if i["standard"] else " (national law)")
        table.add_row(escape(i["key"]), escape(i["title"]), escape(state))
    out.print(table)


def _align_table(out, view) -> None:
    from kb.exports.text import pages_label

    pages = pages_label(view.page_start, view.page_end)
    out.print(f"[bold]{escape(view.label)}[/] — {escape(view.citation)}"
              f"{' ' + escape(view.heading) if view.heading else ''} ({escape(view.doc_id)}{', ' + pages if pages else ''})",
              highlight=False, soft_wrap=True)
    text = " ".join(view.text.split())
    out.print(escape(text[:400] + ("…" if len(text) > 400 else "")), style="dim", highlight=False)
    for c in view.criteria:
        out.print(f"criterion [bold]{c.id}[/] {escape(c.title)} (legal basis: {escape('; '.join(c.legal_basis))})",
                  highlight=False, soft_wrap=True)
    out.print(f"run: {escape(view.run_id + (f' ({view.run_name})' if view.run_name else '')) if view.run_id else 'none'}",
              highlight=False)
    for note in view.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    table = Table(show_lines=True)
    for name, kw in [("Country", {"no_wrap": True}), ("Levels", {}), ("#", {"justify": "right"}),
                     ("Provision", {"ratio": 1}), ("Why", {"no_wrap": True}), ("Text", {"ratio": 3})]:
        table.add_column(name, **kw)
    for column in view.countries:
        levels = "\n".join(f"{c.criterion} {c.level}" for c in column.coverage) or "—"
        if not column.matches:
            table.add_row(column.country, levels, "", "no match", "", "")
        for rank, m in enumerate(column.matches, start=1):
            where = f"{m.doc_id}: {m.citation}" + (f", {pages_label(m.page_start, m.page_end)}" if m.page_start else "")
            why = [f"{m.criterion} {m.level}, p {m.probability:.2f}"] if m.source == "evidence" else []
            if m.similarity is not None:
                why.append(f"similarity {m.similarity:.2f}")
            if m.ocr_confidence is not None:
                why.append(f"OCR {m.ocr_confidence:.2f}")
            snippet = m.snippet[:SNIPPET].rstrip() + ("…" if len(m.snippet) > SNIPPET else "")
            # Most snippets open with the heading already ("24. Immunity from prosecution ...").
            heading = f"{m.heading}: " if m.heading and m.heading[:40] not in snippet[:120] else ""
            table.add_row(column.country if rank == 1 else "", levels if rank == 1 else "", str(rank),
                          escape(where), escape("\n".join(why)), escape(heading + snippet))
    out.print(table)
