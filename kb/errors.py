"""Typed exceptions. Each carries what a user needs to fix the problem.

The CLI prints ``str(error)``: one line naming the file (and page or line when
known), what went wrong and what to do.
"""

from __future__ import annotations

from pathlib import Path


class CtkbError(Exception):
    """Base class: a problem the user can act on."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class DocumentError(CtkbError):
    """A document that cannot be indexed. ``path`` names it; ``page``/``line`` locate it."""

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        hint: str | None = None,
        page: int | None = None,
        line: int | None = None,
    ) -> None:
        self.path = str(path)
        self.page = page
        self.line = line
        where = self.path
        if page is not None:
            where += f" (page {page})"
        if line is not None:
            where += f" (line {line})"
        super().__init__(f"{where}: {message}", hint=hint)


class EncryptedDocumentError(DocumentError):
    hint = "save an unencrypted copy (e.g. print to PDF) and index that"


class CorruptDocumentError(DocumentError):
    hint = "check the file opens in a viewer; re-download or re-export it"


class EmptyDocumentError(DocumentError):
    hint = "the file has no text; check you gave the right file"


class NeedsOcrError(DocumentError):
    """A PDF without a usable text layer."""

    def __init__(self, path: str | Path, page_count: int) -> None:
        self.page_count = page_count
        super().__init__(
            path,
            f"no text layer on any of its {page_count} page(s); it is a scan and needs OCR",
            hint="run OCR on it (e.g. `ocrmypdf in.pdf out.pdf`) and index the result",
        )


class EncodingError(DocumentError):
    hint = "re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"


class UnsupportedFormatError(DocumentError):
    hint = "supported formats: pdf, md, txt, html, docx"


class ManifestError(CtkbError):
    """A manifest entry that fails validation. ``index`` and ``field`` locate it."""

    def __init__(self, manifest: str | Path, index: int | None, field: str | None, message: str) -> None:
        self.manifest = str(manifest)
        self.index = index
        self.field = field
        loc = "" if index is None else f"[{index}{' -> ' + field if field else ''}] "
        super().__init__(f"{self.manifest}: {loc}{message}", hint="fix the entry; the others are indexed")


class NotFoundError(CtkbError):
    """Something asked for by id that the knowledge base does not hold."""

    def __init__(self, what: str, key: str, options: list[str] | None = None) -> None:
        self.what = what
        self.key = key
        self.options = options or []
        hint = None
        if self.options:
            shown = ", ".join(self.options[:12]) + (" ..." if len(self.options) > 12 else "")
            hint = f"known {what}s: {shown}"
        super().__init__(f"no {what} {key!r}", hint=hint)
