"""Terminal rendering of scores, runs, diffs, country views and evaluations (rich)."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

LEVEL_STYLE = {"present": "green", "partial": "yellow", "absent": "red"}
METRICS = ("f1_addressed", "macro_f1", "kappa_3", "evidence_hit_at_3")


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator:
    """A progress bar over documents; yields the ``(done, total, doc_id)`` callback."""
    progress = Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=console, transient=True)
    task = progress.add_task("", total=None)

    def on_progress(done: int, total: int, doc_id: str) -> None:
        if not progress.live.is_started:  # started on the first document: an early error prints alone
            progress.start()
        progress.update(task, completed=done, total=total, description=escape(doc_id))

    try:
        yield on_progress
    finally:
        if progress.live.is_started:
            progress.stop()


def _level(level: str | None) -> str:
    if level is None:
        return "—"
    return f"[{LEVEL_STYLE[level]}]{level}[/]"


def run_summary(console: Console, run, scores, failed) -> None:
    """After ``ctkb score``: levels per document, then the stored run."""
    table = Table(title=f"Run {run.id}" + (f" ({escape(run.name)})" if run.name else ""))
    for col in ("document", "country", "language", "present", "partial", "absent", "mean confidence"):
        table.add_column(col, justify="right" if col not in ("document", "country", "language") else "left")
    by_doc: dict[str, list] = {}
    for s in scores:
        by_doc.setdefault(s.doc_id, []).append(s)
    for doc_id, rows in by_doc.items():
        counts = Counter(s.level for s in rows)
        cues = "" if all(s.cues_in_language for s in rows) else " (no cues: similarity only)"
        table.add_row(escape(doc_id), rows[0].country, rows[0].language + cues, str(counts["present"]),
                      str(counts["partial"]), str(counts["absent"]),
                      f"{sum(s.confidence for s in rows) / len(rows):.2f}")
    console.print(table)
    for note in run.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    for doc_id, message in failed:
        console.print(f"[red]✗[/] {escape(doc_id)}: {escape(message)}", highlight=False, soft_wrap=True)
    console.print(f"stored run {run.id}: {run.documents} documents, {run.scores} scores in {run.seconds:.1f} s "
                  f"(rubric {escape(run.rubric_path)}, calibration {run.calibration_checksum})", highlight=False)


def runs_table(console: Console, runs) -> None:
    if not runs:
        console.print("No runs yet. Score the indexed documents with [bold]ctkb score[/].")
        return
    table = Table(title="Scoring runs (newest first)")
    for col in ("id", "name", "created", "rubric", "calibration", "documents", "scores", "seconds"):
        table.add_column(col)
    for r in runs:
        table.add_row(r.id, escape(r.name or ""), r.created_at, escape(r.rubric_path), r.calibration_checksum,
                      str(r.documents), str(r.scores), f"{r.seconds:.1f}")
    console.print(table)


def diff_table(console: Console, diff) -> None:
    a, b = diff.a, diff.b
    if not diff.changes:
        console.print(f"No score changed between {a.id} and {b.id} ({diff.unchanged} unchanged).")
        return
    table = Table(title=f"{a.id} → {b.id}: {len(diff.changes)} changed, {diff.unchanged} unchanged")
    for col in ("document", "criterion", "change", f"level in {a.id}", f"level in {b.id}", "evidence before",
                "evidence after"):
        table.add_column(col, overflow="fold")
    for c in diff.changes:
        table.add_row(escape(c.doc_id), c.criterion, c.kind, _level(c.level_a), _level(c.level_b),
                      escape("; ".join(c.evidence_a)), escape("; ".join(c.evidence_b)))
    console.print(table)


def country_table(console: Console, country: str, rows, pillars: dict[str, float], pillar_names: dict[str, str],
                  titles: dict[str, str]) -> None:
    """A country's level per criterion with evidence; coverage per pillar; the caveat."""
    console.print(f"[bold]{country}[/]: best level across {len(rows[0].rests_on) if rows else 0} document(s): "
                  + escape(", ".join(rows[0].rests_on if rows else [])))
    console.print("coverage  " + "   ".join(f"{pillar_names.get(p, p)} {v:.0%}" for p, v in pillars.items()))
    table = Table(show_lines=False)
    for col in ("criterion", "title", "level", "confidence (language)", "evidence (document: provision, page)"):
        table.add_column(col, overflow="fold")
    for r in rows:
        evidence = "; ".join(
            f"{e.doc_id}: {e.citation}" + (f", p. {e.page_start}" if e.page_start else "") for e in r.evidence)
        lang = r.language + ("" if r.cues_in_language else ", similarity only")
        table.add_row(r.criterion, escape(titles.get(r.criterion, "")), _level(r.level),
                      f"{r.confidence:.2f} ({lang})", escape(evidence))
    console.print(table)
    if rows:
        console.print(f"[dim]{escape(rows[0].caveat)}[/]")


def score_detail(console: Console, score) -> None:
    """One score with its reasons and evidence snippets."""
    console.print(f"[bold]{score.criterion}[/] in {escape(score.doc_id)}: {_level(score.level)} "
                  f"(confidence {score.confidence:.2f}, language {score.language})")
    for reason in score.reasons:
        console.print(f"  · {escape(reason)}", highlight=False)
    for e in score.evidence:
        page = f", p. {e.page_start}" if e.page_start else ""
        console.print(f"  [bold]{escape(e.citation)}[/]{page} (p={e.probability:.2f}): {escape(e.snippet)}",
                      highlight=False, soft_wrap=True)


def evaluation_table(console: Console, report: dict) -> None:
    table = Table(title=f"Evaluation ({report['mode']}) on {escape(report['gold'])}",
                  caption="F1 addr. = f1_addressed, kappa = kappa_3 (quadratic), hit@3 = evidence_hit_at_3")
    table.add_column("scope", no_wrap=True)
    for header in ("F1 addr.", "macro F1", "kappa", "hit@3", "n"):
        table.add_column(header, justify="right")

    def row(scope: str, figures: dict, style: str = "") -> None:
        cells = [("—" if figures.get(m) is None else f"{figures[m]:.3f}") for m in METRICS]
        table.add_row(f"[{style}]{scope}[/]" if style else scope, *cells, str(figures.get("n", "")))

    row("overall", report, "bold")
    for pillar, figures in report["per_pillar"].items():
        row(f"  {pillar}", figures)
    for language, figures in report["per_language"].items():
        row(f"  language {language}", figures)
    for name, figures in report["baselines"].items():
        row(f"{name} baseline (≥ {figures['threshold']:g})", figures, "dim")
    console.print(table)
    if report.get("missing_documents"):
        console.print(f"[yellow]not indexed, left out:[/] {', '.join(report['missing_documents'])}")
