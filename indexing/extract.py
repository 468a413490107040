"""Extraction: read a document file into pages of raw text plus format heading hints.

Format-specific readers live in :mod:`indexing.extract_markup` (Markdown, TXT),
:mod:`indexing.extract_html`, :mod:`indexing.extract_pdf` and
:mod:`indexing.extract_docx`; this module sniffs the format, reads bytes safely and
dispatches. Every failure is a
:class:`kb.errors.DocumentError` subclass whose one-line message names the file.
"""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

from indexing.ocr import OcrOptions, PageCallback
from indexing.types import RawDocument
from kb.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncodingError,
    UnsupportedFormatError,
)
from kb.models import Format

VERSION = "extract@1"

_EXTENSIONS: dict[str, Format] = {
    ".pdf": "pdf",
    ".md": "md",
    ".markdown": "md",
    ".mdown": "md",
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".docx": "docx",
}

# How far into a file the content sniffers look.
_SNIFF_BYTES = 2048


def detect_format(path: Path) -> Format:
    """Decide a file's format, by its content first and its extension second.

    Content wins because downloaded legal texts are often misnamed (an HTML error page
    saved as ``.pdf``, a DOCX saved without an extension).

    Args:
        path: The file.

    Returns:
        The format.

    Raises:
        DocumentError: The file cannot be read.
        UnsupportedFormatError: Neither content nor extension says a supported format.
    """
    path = Path(path)
    head = _read_head(path)
    sniffed = _sniff(path, head)
    if sniffed is not None:
        return sniffed
    by_ext = _EXTENSIONS.get(path.suffix.lower())
    if by_ext is not None:
        return by_ext
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFormatError(path, "is a legacy Word .doc (OLE2) file",
                                     hint="save it as .docx or PDF and index that")
    raise UnsupportedFormatError(path, f"unrecognised format (extension {path.suffix or 'none'!r})")


def extract(path: Path, fmt: Format | None = None, ocr: OcrOptions | None = None,
            on_page: PageCallback | None = None) -> RawDocument:
    """Extract a document's text page by page.

    Args:
        path: The file.
        fmt: Its format if known (e.g. from the manifest); sniffed when None.
        ocr: How PDF pages without a text layer get text (None: they don't, see
            :func:`indexing.extract_pdf.extract_pdf`).
        on_page: Called after each OCR'd page.

    Returns:
        The raw document. PDFs have numbered pages; other formats one page, number None.

    Raises:
        EmptyDocumentError: The file is empty or holds only whitespace.
        EncodingError: A Markdown/TXT file is not valid UTF-8.
        EncryptedDocumentError, CorruptDocumentError, NeedsOcrError: PDF/DOCX problems.
        UnsupportedFormatError: Unknown format.
    """
    path = Path(path)
    data = read_bytes(path)
    if not data.strip():
        raise EmptyDocumentError(path, f"is empty ({len(data)} bytes, no text)")
    fmt, note = _settle_format(path, data, fmt)
    if fmt in ("md", "txt", "html"):
        _refuse_binary(path, data)
    if fmt == "pdf":
        from indexing.extract_pdf import extract_pdf

        raw = extract_pdf(path, ocr, on_page)
    elif fmt == "docx":
        from indexing.extract_docx import extract_docx

        raw = extract_docx(path)
    elif fmt == "html":
        from indexing.extract_html import extract_html

        raw = extract_html(path, data)
    elif fmt == "md":
        from indexing.extract_markup import extract_markdown

        raw = extract_markdown(path, decode_utf8(path, data))
    elif fmt == "txt":
        from indexing.extract_markup import extract_text

        raw = extract_text(path, decode_utf8(path, data))
    else:  # pragma: no cover - Format is a closed Literal
        raise UnsupportedFormatError(path, f"unsupported format {fmt!r}")
    if not any(page.text.strip() for page in raw.pages):
        raise EmptyDocumentError(path, "has no text once its markup is removed")
    if note:
        raw.metadata["format_note"] = note
    return raw


_NAMES = {"pdf": "PDF", "docx": "DOCX", "html": "HTML", "md": "Markdown", "txt": "plain text"}


def _settle_format(path: Path, data: bytes, fmt: Format | None) -> tuple[Format, str]:
    """The format to read the file as, and a note when its name (or the manifest) says
    another: the content wins for PDF, DOCX and HTML, which announce themselves."""
    said = fmt or _EXTENSIONS.get(path.suffix.lower())
    sniffed = _sniff(path, data[:_SNIFF_BYTES])
    if sniffed is None:
        return fmt or detect_format(path), ""
    if said is None or said == sniffed:
        return sniffed, ""
    source = "the manifest says" if fmt else f"named {path.suffix or 'without extension'}, so"
    return sniffed, f"read as {_NAMES[sniffed]} from its content ({source} {_NAMES[said]})"


# Bytes that never occur in text: NUL and C0 controls other than tab, newlines, form feed and ESC.
_BINARY_BYTES = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32), 127])
_BINARY_SHARE = 0.05


def _refuse_binary(path: Path, data: bytes) -> None:
    """A "text" file holding binary data (an image, an archive, a Word .doc renamed .txt)
    fails with that reason rather than as bad UTF-8 or as garbage text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # UTF-16 text is full of NULs
    head = data[:65536]
    nul = head.find(b"\x00")
    controls = len(head) - len(head.translate(None, _BINARY_BYTES))
    if nul >= 0 or controls > _BINARY_SHARE * len(head):
        where = f"a NUL byte at offset {nul}" if nul >= 0 else f"{controls} control bytes in its first {len(head)}"
        kind = " (a legacy Word .doc)" if data.startswith(b"\xd0\xcf\x11\xe0") else ""
        raise UnsupportedFormatError(
            path, f"is a binary file{kind}, not text ({where})",
            hint="check you gave the right file; supported formats: pdf, md, txt, html, docx (text in UTF-8)",
        )


def read_bytes(path: Path) -> bytes:
    """Read a whole file, turning OS errors into a DocumentError naming the file."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DocumentError(path, "file not found", hint="check the path in the manifest") from None
    except IsADirectoryError:
        raise DocumentError(path, "is a directory, not a file", hint="give a file path") from None
    except OSError as exc:
        raise DocumentError(path, f"cannot be read ({exc.strerror or exc})",
                            hint="check the file's permissions") from None


def decode_utf8(path: Path, data: bytes) -> str:
    """Decode a text file strictly as UTF-8 (a BOM may say UTF-8 or UTF-16).

    We do not guess legacy encodings: a wrong guess silently corrupts names and
    diacritics in legal text, so the user is asked to convert instead.

    Raises:
        EncodingError: With the 1-based line number of the first bad byte.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise EncodingError(path, f"invalid UTF-16 despite its byte-order mark ({exc.reason})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EncodingError(
            path, f"is not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}", line=line
        ) from None


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise DocumentError(path, "file not found", hint="check the path in the manifest") from None
    except OSError as exc:
        raise DocumentError(path, f"cannot be read ({exc.strerror or exc})",
                            hint="check the file's permissions") from None


def _sniff(path: Path, head: bytes) -> Format | None:
    # PDF readers accept junk before the header, so look anywhere in the first block.
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    text = head.lstrip(codecs.BOM_UTF8).lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")) or (
        text.startswith(b"<?xml") and b"<html" in text
    ):
        return "html"
    return None


def _sniff_zip(path: Path) -> Format:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        if path.suffix.lower() == ".docx":
            raise CorruptDocumentError(path, f"is a damaged zip/DOCX archive ({exc})") from None
        raise UnsupportedFormatError(path, f"is a damaged zip archive ({exc})") from None
    if "word/document.xml" in names:
        return "docx"
    raise UnsupportedFormatError(path, "is a zip archive without word/document.xml (not a DOCX)",
                                 hint="unpack it and index the documents inside")
