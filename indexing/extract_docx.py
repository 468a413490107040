"""DOCX reader (python-docx): body paragraphs and table cells in order, one unnumbered page.

Heading styles give hints at their level ("Title" is level 1); a paragraph opening
with explicitly bold runs gives a level-7 hint over them, as Markdown bold does.
Page headers and footers are not read: they are furniture, not law.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from indexing.extract_markup import BOLD_LEVEL
from indexing.types import RawDocument, RawPage
from kb.errors import (
    CorruptDocumentError,
    EncryptedDocumentError,
    UnsupportedFormatError,
)
from kb.models import HeadingHint

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Encrypted OOXML files are OLE2 containers holding an "EncryptionInfo" stream (UTF-16 name).
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)


def extract_docx(path: Path) -> RawDocument:
    """Extract a DOCX body.

    Raises:
        EncryptedDocumentError: A password-protected Office file.
        UnsupportedFormatError: A legacy binary .doc named .docx.
        CorruptDocumentError: python-docx cannot open it.
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _reject_ole2(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptDocumentError(path, f"is not a readable DOCX ({_why(exc)})") from None
    except Exception as exc:  # lxml syntax errors and friends from a damaged package
        raise CorruptDocumentError(path, f"is not a readable DOCX ({_why(exc)})") from None
    lines: list[str] = []
    hints: list[HeadingHint] = []
    pos = 0
    try:
        for text, level, bold_prefix in _blocks(document):
            text = text.replace("\r", "\n")
            if level is not None and text.strip():
                hints.append(HeadingHint(start=pos, end=pos + len(text.rstrip()), level=level))
            elif bold_prefix:
                hints.append(HeadingHint(start=pos, end=pos + bold_prefix, level=BOLD_LEVEL))
            lines.append(text)
            pos += len(text) + 1
    except Exception as exc:  # malformed XML inside the body
        raise CorruptDocumentError(path, f"its body cannot be read ({_why(exc)})") from None
    title = (document.core_properties.title or "").strip()
    return RawDocument(path=str(path), format="docx", pages=[RawPage(text="\n".join(lines), headings=hints)],
                       metadata={"title": title} if title else {})


def _reject_ole2(path: Path) -> None:
    with open(path, "rb") as handle:
        head = handle.read(len(_OLE2))
        if head != _OLE2:
            return
        body = handle.read()
    if _ENCRYPTION_INFO in body:
        raise EncryptedDocumentError(path, "is a password-protected Office document")
    raise UnsupportedFormatError(path, "is a legacy Word .doc (OLE2), not a DOCX",
                                 hint="save it as .docx or PDF and index that")


def _blocks(container):
    """Yield (text, heading level or None, length of a leading bold prefix) per paragraph,
    walking tables cell by cell (merged cells once)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for item in container.iter_inner_content():
        if isinstance(item, Paragraph):
            yield item.text, _heading_level(item), _bold_prefix(item)
        elif isinstance(item, Table):
            seen: set[int] = set()
            for row in item.rows:
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    yield from _blocks(cell)


def _heading_level(paragraph) -> int | None:
    """Level from the paragraph style or the style it is based on ("Heading 2" -> 2)."""
    style = paragraph.style
    for _ in range(5):  # custom heading styles are usually based on a built-in one
        if style is None:
            return None
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return max(1, min(9, int(match.group(1))))
        style = style.base_style
    return None


def _bold_prefix(paragraph) -> int:
    """Length of the paragraph's leading text in explicitly bold runs (0 if none)."""
    prefix = ""
    for run in paragraph.runs:
        if not run.text:
            continue
        if run.bold is not True:
            if run.text.strip():
                break
            prefix += run.text
            continue
        prefix += run.text
    prefix = prefix.rstrip()
    if not prefix.strip() or not paragraph.text.startswith(prefix):
        return 0
    return len(prefix)


def _why(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:160]
