"""What scoring produces: a level per (document, criterion) with evidence and reasons, and runs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from kb.models import Strict

Level = Literal["absent", "partial", "present"]
LEVELS: tuple[str, ...] = ("absent", "partial", "present")
SCORER_VERSION = "scorer@1"

NOT_PROOF_OF_ABSENCE = (
    "'absent' means not found in the indexed documents; it is not proof that the country's law lacks the measure"
)


class Evidence(Strict):
    """A provision that supports a score, citable on its own."""

    provision_id: str
    doc_id: str
    number: str = Field(description="Top-level number as printed ('45', '273f').")
    citation: str
    heading: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    snippet: str = Field(description="The passage that matched, trimmed to a few lines.")
    probability: float = Field(ge=0, le=1, description="How likely this provision is evidence for the criterion.")
    reasons: list[str] = Field(default_factory=list)


class Score(Strict):
    """The level of one criterion in one document.

    Attributes:
        confidence: Calibrated probability of the level given (see docs/methodology.md).
        p_addressed: Calibrated probability that the document addresses the criterion at all.
        language: The document's language, shown next to the confidence: cues exist for
            some languages only, and elsewhere a level rests on similarity alone.
    """

    doc_id: str
    country: str
    language: str
    criterion: str
    pillar: str
    level: Level
    confidence: float = Field(ge=0, le=1)
    p_addressed: float = Field(ge=0, le=1)
    evidence: list[Evidence] = Field(default_factory=list, max_length=3)
    reasons: list[str] = Field(default_factory=list)
    cues_in_language: bool = Field(default=True, description="The rubric has cues for this document's language.")

    @model_validator(mode="after")
    def _absent_has_no_evidence(self) -> "Score":
        if self.level == "absent" and self.evidence:
            raise ValueError(f"{self.doc_id} {self.criterion}: an absent level carries no evidence")
        return self


class Run(Strict):
    """One scoring run, as recorded in the catalogue (earlier runs are never touched)."""

    id: str
    name: str | None = None
    created_at: str
    rubric_path: str
    rubric_name: str
    rubric_checksum: str
    criteria_checksum: str
    calibration_checksum: str
    models: dict[str, str] = Field(description="Encoder name -> model id, and the sparse encoder's version.")
    pipeline_version: str
    scorer_version: str = SCORER_VERSION
    documents: int = 0
    scores: int = 0
    seconds: float = 0.0
    notes: list[str] = Field(default_factory=list, description="What a reader of the run should know.")


class CountryScore(Strict):
    """A country's level for one criterion: the best across its documents."""

    country: str
    criterion: str
    pillar: str
    title: str
    level: Level
    confidence: float
    language: str = Field(description="Language of the document the level comes from, shown with the confidence.")
    cues_in_language: bool = True
    best_doc_id: str | None = Field(description="The document the level comes from (None when absent everywhere).")
    evidence: list[Evidence] = Field(default_factory=list)
    rests_on: list[str] = Field(description="Every document of the country that was scored.")
    caveat: str = NOT_PROOF_OF_ABSENCE
