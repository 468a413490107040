"""Rubrics: the criteria a legal framework is scored against, with what scoring needs.

A rubric is YAML, validated strictly: unknown keys are rejected and errors name their
place as ``[criteria -> 12 -> cues -> positive -> 0 -> phrases] ...``. Cue phrases and
token patterns are compiled into spaCy ``Matcher`` patterns at load time, so a bad
pattern fails when the rubric is loaded, not halfway through a scoring run.

Phrase syntax (matched on lower-cased, accent-folded tokens):

- ``national action plan``: the words in order;
- ``traffick* in person*``: ``*`` ends a word prefix (``trafficking``, ``persons``);
- ``victim* ~ not ~ punish*``: ``~`` allows up to four words in between.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from kb.errors import CtkbError
from kb.models import Strict

LANG = re.compile(r"^(?:[a-z]{2,3}|any)$")
GAP_TOKENS = 4


class RubricError(CtkbError):
    """A rubric that cannot be used; ``where`` names the place (``criteria -> 3 -> id``)."""

    def __init__(self, path: str | Path, where: str | None, message: str, hint: str | None = None) -> None:
        self.path = str(path)
        self.where = where
        loc = f"[{where}] " if where else ""
        super().__init__(f"{self.path}: {loc}{message}", hint=hint or "fix the rubric and run again")


class Cue(Strict):
    """Words or a token pattern whose presence in a provision is a signal.

    Attributes:
        id: Short name shown in reasons ("duty to adopt a plan").
        languages: Document languages it applies to ("any" for all).
        phrases: Phrase list (syntax in the module docstring).
        pattern: A raw spaCy Matcher token pattern, for what phrases cannot say.
        heading: Match only in the provision's heading.
    """

    id: str = Field(min_length=1)
    languages: list[str] = Field(default_factory=lambda: ["any"])
    phrases: list[str] = Field(default_factory=list)
    pattern: list[dict[str, Any]] | None = None
    heading: bool = False

    @field_validator("languages")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not LANG.match(v)]
        if bad:
            raise ValueError(f"not language codes: {bad}; use ISO 639-1 codes such as 'en', 'es', or 'any'")
        return value

    @model_validator(mode="after")
    def _has_something(self) -> "Cue":
        if not self.phrases and not self.pattern:
            raise ValueError("a cue needs `phrases` or `pattern`")
        return self

    def applies_to(self, language: str) -> bool:
        return "any" in self.languages or language in self.languages


class Cues(Strict):
    positive: list[Cue] = Field(default_factory=list, description="The measure is established here.")
    negative: list[Cue] = Field(default_factory=list, description="A mention that does not establish it.")
    partial: list[Cue] = Field(default_factory=list, description="Narrower than the standard asks.")


class PenaltySignal(Strict):
    """For criteria about penalties: the maximum imprisonment that counts as stringent."""

    min_max_years: float = Field(gt=0)


class Signals(Strict):
    modality: bool = Field(default=True, description="A duty ('shall') versus a power ('may') matters here.")
    penalty: PenaltySignal | None = None


class Criterion(Strict):
    id: str = Field(pattern=r"^[A-Z]{2,4}-\d{2}$")
    pillar: str
    title: str
    present: str
    partial: str
    legal_basis: list[str] = Field(default_factory=list)
    weight: float = Field(default=1.0, gt=0, le=10)
    queries: dict[str, list[str]] = Field(min_length=1)
    exemplars: dict[str, list[str]] = Field(default_factory=dict)
    cues: Cues = Field(default_factory=Cues)
    signals: Signals = Field(default_factory=Signals)

    @field_validator("queries", "exemplars")
    @classmethod
    def _by_language(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang, texts in value.items():
            if not LANG.match(lang) or lang == "any":
                raise ValueError(f"{lang!r} is not a language code such as 'en' or 'es'")
            if not texts or any(not t.strip() for t in texts):
                raise ValueError(f"{lang}: give at least one non-empty text")
        return value

    def queries_for(self, language: str) -> list[str]:
        """Queries in the document's language, and the English ones (multilingual encoders bridge)."""
        return list(dict.fromkeys([*self.queries.get(language, []), *self.queries.get("en", [])]))

    def exemplars_for(self, language: str) -> list[str]:
        return list(dict.fromkeys([*self.exemplars.get(language, []), *self.exemplars.get("en", [])]))


class Instrument(Strict):
    """An instrument that criteria cite in ``legal_basis`` (``CoE Art 26``): what it is and
    how to recognise its text among indexed documents."""

    title: str
    match: str = Field(description="Regular expression (case-insensitive) matched against indexed documents' titles.")

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        return value


class Rubric(Strict):
    version: int = Field(ge=1)
    name: str
    standard: str | None = Field(default=None, description="The criteria standard implemented, e.g. '4p-criteria@1'.")
    levels: list[Literal["absent", "partial", "present"]] = Field(default=["absent", "partial", "present"])
    pillars: dict[str, str] = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)
    instruments: dict[str, Instrument] = Field(
        default_factory=dict, description="Abbreviations used in legal_basis (PP, CoE, ...) and their instruments.")
    checksum: str = Field(default="", description="Set at load time: sha256 of the file.")

    @model_validator(mode="after")
    def _consistent(self) -> "Rubric":
        seen: dict[str, int] = {}
        for i, c in enumerate(self.criteria):
            if c.pillar not in self.pillars:
                raise ValueError(f"criteria -> {i} -> pillar: {c.pillar!r} is not one of {sorted(self.pillars)}")
            for j, basis in enumerate(c.legal_basis):
                key = basis.split(maxsplit=1)[0] if basis.strip() else ""
                if self.instruments and key not in self.instruments:
                    raise ValueError(f"criteria -> {i} -> legal_basis -> {j}: {basis!r} cites {key!r}, not one of "
                                     f"the instruments {', '.join(self.instruments)}")
            if c.id in seen:
                raise ValueError(f"criteria -> {i} -> id: {c.id!r} already used by criteria -> {seen[c.id]}")
            seen[c.id] = i
        return self

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        from kb.errors import NotFoundError

        raise NotFoundError("criterion", criterion_id, [c.id for c in self.criteria])

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.criteria]

    @property
    def criteria_checksum(self) -> str:
        """Checksum of the criterion ids in order: what a calibration file must match."""
        return hashlib.sha256(",".join(self.ids).encode()).hexdigest()[:16]


def _where(loc: tuple) -> str:
    return " -> ".join(str(part) for part in loc)


def load_rubric(path: str | Path, *, standard: str | Path | None = None) -> Rubric:
    """Load and validate a rubric, compiling its cues.

    Args:
        path: The rubric YAML.
        standard: Optional criteria standard YAML: the rubric must implement exactly its ids.

    Raises:
        RubricError: With the place of the first problem, e.g. ``[criteria -> 12 -> cues] ...``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
    except FileNotFoundError:
        raise RubricError(path, None, "rubric file not found", hint="give the path of a rubric YAML") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        raise RubricError(path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise RubricError(path, None, "a rubric is a mapping with `version`, `name`, `pillars` and `criteria`")
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        message = err["msg"].removeprefix("Value error, ")
        where = _where(err["loc"])
        if message.startswith("criteria -> "):  # from the model validator: the place is in the message
            where, _, message = message.partition(": ")
        extra = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        raise RubricError(path, where or None, message + extra) from None
    rubric.checksum = hashlib.sha256(raw).hexdigest()
    from kb.cues import compile_rubric_cues

    compile_rubric_cues(rubric, path)  # raises RubricError at the bad pattern
    if standard is not None:
        check_against_standard(rubric, standard, path)
    return rubric


def check_against_standard(rubric: Rubric, standard: str | Path, path: str | Path) -> None:
    """The rubric must implement every criterion of the standard exactly once, with the same pillar."""
    data = yaml.safe_load(Path(standard).read_text(encoding="utf-8"))
    wanted = {c["id"]: c["pillar"] for c in data["criteria"]}
    have = {c.id: c.pillar for c in rubric.criteria}
    missing = sorted(set(wanted) - set(have))
    extra = sorted(set(have) - set(wanted))
    if missing:
        raise RubricError(path, "criteria", f"missing criteria of the standard: {', '.join(missing)}")
    if extra:
        raise RubricError(path, "criteria", f"criteria not in the standard: {', '.join(extra)}")
    for i, c in enumerate(rubric.criteria):
        if wanted[c.id] != c.pillar:
            raise RubricError(path, f"criteria -> {i} -> pillar", f"{c.id} belongs to {wanted[c.id]!r}, not {c.pillar!r}")
