"""Domain models shared by the pipeline, the store and the app.

Every model is strict (``extra="forbid"``) so that a typo in a manifest, a config
or a stored record fails loudly instead of being silently dropped. Offsets are
character offsets into the cleaned document text (``CleanDocument.text``).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ISO3 = re.compile(r"^(?:[A-Z]{3}|INTL)$")
# ISO 3166-1 reserves these alpha-3 ranges for user assignment (fictional or private use).
USER_ASSIGNED = re.compile(r"^(?:AA[A-Z]|Q[M-Z][A-Z]|X[A-Z]{2}|ZZ[A-Z])$")


def is_country_code(code: str) -> bool:
    """True for an ISO 3166-1 alpha-3 code (official or user-assigned) or ``INTL``."""
    if code == "INTL" or USER_ASSIGNED.match(code):
        return True
    import pycountry  # deferred: loads its database on first use

    return len(code) == 3 and pycountry.countries.get(alpha_3=code) is not None

Format = Literal["pdf", "md", "txt", "html", "docx"]
DocStatus = Literal["indexed", "needs_ocr", "failed"]
ProvisionKind = Literal[
    "section", "article", "rule", "schedule", "provision",  # top level (the unit people cite)
    "subsection", "paragraph", "subparagraph", "item",  # children
]
DivisionKind = Literal["part", "chapter", "title", "book", "division", "subdivision", "schedule_group"]


def norm_number(number: str) -> str:
    """A printed provision number for comparison: case, spaces and a trailing period ignored."""
    return number.strip().rstrip(".").replace(" ", "").lower()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class DocumentMeta(BaseModel):
    """One manifest entry: what the user says about a document.

    Unknown keys are kept in ``extra`` (the manifest format allows them) rather than
    rejected; the required and typed keys are validated.
    """

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    path: str = Field(min_length=1)
    country: str
    title: str = Field(min_length=1)
    jurisdiction: str | None = None
    year: int | None = Field(default=None, ge=1000, le=2100)
    kind: str | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    format: Format | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    url: str | None = None
    notes: str | None = None

    @field_validator("country")
    @classmethod
    def _country_is_iso3(cls, value: str) -> str:
        value = value.strip().upper()
        if not ISO3.match(value) or not is_country_code(value):
            raise ValueError(
                f"{value!r} is not an ISO 3166-1 alpha-3 code; use one such as 'ZMB' or 'ARG', or 'INTL'"
            )
        return value

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class PageSpan(Strict):
    """Where one printed page lies in the cleaned text."""

    number: int = Field(ge=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    ocr_confidence: float | None = Field(
        default=None, ge=0, le=1, description="Mean OCR word confidence when the page's text is from OCR.")

    @model_validator(mode="after")
    def _ordered(self) -> "PageSpan":
        if self.end < self.start:
            raise ValueError(f"page {self.number}: end {self.end} before start {self.start}")
        return self


class HeadingHint(Strict):
    """A line the source format itself marks as a heading (Markdown ``#``, HTML ``<h3>``,
    a DOCX heading style, a bold-only line). The segmenter treats hints as evidence, not
    as truth: a heading that is a cross-reference is still not a new section."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    level: int = Field(ge=1, le=9)


class CleanDocument(Strict):
    """Text ready for segmentation, with where its pages and source headings lie."""

    text: str
    pages: list[PageSpan] = Field(default_factory=list)
    headings: list[HeadingHint] = Field(default_factory=list)
    page_count: int | None = None
    removed: dict[str, int] = Field(
        default_factory=dict, description="What cleaning removed, by kind, for reporting."
    )

    @model_validator(mode="after")
    def _spans_inside_text(self) -> "CleanDocument":
        n = len(self.text)
        for span in [*self.pages, *self.headings]:
            if span.end > n:
                raise ValueError(f"span {span.start}-{span.end} lies outside the text (length {n})")
        return self

    def page_at(self, offset: int) -> int | None:
        """The printed page holding ``offset`` (None for formats without pages)."""
        found = None
        for page in self.pages:
            if page.start <= offset:
                found = page.number
            else:
                break
        return found


class Definition(Strict):
    term: str
    definition: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Penalty(Strict):
    """A penalty as structured values. Years are floats so months can be expressed."""

    text: str
    imprisonment_min_years: float | None = None
    imprisonment_max_years: float | None = None
    life: bool = False
    death: bool = False
    fine: bool = False
    fine_amount_max: float | None = None
    currency: str | None = None
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class CrossRef(Strict):
    """A reference from one provision to another ("under section 3")."""

    text: str
    target: str
    kind: str
    external: bool = False
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Division(Strict):
    """A container heading (Part, Chapter, Title...). Provisions point at their divisions
    through ``Provision.path``; divisions hold no provision text of their own."""

    kind: DivisionKind
    number: str | None = None
    label: str
    heading: str | None = None
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    depth: int = Field(ge=0, default=0)


class Provision(Strict):
    """A node of the provision tree: a top-level section/article, or one of its subsections.

    ``text`` is exactly ``CleanDocument.text[start:end]``.
    """

    id: str
    doc_id: str
    kind: ProvisionKind
    label: str = Field(description="As printed: '45', '273f', '(1)', '(a)'.")
    number: str = Field(description="Top-level number of the provision this node belongs to.")
    citation: str = Field(description="'Section 45', 'Article 12(2)(a)', '§ 7102'.")
    heading: str | None = None
    path: list[str] = Field(default_factory=list, description="Divisions and ancestors, outermost first.")
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    page_start: int | None = None
    page_end: int | None = None
    language: str
    parent_id: str | None = None
    depth: int = Field(ge=0, default=0)
    ordinal: int = Field(ge=0, default=0, description="Position in document order.")
    definitions: list[Definition] = Field(default_factory=list)
    penalties: list[Penalty] = Field(default_factory=list)
    cross_refs: list[CrossRef] = Field(default_factory=list)
    ocr_confidence: float | None = Field(
        default=None, ge=0, le=1,
        description="Set when the provision's text is from OCR: the mean confidence of its OCR'd pages.")

    @model_validator(mode="after")
    def _span_matches_text(self) -> "Provision":
        if self.end - self.start != len(self.text):
            raise ValueError(
                f"{self.citation}: span {self.start}-{self.end} does not match text length {len(self.text)}"
            )
        if self.page_start is not None and self.page_end is not None and self.page_end < self.page_start:
            raise ValueError(f"{self.citation}: page_end {self.page_end} before page_start {self.page_start}")
        return self

    @property
    def is_top_level(self) -> bool:
        return self.parent_id is None


class Matter(Strict):
    """Text outside any top-level provision: front matter, division headings, back matter."""

    kind: Literal["front", "division", "back"]
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Segmentation(Strict):
    """The segmenter's output for one document."""

    provisions: list[Provision]
    divisions: list[Division] = Field(default_factory=list)
    matter: list[Matter] = Field(default_factory=list)

    @property
    def top_level(self) -> list[Provision]:
        return [p for p in self.provisions if p.parent_id is None]


class DocumentRecord(Strict):
    """A document as the catalogue knows it."""

    id: str
    path: str
    country: str
    title: str
    jurisdiction: str | None = None
    year: int | None = None
    kind: str | None = None
    language: str
    format: Format
    sha256: str
    pipeline_version: str
    status: DocStatus
    error: str | None = None
    pages: int | None = None
    provisions: int = 0
    meta: dict[str, Any] = Field(default_factory=dict)
    inferred: dict[str, str] = Field(default_factory=dict, description="Metadata inferred, not given.")
    indexed_at: str | None = None
    embedded: str | None = Field(default=None, description="Fingerprint of the encoders that made its vectors.")
    chunks: int = Field(default=0, description="Points in the vector store.")
    ocr_pages: int = Field(default=0, ge=0, description="Pages whose text is from OCR.")
    ocr_confidence: float | None = Field(default=None, ge=0, le=1, description="Mean OCR confidence of those pages.")
    ocr_mode: str | None = Field(default=None, description="The --ocr mode a PDF was indexed with.")
