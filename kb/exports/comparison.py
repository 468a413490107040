"""One criterion across two to six countries, side by side, as Word or XLSX.

    table = build_comparison(load_context(catalog, "scored"), "PRS-01", ["ARG", "BRA", "ZMB"])
    docx_bytes, xlsx_bytes = render_docx(table), render_xlsx(table)

The columns are :func:`kb.compare.compare`'s (the country's best level and the evidence it rests
on, cue words in bold), with advisors' reviews applied: a reviewed level replaces the machine's
and is marked, and a reviewer's choice of provisions replaces the machine's evidence.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pydantic import Field

from kb.app_data import LEVEL_COLOUR
from kb.compare import compare
from kb.exports import word
from kb.exports.context import ExportContext, Quote, criterion_of, quote_of
from kb.exports.provenance import Provenance, build_provenance
from kb.exports.sheets import about_sheet, append_row, colour_levels, workbook_bytes
from kb.exports.text import clip, pages_label, xml_safe
from kb.models import Strict
from kb.ocr_quality import OCR_CAVEAT
from kb.scoring.models import NOT_PROOF_OF_ABSENCE, Level

CELL_LIMIT = 32_000  # a spreadsheet cell holds 32,767 characters


class Column(Strict):
    """One country in the comparison.

    Attributes:
        level: The reviewer's level when reviewed, else the machine's.
        provisions: Whole provisions (cut to the spreadsheet's cell limit; Word cuts further).
    """

    country: str
    level: Level
    machine_level: Level
    confidence: float
    language: str
    reviewed: bool
    notes: str = ""
    documents: list[str] = Field(default_factory=list)
    provisions: list[Quote] = Field(default_factory=list)


class Comparison(Strict):
    criterion: str
    title: str
    present: str
    partial: str
    legal_basis: list[str]
    columns: list[Column]
    provenance: Provenance
    caveat: str = NOT_PROOF_OF_ABSENCE

    @property
    def name(self) -> str:
        return f"{self.criterion} {self.title}"


def build_comparison(ctx: ExportContext, criterion: str, countries: list[str], *,
                     exported_at: str | None = None) -> Comparison:
    """The comparison's content, reviews applied.

    Raises:
        NotFoundError: Unknown criterion (listing the rubric's ids).
        CtkbError: Fewer than two, more than six or repeated countries, or a country without
            scores in the run (the hint names those with scores).
    """
    c = criterion_of(ctx, criterion)
    machine = compare(ctx.catalog, ctx.scores, ctx.rubric, criterion, countries)
    columns = []
    for col in machine:
        cell = next(x for x in ctx.cells(col.country) if x.criterion == criterion)
        r = cell.review
        same = r is None or set(r.evidence) == {p.provision_id for p in col.provisions}
        quotes = ([quote_of(p, CELL_LIMIT) for p in col.provisions] if same
                  else ctx.quotes(cell, limit=CELL_LIMIT))
        notes = "" if r is None else xml_safe(f"{r.reviewer}, {r.created_at[:10]} ({r.action}): {r.comment}")
        columns.append(Column(country=col.country, level=cell.level, machine_level=col.level,
                              confidence=col.confidence, language=col.language, reviewed=cell.reviewed, notes=notes,
                              documents=col.documents, provisions=[] if cell.level == "absent" else quotes))
    docs = [d for col in columns for d in col.documents]
    provenance = build_provenance(ctx, f"comparison {criterion} {' '.join(x.country for x in columns)}", docs,
                                  exported_at=exported_at)
    return Comparison(criterion=c.id, title=xml_safe(c.title), present=xml_safe(c.present),
                      partial=xml_safe(c.partial), legal_basis=[xml_safe(b) for b in c.legal_basis],
                      columns=columns, provenance=provenance)


def _level_label(col: Column) -> str:
    if not col.reviewed:
        return col.level
    return f"{col.level} (reviewed; machine: {col.machine_level})"


def _citations(col: Column) -> str:
    return "\n".join(f"{q.doc_id}: {q.citation}" + (f", {pages_label(q.page_start, q.page_end)}"
                                                     if q.page_start is not None else "") for q in col.provisions)


# -- Word ---------------------------------------------------------------------------


def render_docx(cmp: Comparison) -> bytes:
    """The comparison as .docx bytes (landscape): the standard, the levels, the provisions side by side."""
    p = cmp.provenance
    doc = word.new_document(f"Comparison: {cmp.name}", f"{p.rubric_name} comparison, run {p.run_id}", p,
                            landscape=True)
    doc.add_heading(f"{cmp.name}: " + ", ".join(c.country for c in cmp.columns), level=0)
    word.labelled(doc, "Present:", cmp.present)
    word.labelled(doc, "Partial:", cmp.partial)
    word.labelled(doc, "Legal basis:", "; ".join(cmp.legal_basis) or "—")
    doc.add_paragraph(f"Run {p.run_label}, exported {p.exported_at[:10]}. Levels are each country's best across "
                      "its documents; a reviewed level replaces the machine's.")
    word.ocr_documents(doc, p)
    doc.add_heading("Levels", level=1)
    word.table(doc, ["", *[c.country for c in cmp.columns]], [
        ["Level", *[_level_label(c) for c in cmp.columns]],
        ["Confidence (language)", *[f"{c.confidence:.2f} ({c.language})" for c in cmp.columns]],
        ["Reviewer notes", *[c.notes or "—" for c in cmp.columns]],
        ["Documents scored", *[", ".join(c.documents) for c in cmp.columns]],
        ["Evidence", *[_citations(c) or "—" for c in cmp.columns]],
    ], font_size=9)
    _shade_levels(doc.tables[-1], cmp)
    doc.add_page_break()
    doc.add_heading("Provisions side by side", level=1)
    side = doc.add_table(rows=1, cols=len(cmp.columns))
    side.style = doc.styles["Table Grid"]
    word.repeat_header(side.rows[0])
    for cell, col in zip(side.rows[0].cells, cmp.columns):
        cell.paragraphs[0].add_run(f"{col.country} — {col.level}").bold = True
    for i in range(max((len(c.provisions) for c in cmp.columns), default=0) or 1):
        cells = side.add_row().cells
        for cell, col in zip(cells, cmp.columns):
            if i < len(col.provisions):
                q = col.provisions[i]
                text, cut = clip(q.text, word.QUOTE_LIMIT)  # the workbook keeps the whole text, Word a quote
                word.quote(cell, q.model_copy(update={"text": text, "truncated": cut or q.truncated}))
            elif i == 0:
                cell.add_paragraph("Nothing found in the documents scored." if col.level == "absent"
                                   else "No provision cited.")
            _drop_empty_first(cell)
    doc.add_paragraph().add_run(cmp.caveat[0].upper() + cmp.caveat[1:] + ".").italic = True
    countries = " ".join(f"--country {c.country}" for c in cmp.columns)
    word.provenance_section(doc, p, f"ctkb export compare --criterion {cmp.criterion} {countries} "
                                    f"--run {p.run_id} --out FILE.docx")
    return word.to_bytes(doc)


def _shade_levels(t, cmp: Comparison) -> None:
    for cell, col in zip(t.rows[1].cells[1:], cmp.columns):
        word.shade(cell, LEVEL_COLOUR[col.level])


def _drop_empty_first(cell) -> None:
    first = cell.paragraphs[0]
    if len(cell.paragraphs) > 1 and not first.text:
        first._element.getparent().remove(first._element)


# -- XLSX ---------------------------------------------------------------------------

PROVISION_COLUMNS = ("Country", "Level", "Reviewed", "Confidence", "Language", "Document", "Citation", "Pages",
                     "Heading", "OCR", "Text")


def render_xlsx(cmp: Comparison) -> bytes:
    """The comparison as .xlsx bytes: a side-by-side sheet, a sheet of provisions, and "About"."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Comparison"
    append_row(ws, [cmp.criterion, *[c.country for c in cmp.columns]])
    rows = [("Level", [_level_label(c) for c in cmp.columns]),
            ("Confidence", [round(c.confidence, 4) for c in cmp.columns]),
            ("Language", [c.language for c in cmp.columns]),
            ("Reviewer notes", [c.notes for c in cmp.columns]),
            ("Documents scored", [", ".join(c.documents) for c in cmp.columns])]
    for i in range(max((len(c.provisions) for c in cmp.columns), default=0)):
        got = [c.provisions[i] if i < len(c.provisions) else None for c in cmp.columns]
        rows.append((f"Provision {i + 1}", [word.citation_line(q) if q else "" for q in got]))
        rows.append((f"Text {i + 1}", [q.text if q else "" for q in got]))
        if any(q and q.ocr_caveat for q in got):  # the row only where a quote is from OCR
            rows.append((f"OCR {i + 1}", [(q.ocr_caveat or "") if q else "" for q in got]))
    for label, values in rows:
        append_row(ws, [label, *values])
    ws.column_dimensions["A"].width = 18
    for i in range(2, len(cmp.columns) + 2):
        ws.column_dimensions[get_column_letter(i)].width = 60
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in (*ws[1], *ws["A"]):
        cell.font = Font(bold=True)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = ws.dimensions
    colour_levels(ws, f"B2:{get_column_letter(len(cmp.columns) + 1)}2")

    sheet = wb.create_sheet("Provisions")
    append_row(sheet, list(PROVISION_COLUMNS))
    for col in cmp.columns:
        head = [col.country, col.level, "yes" if col.reviewed else "no", round(col.confidence, 4), col.language]
        for q in col.provisions or [None]:
            append_row(sheet, head + ([q.title, q.citation, pages_label(q.page_start, q.page_end), q.heading or "",
                                    q.ocr_caveat or "", q.text] if q else ["", "", "", "", "", ""]))
    for i, width in enumerate((9, 10, 9, 11, 9, 30, 24, 9, 24, 30, 100), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.cell(row=1, column=i).font = Font(bold=True)
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = sheet.dimensions
    colour_levels(sheet, f"B2:B{max(sheet.max_row, 2)}")
    about_sheet(wb.create_sheet("About"), cmp.provenance, [
        f"comparison of {cmp.name} across {', '.join(c.country for c in cmp.columns)}",
        "a level marked reviewed was set by an advisor and replaces the machine's",
        f"OCR: set when a provision's text is from OCR ({OCR_CAVEAT})",
    ])
    return workbook_bytes(wb, f"ctkb comparison {cmp.criterion}", cmp.provenance)
