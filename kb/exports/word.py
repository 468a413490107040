"""Word building blocks shared by the memo and the comparison (python-docx).

Everything is real Word structure a drafting team can edit: built-in styles (Title, Heading
1-3, Quote, List Bullet, Table Grid) and one added paragraph style, ``Provision Citation``,
for the line naming a quoted provision. Document text always goes in as plain runs.
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell

from kb.app_data import LEVEL_COLOUR
from kb.exports.context import Quote
from kb.exports.provenance import Provenance
from kb.exports.text import pages_label, xml_safe

CITATION_STYLE = "Provision Citation"
QUOTE_LIMIT = 1200  # characters of a provision quoted in Word; the note after it says where the rest is


def new_document(title: str, subject: str, provenance: Provenance, *, landscape: bool = False) -> DocxDocument:
    """An empty document with core properties, margins, the citation style and a footer naming the run."""
    doc = Document()
    props = doc.core_properties
    props.title, props.subject, props.author, props.last_modified_by = title, subject, "ctkb", "ctkb"
    props.keywords = f"ctkb; run {provenance.run_id}; rubric {provenance.rubric_name}"
    props.comments = (f"run {provenance.run_label}; rubric sha256 {provenance.rubric_checksum}; calibration "
                      f"{provenance.calibration_checksum}; exported {provenance.exported_at}")
    props.created = props.modified = datetime.fromisoformat(provenance.exported_at)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, as most of the countries print
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))
    style = doc.styles.add_style(CITATION_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.bold = True
    style.paragraph_format.keep_with_next = True
    style.paragraph_format.space_before = Pt(8)
    style.paragraph_format.space_after = Pt(2)
    _footer(section.footer.paragraphs[0], f"ctkb · {title} · run {provenance.run_id} · page ")
    return doc


def _footer(paragraph, text: str) -> None:
    paragraph.add_run(xml_safe(text)).font.size = Pt(8)
    field = OxmlElement("w:fldSimple")  # a PAGE field: Word and LibreOffice fill in the number
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    number = OxmlElement("w:t")
    number.text = "1"
    run.append(number)
    field.append(run)
    paragraph._p.append(field)


def to_bytes(doc: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def labelled(doc: DocxDocument, label: str, text: str, *, style: str | None = None) -> None:
    """A paragraph starting with a bold label: ``Legal basis: ...``."""
    p = doc.add_paragraph(style=style)
    p.add_run(xml_safe(label) + " ").bold = True
    p.add_run(xml_safe(text))


def shade(cell: _Cell, colour: str) -> None:
    """Fill a table cell with ``#rrggbb``."""
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#").upper())
    cell._tc.get_or_add_tcPr().append(shading)


def table(doc: DocxDocument, header: list[str] | None, rows: list[list[str]], *, level_column: int | None = None,
          widths: list[float] | None = None, font_size: float | None = None) -> Table:
    """A 'Table Grid' table; with a header, its bold row repeats on every page.

    Args:
        header: Column names; None for a two-column "label: value" table (labels bold).
        level_column: Index of a column holding levels; its cells are coloured by level.
        widths: Column widths in centimetres.
        font_size: Point size of the text (header included).
    """
    columns = len(header) if header else len(rows[0]) if rows else 2
    t = doc.add_table(rows=0, cols=columns)
    t.style = doc.styles["Table Grid"]
    if header:
        head = t.add_row()
        repeat_header(head)
        for cell, text in zip(head.cells, header):
            cell.paragraphs[0].add_run(xml_safe(text)).bold = True
    for values in rows:
        cells = t.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values)):
            cell.paragraphs[0].add_run(xml_safe(text)).bold = header is None and i == 0
            level = text.split(" ")[0] if i == level_column else None
            if level in LEVEL_COLOUR:
                shade(cell, LEVEL_COLOUR[level])
    if font_size:
        for run in (r for row in t.rows for cell in row.cells for p in cell.paragraphs for r in p.runs):
            run.font.size = Pt(font_size)
    if widths:
        t.autofit = False  # Word and LibreOffice then keep the grid's widths
        for column, width in zip(t.columns, widths):
            column.width = Cm(width)
        for row in t.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Cm(width)
    return t


def repeat_header(row) -> None:
    """Repeat a table's first row at the top of every page it runs onto."""
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def citation_line(q: Quote, *, with_country: bool = False) -> str:
    """``ZMB: Section 3 — Anti-Human Trafficking Act [zmb-ahta-2008], p. 4``: parseable, one line."""
    where = f"{q.citation}" + (f" ({q.heading})" if q.heading else "")
    pages = pages_label(q.page_start, q.page_end)
    return ((f"{q.country}: " if with_country else "") + f"{where} — {q.title} [{q.doc_id}]"
            + (f", {pages}" if pages else ""))


def quote(container, q: Quote, *, with_country: bool = False) -> None:
    """A quoted provision: its citation line, then the text in the Quote style, then any note.

    ``container`` is the document or a table cell (both have ``add_paragraph``).
    """
    container.add_paragraph(xml_safe(citation_line(q, with_country=with_country)), style=CITATION_STYLE)
    body = container.add_paragraph(style="Quote")
    text = xml_safe(q.text)
    # Offsets hold only while no character was dropped as unfit for XML.
    spans = _merged(q.highlights, len(text)) if text == q.text else []
    pos = 0
    for a, b in spans:  # key terms in bold; every part a plain text run
        if a > pos:
            body.add_run(text[pos:a])
        body.add_run(text[a:b]).bold = True
        pos = b
    if pos < len(text) or not text:
        body.add_run(text[pos:])
    if q.ocr_caveat:  # its own line right under the quote, so that it travels with a copied quote
        container.add_paragraph().add_run(xml_safe(f"⚠ {q.ocr_caveat}")).italic = True
    notes = []
    if q.truncated:
        notes.append(f"shortened here; the whole provision: ctkb show {q.doc_id} --provision {q.number}")
    if q.from_snippet:
        notes.append("the document was re-indexed after the run; this is the passage the run recorded")
    if notes:
        container.add_paragraph().add_run(xml_safe("[" + "; ".join(notes) + "]")).italic = True


def ocr_documents(doc, p: Provenance) -> None:
    """A paragraph naming the documents read (in part) by OCR, when any: their quotes are marked."""
    scanned = [d for d in p.documents if d.ocr_pages]
    if scanned:
        doc.add_paragraph("Read by OCR (scanned pages): " + "; ".join(f"{d.id} ({d.ocr_summary})" for d in scanned)
                          + ". Quotes of this text are marked; check them against the original.")


def provenance_section(doc, p: Provenance, how: str) -> None:
    """The closing "About" section: every provenance field, and the command that remakes the file."""
    doc.add_heading("About this document", level=1)
    doc.add_paragraph(f"Made by ctkb {p.ctkb_version} on {p.exported_at} (UTC). To make it again: {how}")
    table(doc, None, [[label, value] for label, value in p.rows()], widths=[4.5, 12], font_size=8)


def _merged(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans inside ``[0, length]``."""
    merged: list[list[int]] = []
    for a, b in sorted(set(spans)):
        if not 0 <= a < b <= length:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]
