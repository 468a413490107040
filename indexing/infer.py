"""Metadata inferred for documents given without a manifest.

What is inferred is recorded (``DocumentRecord.inferred``) and shown to the user,
so a wrong guess is visible and can be fixed with a manifest.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from indexing.types import RawDocument
from kb.models import CleanDocument, is_country_code


def country_from_path(path: Path) -> str | None:
    """The nearest enclosing folder named by an ISO 3166-1 alpha-3 code (or ``intl``)."""
    for parent in path.parents:
        name = parent.name.upper()
        if name in ("INTL",) or (len(name) == 3 and name.isalpha() and is_country_code(name)):
            return name
    return None


def title_from(raw: RawDocument, clean: CleanDocument, path: Path) -> str:
    """Front-matter title, else the first heading, else the first line, else the file name."""
    if raw.metadata.get("title"):
        return raw.metadata["title"].strip()
    for hint in clean.headings:
        text = clean.text[hint.start : hint.end].strip()
        if len(text) >= 4:
            return text[:200]
    for line in clean.text.splitlines():
        if len(line.strip()) >= 4:
            return line.strip()[:200]
    return path.stem


@lru_cache(maxsize=1)
def _identifier():
    import py3langid  # deferred: loads a model file

    return py3langid


_LETTERS = re.compile(r"[^\W\d_]{2,}")


def language_of(text: str) -> str:
    """ISO 639-1 code of the text's main language, judged on a sample of its words."""
    words = _LETTERS.findall(text[:20000])
    if not words:
        return "xx"
    code, _ = _identifier().classify(" ".join(words[:3000]))
    return code
