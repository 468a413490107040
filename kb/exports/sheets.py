"""Spreadsheet building blocks shared by the matrix and the comparison (openpyxl)."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kb.app_data import LEVEL_COLOUR
from kb.exports.provenance import Provenance
from kb.exports.text import xml_safe
from kb.scoring.models import LEVELS, NOT_PROOF_OF_ABSENCE

BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def append_row(ws: Worksheet, values: list) -> None:
    """A row of values; text stays text (a value starting with ``=`` is not a formula)."""
    ws.append([xml_safe(v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"


def header_row(ws: Worksheet, names: list[str] | tuple[str, ...], widths: list[int] | tuple[int, ...]) -> None:
    append_row(ws, list(names))
    for i, width in enumerate(widths, start=1):
        ws.cell(row=1, column=i).font = BOLD
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "C2" if len(names) > 2 else "A2"


def colour_levels(ws: Worksheet, cells: str) -> None:
    """Colour ``cells`` (an A1 range) by the level they start with, as conditional formatting."""
    first = cells.split(":")[0]
    for level in LEVELS:
        fill = PatternFill(start_color=LEVEL_COLOUR[level].lstrip("#").upper(),
                           end_color=LEVEL_COLOUR[level].lstrip("#").upper(), fill_type="solid")
        # Relative to the range's first cell; matches "partial" and "partial ✓" alike.
        ws.conditional_formatting.add(cells, FormulaRule(formula=[f'LEFT({first},{len(level)})="{level}"'],
                                                         fill=fill))


def about_sheet(ws: Worksheet, provenance: Provenance, legend: list[str]) -> None:
    """The provenance as (label, value) rows, then the caveat and the ``legend`` lines."""
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 34, 100
    for label, value in [*provenance.rows(), ("caveat", NOT_PROOF_OF_ABSENCE), *(("legend", x) for x in legend)]:
        append_row(ws, [label, value])
        ws.cell(row=ws.max_row, column=1).font = BOLD


def workbook_bytes(wb: Workbook, title: str, provenance: Provenance) -> bytes:
    wb.properties.title, wb.properties.creator = title, "ctkb"
    wb.properties.subject = f"run {provenance.run_label}"
    wb.properties.description = (f"rubric sha256 {provenance.rubric_checksum}; calibration "
                                 f"{provenance.calibration_checksum}; exported {provenance.exported_at}")
    wb.properties.created = datetime.fromisoformat(provenance.exported_at).replace(tzinfo=None)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
