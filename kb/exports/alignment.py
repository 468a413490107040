"""The article view (:mod:`kb.align`) as a table: CSV or XLSX, with citations and provenance.

    rows = provenance_rows(catalog, view, rubric)
    text = alignment_csv(view, rows)     # "#" provenance lines, then one row per match
    data = alignment_xlsx(view, rows)    # sheets Alignment, Article, About
    written = export_alignment(catalog, view, rubric, Path("coe-26.xlsx"))

Every row names the standard's article, the country, the national document and the
provision's citation and pages, so a drafting team can cite it. The provenance is the
run's (as in the other exports) when the view has one; without a run it lists the
rubric and the documents' checksums.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from kb import __version__
from kb.align import ArticleView
from kb.catalog import Catalog
from kb.errors import CtkbError
from kb.exports.context import load_context
from kb.exports.provenance import build_provenance, utc_now
from kb.exports.service import Written, write_atomic
from kb.exports.sheets import BOLD, WRAP, append_row, colour_levels, header_row
from kb.exports.text import pages_label, xml_safe
from kb.ocr_quality import ocr_caveat
from kb.rubric import Rubric

SUFFIXES = (".csv", ".xlsx")
CSV_COLUMNS = ("standard", "article", "country", "rank", "source", "criterion", "level", "probability",
               "similarity", "document", "language", "citation", "pages", "heading", "ocr", "snippet")
WIDTHS = (24, 16, 9, 6, 11, 10, 9, 11, 11, 26, 9, 22, 10, 30, 20, 80)
LEGEND = [
    "one row per match: the national provisions that implement the article, best first per country",
    "source 'evidence': the scoring run cites the provision for a criterion whose legal basis is the article "
    "(level = the country's level for that criterion in that document); 'similarity': close to the article by "
    "multilingual embedding only",
    "probability: evidence probability from the run; similarity: cosine of the stored multilingual vectors",
]


def provenance_rows(catalog: Catalog, view: ArticleView, rubric: Rubric, *,
                    exported_at: str | None = None) -> list[tuple[str, str]]:
    """(label, value) lines saying what the table rests on: run, rubric, models, documents."""
    kind = f"article view {view.label}"
    docs = [view.doc_id, *(m.doc_id for c in view.countries for m in c.matches)]
    if view.run_id is not None:
        ctx = load_context(catalog, view.run_id, rubric)
        return build_provenance(ctx, kind, docs, exported_at=exported_at, notes=view.notes).rows()
    rows = [("export", kind), ("exported at (UTC)", exported_at or utc_now()), ("ctkb version", __version__),
            ("run", "none (matches by similarity only)"),
            ("rubric", f"{rubric.name} version {rubric.version}"), ("rubric checksum (sha256)", rubric.checksum)]
    for doc_id in dict.fromkeys(docs):
        record = catalog.find_document(doc_id)
        rows.append((f"document: {doc_id}", f"sha256 {record.sha256}" if record else "sha256 unknown"))
    return rows + [("note", note) for note in view.notes]


def _rows(view: ArticleView) -> list[list]:
    out = []
    for column in view.countries:
        if not column.matches:
            out.append([view.doc_id, view.label, column.country, None, "", "", "", None, None, "", "", "", "", "",
                        "", "no match"])
        for rank, m in enumerate(column.matches, start=1):
            out.append([view.doc_id, view.label, column.country, rank, m.source, m.criterion or "", m.level or "",
                        m.probability, m.similarity, m.doc_id, m.language, m.citation,
                        pages_label(m.page_start, m.page_end), m.heading or "", ocr_caveat(m.ocr_confidence) or "",
                        m.snippet])
    return out


def alignment_csv(view: ArticleView, provenance: list[tuple[str, str]]) -> str:
    """The view as CSV text: ``#`` provenance lines, the header, one row per match.

    Encode as ``utf-8-sig`` so that spreadsheets read the accents right.
    """
    buffer = io.StringIO()
    for label, value in provenance:
        buffer.write(f"# {label}: {' '.join(value.split())}\r\n")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in _rows(view):
        writer.writerow(["" if v is None else f"{v:.4f}" if isinstance(v, float) else v for v in row])
    return buffer.getvalue()


def alignment_xlsx(view: ArticleView, provenance: list[tuple[str, str]]) -> bytes:
    """The view as .xlsx bytes: the matches, the article with its criteria and levels, the provenance."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Alignment"
    header_row(ws, CSV_COLUMNS, WIDTHS)
    for row in _rows(view):
        append_row(ws, row)
        for cell in ws[ws.max_row]:
            cell.alignment = WRAP
    ws.auto_filter.ref = ws.dimensions
    if ws.max_row > 1:
        colour_levels(ws, f"G2:G{ws.max_row}")
    _article_sheet(wb.create_sheet("Article"), view)
    about = wb.create_sheet("About")
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 34, 100
    for label, value in [*provenance, *(("legend", line) for line in LEGEND)]:
        append_row(about, [label, value])
        about.cell(row=about.max_row, column=1).font = BOLD
    wb.properties.title, wb.properties.creator = f"ctkb article view {view.label}", "ctkb"
    wb.properties.created = datetime.now().replace(microsecond=0)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _article_sheet(ws, view: ArticleView) -> None:
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 22, 100
    for label, value in [("standard", f"{view.title} ({view.doc_id})"), ("article", view.label),
                         ("citation", view.citation), ("heading", view.heading or ""),
                         ("pages", pages_label(view.page_start, view.page_end)), ("text", view.text)]:
        append_row(ws, [label, value])
        ws.cell(row=ws.max_row, column=1).font = BOLD
        ws.cell(row=ws.max_row, column=2).alignment = WRAP
    append_row(ws, [])
    for c in view.criteria:
        append_row(ws, [f"criterion {c.id}", f"{c.title} (legal basis: {'; '.join(c.legal_basis)})"])
        ws.cell(row=ws.max_row, column=1).font = BOLD
    append_row(ws, [])
    for column in view.countries:
        for cov in column.coverage:
            append_row(ws, [f"{column.country} {cov.criterion}",
                            f"{cov.level} (confidence {cov.confidence:.2f}"
                            + (f", {cov.doc_id})" if cov.doc_id else ")")])


def export_alignment(catalog: Catalog, view: ArticleView, rubric: Rubric, out: str | Path) -> Written:
    """Write the view to ``out`` (.csv or .xlsx), whole or not at all."""
    path = check_alignment_output(out)
    provenance = provenance_rows(catalog, view, rubric)
    if path.suffix.lower() == ".csv":
        write_atomic(path, alignment_csv(view, provenance).encode("utf-8-sig"))
    else:
        write_atomic(path, alignment_xlsx(view, provenance))
    matches = sum(len(c.matches) for c in view.countries)
    return Written(path=str(path), summary=xml_safe(
        f"article view {view.label}: {matches} match(es) across {len(view.countries)} countries, "
        f"run {view.run_id or 'none'}"))


def check_alignment_output(out: str | Path) -> Path:
    """``out`` when the article view can be written there (checked before anything is computed).

    Raises:
        CtkbError: Not a .csv/.xlsx name, a folder, or in a folder that does not exist.
    """
    path = Path(out)
    if path.suffix.lower() not in SUFFIXES or path.is_dir():
        raise CtkbError(f"cannot write {path.name!r}: the article view is written as .csv or .xlsx",
                        hint="give --out a file name ending in .csv or .xlsx")
    if not path.parent.is_dir():
        raise CtkbError(f"folder {path.parent} does not exist", hint="create it, or give --out a path in an "
                                                                     "existing folder")
    return path
