"""Types passed between extraction and cleaning."""

from __future__ import annotations

from pydantic import Field

from kb.models import Format, HeadingHint, Strict


class RawPage(Strict):
    """Text of one page as extracted (``number`` None for formats without pages).

    ``headings`` offsets are relative to this page's ``text``.
    """

    number: int | None = None
    text: str
    headings: list[HeadingHint] = Field(default_factory=list)
    ocr_confidence: float | None = Field(default=None, description="Mean word confidence (0-1) when from OCR.")


class RawDocument(Strict):
    """What an extractor returns: pages of text plus what the format says about structure."""

    path: str
    format: Format
    pages: list[RawPage]
    page_count: int | None = None
    metadata: dict[str, str] = Field(default_factory=dict, description="E.g. a Markdown front-matter title.")
