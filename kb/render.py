"""Terminal rendering for the CLI (rich): progress, tables, outlines."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from kb.models import DocumentRecord
from kb.ocr_quality import ocr_caveat
from kb.views import document_summary

STATUS_STYLE = {"indexed": "green", "skipped": "dim", "failed": "red", "needs_ocr": "yellow"}


@contextmanager
def index_progress(console: Console) -> Iterator:
    """A progress bar over documents; yields the callback the indexer calls before each
    document, whose ``ocr_page`` method it calls after each OCR'd page."""
    progress = Progress(
        TextColumn("[bold]Indexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console, transient=True,
    )
    task = progress.add_task("", total=None)

    class OnProgress:
        def __call__(self, done: int, total: int, entry) -> None:
            progress.update(task, completed=done, total=total, description=escape(entry.meta.id))

        def ocr_page(self, entry, done: int, total: int) -> None:
            progress.update(task, description=f"{escape(entry.meta.id)}: OCR page {done} of {total}")

    with progress:
        yield OnProgress()


def index_summary(console: Console, report) -> None:
    """The table printed after ``ctkb index``: one row per document, then the totals."""
    table = Table(title="Index summary", show_lines=False)
    for col in ("document", "status", "language", "pages", "provisions", "note"):
        table.add_column(col, overflow="fold")
    for o in report.outcomes:
        note = "see below" if o.status in ("failed", "needs_ocr") else o.message
        if o.inferred and o.status == "indexed":
            note = "; ".join(f"{k}: {v}" for k, v in o.inferred.items()) + (f"; {note}" if note else "")
        style = STATUS_STYLE.get(o.status, "")
        table.add_row(
            escape(o.doc_id), f"[{style}]{o.status}[/]", o.language or "", "" if o.pages is None else str(o.pages),
            str(o.provisions) if o.status in ("indexed", "skipped") else "", escape(note),
        )
    console.print(table)
    counts = {s: len(report.by_status(s)) for s in ("indexed", "skipped", "needs_ocr", "failed")}
    console.print(
        f"indexed {counts['indexed']}, skipped (unchanged) {counts['skipped']}, "
        f"needs OCR {counts['needs_ocr']}, failed {counts['failed']}, "
        f"manifest errors {len(report.manifest_errors)}",
        highlight=False,
    )
    problems = [o for o in report.outcomes if o.status in ("failed", "needs_ocr")]
    for o in problems:
        console.print(f"[red]✗[/] {escape(o.message)}", highlight=False, soft_wrap=True)
    for e in report.manifest_errors:
        console.print(f"[red]✗[/] {escape(str(e))}", highlight=False, soft_wrap=True)


def docs_json(records: list[DocumentRecord]) -> list[dict[str, Any]]:
    return [document_summary(r) for r in records]


def docs_table(records: list[DocumentRecord]) -> Table:
    table = Table(title=f"{len(records)} documents")
    for col in ("id", "country", "lang", "kind", "pages", "provisions", "status", "title"):
        table.add_column(col, overflow="fold")
    for r in records:
        style = STATUS_STYLE.get(r.status, "")
        table.add_row(
            escape(r.id), r.country, r.language, r.kind or "", "" if r.pages is None else str(r.pages),
            str(r.provisions), f"[{style}]{r.status}[/]", escape(r.title[:70]),
        )
    return table


def _pages(pages: list[int] | None) -> str:
    if not pages:
        return ""
    return f"p. {pages[0]}" if pages[0] == pages[1] else f"pp. {pages[0]}–{pages[1]}"


def outline(console: Console, view: dict[str, Any]) -> None:
    """A document's outline: divisions and top-level provisions with their pages."""
    console.print(f"[bold]{escape(view['title'])}[/]  ({view['id']}, {view['country']}, {view['language']})")
    divisions = sorted(view["divisions"], key=lambda d: d["start"])
    provisions = view["provisions"]
    di = 0
    for node in provisions:
        start = node["start"]
        while di < len(divisions) and divisions[di]["start"] <= start:
            d = divisions[di]
            heading = f" — {d['heading']}" if d.get("heading") else ""
            console.print(f"{'  ' * d.get('depth', 0)}[bold cyan]{escape(d['label'])}{escape(heading)}[/]")
            di += 1
        heading = f" {node['heading']}" if node.get("heading") else ""
        sub = f" [dim]({len(node['children'])} subsections)[/]" if node["children"] else ""
        console.print(f"  {escape(node['citation'])}[bold]{escape(heading)}[/] [dim]{_pages(node['pages'])}[/]{sub}")
    if view.get("status") != "indexed":
        console.print(f"[yellow]status: {view['status']}[/] {escape(view.get('error') or '')}")


def provision_detail(console: Console, view: dict[str, Any]) -> None:
    """One provision with its citation, pages, text and subsections."""
    for node in view["provisions"]:
        heading = f" — {node['heading']}" if node.get("heading") else ""
        console.print(f"[bold]{escape(node['citation'])}{escape(heading)}[/]  [dim]{_pages(node['pages'])}[/]")
        console.print(f"[dim]{escape(view['title'])} ({view['id']})[/]")
        caveat = ocr_caveat(node.get("ocr_confidence"))
        if caveat:
            console.print(f"[yellow]⚠ {escape(caveat)}[/]")
        console.print(escape(node["text"]))
        for penalty in node["penalties"]:
            console.print(f"[magenta]penalty:[/] {escape(penalty_summary(penalty))}  [dim]“{escape(penalty['text'])}”[/]")
        if node["definitions"]:
            terms = ", ".join(d["term"] for d in node["definitions"])
            console.print(f"[magenta]defines:[/] {escape(terms)}")
        refs = sorted({r["target"] for r in node["cross_refs"] if not r["external"]})
        if refs:
            console.print(f"[magenta]refers to:[/] {escape(', '.join(refs))}")


def _years(value: float) -> str:
    return f"{value:g} year{'s' if value != 1 else ''}" if value >= 1 else f"{value * 12:g} months"


def penalty_summary(penalty: dict[str, Any]) -> str:
    """A penalty's structured values in words: "imprisonment 4 years to 8 years; fine"."""
    parts = []
    low, high = penalty.get("imprisonment_min_years"), penalty.get("imprisonment_max_years")
    if low is not None and high is not None:
        parts.append(f"imprisonment {_years(low)} to {_years(high)}")
    elif high is not None:
        parts.append(f"imprisonment up to {_years(high)}")
    elif low is not None:
        parts.append(f"imprisonment of at least {_years(low)}")
    if penalty.get("life"):
        parts.append("life imprisonment")
    if penalty.get("death"):
        parts.append("death penalty")
    if penalty.get("fine"):
        amount = penalty.get("fine_amount_max")
        parts.append(f"fine up to {amount:,.0f} {penalty.get('currency') or ''}".strip() if amount else "fine")
    return "; ".join(parts) or "penalty"


def marked(text: str, spans: list[tuple[int, int]], limit: int = 700) -> str:
    """Rich markup of ``text`` with ``spans`` highlighted, cut to about ``limit`` characters
    around the first match. Text is escaped: provision text never becomes markup."""
    lo = 0
    if spans and spans[0][0] > limit // 2:
        lo = max(0, spans[0][0] - limit // 4)
        lo = text.rfind(" ", 0, lo) + 1
    hi = min(len(text), lo + limit)
    parts, pos = [], lo
    for s, e in spans:
        if s < pos or e > hi:
            continue
        parts.append(escape(text[pos:s]))
        parts.append(f"[bold yellow]{escape(text[s:e])}[/]")
        pos = e
    parts.append(escape(text[pos:hi]))
    return ("…" if lo else "") + "".join(parts) + ("…" if hi < len(text) else "")


def hits(console: Console, query: str, found: list) -> None:
    """Search results: document, country, citation, page, score, then the text with matches marked."""
    if not found:
        console.print(f"No provision found for {escape(query)!r}. Try another mode (--mode semantic) or fewer filters.")
        return
    for rank, h in enumerate(found, 1):
        pages = _pages(h.pages) if h.pages else ""
        heading = f" — {escape(h.heading)}" if h.heading else ""
        console.print(
            f"[bold]{rank}. {escape(h.citation)}{heading}[/]  [cyan]{h.country}[/] {escape(h.title[:80])}"
            f"  [dim]{pages} score {h.score:.3f}[/]", highlight=False,
        )
        console.print(marked(h.text, h.highlights), highlight=False)
        console.print()


def migration(console: Console, report) -> None:
    """What ``ctkb migrate`` did and whether the copy checks out."""
    console.print(report.summary(), highlight=False)
