"""Countries by criteria: every country's level per criterion in a run, as XLSX or CSV.

    rows = matrix_cells(ctx)          # one MatrixCell per (country, criterion), reviews applied
    data = render_xlsx(ctx, rows, prov)
    text = render_csv(rows, prov)

The workbook has a "Matrix" sheet (countries x criteria, one level per cell, ``✓`` when
reviewed), a sheet per pillar with one row per (country, criterion) and its confidence,
reviewed flag, evidence citations and reviewer notes, a "Criteria" sheet and an "About"
sheet with the provenance. Data sheets have a frozen header row, filters, and cells coloured by
level (conditional formatting, the app's colours).

The CSV holds the pillar sheets' rows, with the pillar as a column. Its provenance comes first
as lines starting with ``#`` (``# run: r2026...``), then the header: skip the ``#`` lines to
read it (``pandas.read_csv(f, skiprows=n)``, or drop them before ``csv.DictReader``).
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import Field

from kb.errors import CtkbError
from kb.exports.context import ExportContext
from kb.exports.provenance import Provenance
from kb.exports.sheets import WRAP, about_sheet, append_row, colour_levels, header_row, workbook_bytes
from kb.exports.text import pages_label, xml_safe
from kb.models import Strict
from kb.scoring.models import NOT_PROOF_OF_ABSENCE, Level

REVIEWED_MARK = "✓"
CSV_COLUMNS = ("run", "country", "pillar", "criterion", "title", "level", "reviewed", "machine_level", "confidence",
               "language", "evidence", "documents", "reviewer", "reviewed_at", "review_comment", "needs_rereview")
DETAIL_HEADER = ("Country", "Criterion", "Title", "Level", "Reviewed", "Machine level", "Confidence", "Language",
                 "Evidence (document: citation, pages)", "Documents scored", "Reviewer notes")
DETAIL_WIDTHS = (9, 10, 34, 10, 10, 13, 11, 10, 60, 34, 50)


class MatrixCell(Strict):
    """One (country, criterion) of the matrix.

    Attributes:
        level: The reviewer's level when reviewed, else the machine's.
        evidence: Citations the level rests on: ``doc: Section 3, p. 4`` (the reviewer's when reviewed).
    """

    country: str
    pillar: str
    criterion: str
    title: str
    level: Level
    reviewed: bool
    machine_level: Level
    confidence: float
    language: str
    evidence: list[str] = Field(default_factory=list)
    documents: list[str] = Field(default_factory=list)
    reviewer: str = ""
    reviewed_at: str = ""
    review_comment: str = ""
    needs_rereview: bool = False

    @property
    def notes(self) -> str:
        if not self.reviewed:
            return ""
        again = " Needs another review: the machine's score changed since." if self.needs_rereview else ""
        return f"{self.reviewer}, {self.reviewed_at[:10]}: {self.review_comment}{again}"


def matrix_cells(ctx: ExportContext) -> list[MatrixCell]:
    """Every country's criteria in rubric order, countries sorted, reviews applied.

    Raises:
        CtkbError: The run has no scores at all.
    """
    if not ctx.countries:
        raise CtkbError(f"run {ctx.run.id} has no scores", hint="index documents, score them with `ctkb score`, "
                                                                 "then export")
    out = []
    for country in ctx.countries:
        for cell in ctx.cells(country):
            m, r = cell.machine, cell.review
            evidence = [f"{e.doc_id}: {e.citation}" + (f", {pages_label(e.page_start, e.page_end)}"
                                                        if e.page_start is not None else "")
                        for e in ctx.evidence(cell)]
            out.append(MatrixCell(
                country=country, pillar=ctx.rubric.pillars.get(m.pillar, m.pillar), criterion=m.criterion,
                title=m.title, level=cell.level, reviewed=cell.reviewed, machine_level=m.level,
                confidence=m.confidence, language=m.language, evidence=[xml_safe(e) for e in evidence],
                documents=m.rests_on, reviewer=xml_safe(r.reviewer) if r else "",
                reviewed_at=r.created_at if r else "", review_comment=xml_safe(r.comment) if r else "",
                needs_rereview=cell.needs_rereview,
            ))
    return out


# -- CSV --------------------------------------------------------------------------


def render_csv(cells: list[MatrixCell], provenance: Provenance) -> str:
    """The matrix as CSV text: ``#`` provenance lines, the header, one row per (country, criterion).

    Encode as UTF-8 with a byte-order mark (``utf-8-sig``) so that spreadsheets read the
    accents right.
    """
    buffer = io.StringIO()
    for label, value in provenance.rows():
        buffer.write(f"# {label}: {' '.join(value.split())}\r\n")  # one line each, whatever the value
    buffer.write(f"# caveat: {NOT_PROOF_OF_ABSENCE}\r\n")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for c in cells:
        writer.writerow([provenance.run_id, c.country, c.pillar, c.criterion, c.title, c.level,
                         "yes" if c.reviewed else "no", c.machine_level, f"{c.confidence:.4f}", c.language,
                         "; ".join(c.evidence), "; ".join(c.documents), c.reviewer, c.reviewed_at, c.review_comment,
                         "yes" if c.needs_rereview else "no"])
    return buffer.getvalue()


# -- XLSX -------------------------------------------------------------------------

def _matrix_sheet(ws: Worksheet, ctx: ExportContext, cells: list[MatrixCell]) -> None:
    criteria = [c for c in ctx.rubric.criteria if any(m.criterion == c.id for m in cells)]
    header_row(ws, ["Country", *[c.id for c in criteria]], [10] + [9] * len(criteria))
    ws.freeze_panes = "B2"
    for i, c in enumerate(criteria, start=2):
        ws.cell(row=1, column=i).comment = Comment(xml_safe(f"{c.title} ({ctx.rubric.pillars[c.pillar]})"), "ctkb")
    by_pair = {(m.country, m.criterion): m for m in cells}
    for country in dict.fromkeys(m.country for m in cells):
        row = [country]
        for c in criteria:
            m = by_pair.get((country, c.id))
            row.append("" if m is None else m.level + (f" {REVIEWED_MARK}" if m.reviewed else ""))
        append_row(ws, row)
    ws.auto_filter.ref = ws.dimensions
    if ws.max_row > 1:
        colour_levels(ws, f"B2:{get_column_letter(ws.max_column)}{ws.max_row}")


def _pillar_sheet(ws: Worksheet, cells: list[MatrixCell]) -> None:
    header_row(ws, DETAIL_HEADER, DETAIL_WIDTHS)
    for m in cells:
        append_row(ws, [m.country, m.criterion, m.title, m.level, "yes" if m.reviewed else "no", m.machine_level,
                     round(m.confidence, 4), m.language, "\n".join(m.evidence), ", ".join(m.documents), m.notes])
        for cell in ws[ws.max_row]:
            cell.alignment = WRAP
    ws.auto_filter.ref = ws.dimensions
    if ws.max_row > 1:
        colour_levels(ws, f"D2:D{ws.max_row}")
        colour_levels(ws, f"F2:F{ws.max_row}")


def _criteria_sheet(ws: Worksheet, ctx: ExportContext) -> None:
    header_row(ws, ["Criterion", "Pillar", "Title", "Weight", "Present", "Partial", "Legal basis"],
            [10, 14, 34, 8, 60, 50, 40])
    for c in ctx.rubric.criteria:
        append_row(ws, [c.id, ctx.rubric.pillars[c.pillar], c.title, c.weight, c.present, c.partial,
                     "; ".join(c.legal_basis)])
        for cell in ws[ws.max_row]:
            cell.alignment = WRAP
    ws.auto_filter.ref = ws.dimensions


def render_xlsx(ctx: ExportContext, cells: list[MatrixCell], provenance: Provenance) -> bytes:
    """The matrix workbook as .xlsx bytes."""
    wb = Workbook()
    _matrix_sheet(wb.active, ctx, cells)
    wb.active.title = "Matrix"
    for pillar in ctx.rubric.pillars.values():
        mine = [m for m in cells if m.pillar == pillar]
        if mine:
            _pillar_sheet(wb.create_sheet(pillar[:31]), mine)
    _criteria_sheet(wb.create_sheet("Criteria"), ctx)
    about_sheet(wb.create_sheet("About"), provenance, [
        f"Matrix: each cell is the country's level for the criterion; {REVIEWED_MARK} = reviewed by an advisor "
        "(the reviewed level replaces the machine's)",
        "pillar sheets: one row per country and criterion, with the machine's level and confidence, the evidence "
        "and the reviewer's notes",
        "colours: green present, yellow partial, red absent",
    ])
    return workbook_bytes(wb, "ctkb matrix", provenance)
