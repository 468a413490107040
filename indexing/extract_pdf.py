"""PDF reader (pypdf): text page by page, with pypdf's failures mapped to typed errors."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import (
    DependencyError,
    FileNotDecryptedError,
    LimitReachedError,
    PdfReadError,
    PyPdfError,
)

from indexing.ocr import OcrOptions, PageCallback, ocr_pages, usable_layer
from indexing.types import RawDocument, RawPage
from kb.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    NeedsOcrError,
)

# Below this many non-space characters per page on average, the "text" is stray
# marks (page numbers, scanner stamps) over page images: the PDF is a scan.
MIN_CHARS_PER_PAGE = 20

_log = logging.getLogger(__name__)

# Document-information titles that name the authoring file or template, not the law
# ("P L 000372 (E) Women and Children.p65", "Home Office document template").
_JUNK_TITLE = re.compile(
    r"\.(?:p65|pm\d|docx?|rtf|pdf|indd|qxd|odt|wpd|txt)\s*$|\btemplate\b|^microsoft word\b|^untitled\b|^\W*$",
    re.I,
)


def extract_pdf(path: Path, ocr: OcrOptions | None = None, on_page: PageCallback | None = None) -> RawDocument:
    """Extract the text layer of every page, and OCR the pages that lack one.

    Args:
        path: The PDF file.
        ocr: Which pages to OCR and how (:class:`indexing.ocr.OcrOptions`); None never OCRs.
        on_page: Called after each OCR'd page with (done, total, page).

    Returns:
        A raw document with ``RawPage(number=i + 1)`` per page and ``page_count``.

    Raises:
        EncryptedDocumentError: Password-protected (an empty user password is tried first),
            or AES-encrypted while the ``cryptography`` package is missing.
        CorruptDocumentError: pypdf cannot parse the file or one of its pages.
        EmptyDocumentError: The PDF has no pages.
        NeedsOcrError: No usable text layer (a scan) and OCR is off (``never``).
        indexing.ocr.OcrUnavailableError: OCR is needed but Tesseract or the language pack is missing.
    """
    reader = _open(path)
    try:
        count = len(reader.pages)
    except FileNotDecryptedError:
        raise EncryptedDocumentError(path, "is encrypted and could not be opened") from None
    except LimitReachedError as exc:
        raise _bomb(path, exc, None) from None
    except Exception as exc:  # pypdf raises assorted errors on broken page trees
        raise CorruptDocumentError(path, f"its page tree cannot be read ({_why(exc)})") from None
    if count == 0:
        raise EmptyDocumentError(path, "is a PDF with no pages")
    pages = [RawPage(number=i + 1, text=_page_text(path, reader, i)) for i in range(count)]
    mode = ocr.mode if ocr is not None else "never"
    if mode == "never":
        visible = sum(len("".join(page.text.split())) for page in pages)
        if visible < MIN_CHARS_PER_PAGE * count:
            raise NeedsOcrError(path, count)
    else:
        wanted = [p.number for p in pages if mode == "always" or not usable_layer(p.text)]
        for number, page in ocr_pages(path, wanted, ocr, on_page).items():
            if page.words:  # a blank page stays a page without text, not "text from OCR"
                pages[number - 1] = RawPage(number=number, text=page.text, ocr_confidence=page.confidence)
        if not any(usable_layer(p.text) for p in pages):
            raise EmptyDocumentError(path, f"OCR found no readable text on its {count} page(s)",
                                     hint="check the scan is legible and the manifest's language is right")
    return RawDocument(path=str(path), format="pdf", pages=pages, page_count=count,
                       metadata=_metadata(reader))


def _open(path: Path) -> PdfReader:
    """Open and, when encrypted, try the empty user password (common on official PDFs
    that are "protected" only against editing)."""
    try:
        reader = PdfReader(str(path), strict=False)
    except DependencyError as exc:
        raise EncryptedDocumentError(
            path, f"is encrypted with a cipher pypdf cannot use here ({_why(exc)})",
            hint="install the `cryptography` package, or save an unencrypted copy and index that",
        ) from None
    except LimitReachedError as exc:
        raise _bomb(path, exc, None) from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError) as exc:
        raise CorruptDocumentError(path, f"is not a readable PDF ({_why(exc)})") from None
    if not reader.is_encrypted:
        return reader
    try:
        result = reader.decrypt("")
    except DependencyError as exc:
        raise EncryptedDocumentError(
            path, f"is AES-encrypted and pypdf lacks its crypto dependency ({_why(exc)})",
            hint="install the `cryptography` package, or save an unencrypted copy and index that",
        ) from None
    except (PdfReadError, PyPdfError, NotImplementedError, ValueError, KeyError) as exc:
        raise EncryptedDocumentError(path, f"is encrypted in a way pypdf cannot open ({_why(exc)})") from None
    if result == PasswordType.NOT_DECRYPTED:
        raise EncryptedDocumentError(path, "is password-protected (the empty password does not open it)")
    return reader


def _page_text(path: Path, reader: PdfReader, index: int) -> str:
    try:
        return reader.pages[index].extract_text() or ""
    except FileNotDecryptedError:
        raise EncryptedDocumentError(path, "is encrypted and could not be opened", page=index + 1) from None
    except RecursionError:
        raise CorruptDocumentError(path, "has a self-referencing content stream", page=index + 1) from None
    except LimitReachedError as exc:
        raise _bomb(path, exc, index + 1) from None
    except Exception as exc:  # broken content streams raise many exception types
        raise CorruptDocumentError(path, f"its text cannot be extracted ({_why(exc)})", page=index + 1) from None


def _metadata(reader: PdfReader) -> dict[str, str]:
    """The document-information title, when it is a real title."""
    try:
        info = reader.metadata
        title = str(info.title).strip() if info is not None and info.title else ""
    except Exception as exc:  # metadata is optional: never fail extraction over it
        _log.debug("unreadable PDF metadata: %s", exc)
        return {}
    title = " ".join(title.split())
    return {"title": title} if title and not _JUNK_TITLE.search(title) else {}


def _bomb(path: Path, exc: LimitReachedError, page: int | None) -> CorruptDocumentError:
    """pypdf stops decompressing past its safety limits (75 MB a stream by default): a
    decompression bomb, or a stream far larger than any page of text needs."""
    return CorruptDocumentError(
        path, f"a compressed stream expands past pypdf's safety limit ({_why(exc)}); "
        "it may be a decompression bomb", page=page,
        hint="do not index it as is; if it comes from a trusted source, print it to a new PDF and index that",
    )


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]
