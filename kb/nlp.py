"""Blank spaCy pipelines (tokenizer only), one per language for the whole process.

Building one costs about half a second (tokenizer exceptions, regexes), and the sparse
encoder, the cue matcher and modality all need the same tokenizer, so they share it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

FALLBACK_LANGUAGE = "xx"  # spaCy's multi-language tokenizer


@lru_cache(maxsize=None)
def blank(language: str) -> Any:
    """``spacy.blank(language)``, or the multi-language pipeline for codes spaCy lacks."""
    import spacy

    try:
        return spacy.blank(language)
    except Exception:  # noqa: BLE001 - ImportError/KeyError/ValueError, or a tokenizer needing an extra package
        return spacy.blank(FALLBACK_LANGUAGE)
