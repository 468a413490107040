"""Gold label files (format in the gold README): documents, each with a level per criterion."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from kb.errors import CtkbError
from kb.models import Strict


class GoldError(CtkbError):
    """A gold file that cannot be read; the message names the place."""


class GoldLabel(Strict):
    level: Literal["absent", "partial", "present"]
    evidence: list[str] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _absent_without_evidence(self) -> "GoldLabel":
        if self.level == "absent" and self.evidence:
            raise ValueError("an absent label lists no evidence")
        return self


class GoldDocument(Strict):
    id: str
    language: str | None = None
    labels: dict[str, GoldLabel]


class GoldFile(Strict):
    rubric_version: int
    documents: list[GoldDocument] = Field(min_length=1)
    path: str = ""
    sha256: str = ""

    @property
    def ids(self) -> list[str]:
        return [d.id for d in self.documents]


def _coerce(data: object) -> object:
    """YAML reads evidence numbers like 45 as ints; the format says strings."""
    if isinstance(data, dict):
        for doc in data.get("documents") or []:
            for label in (doc.get("labels") or {}).values() if isinstance(doc, dict) else []:
                if isinstance(label, dict) and isinstance(label.get("evidence"), list):
                    label["evidence"] = [str(e) for e in label["evidence"]]
    return data


def load_gold(path: str | Path) -> GoldFile:
    """Read and validate a gold file.

    Raises:
        GoldError: Naming the place, e.g. ``[documents -> 3 -> labels -> PRV-01 -> level] ...``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = _coerce(yaml.safe_load(raw))
    except FileNotFoundError:
        raise GoldError(f"{path}: gold file not found", hint="give the path of a gold labels YAML") from None
    except yaml.YAMLError as exc:
        raise GoldError(f"{path}: not valid YAML ({exc})", hint="fix the file and run again") from None
    try:
        gold = GoldFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = " -> ".join(str(x) for x in err["loc"])
        raise GoldError(f"{path}: [{where}] {err['msg'].removeprefix('Value error, ')}",
                        hint="the format is described in the gold README (documents -> labels -> level)") from None
    gold.path, gold.sha256 = str(path), hashlib.sha256(raw).hexdigest()
    return gold
