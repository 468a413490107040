"""Character error rate (CER) of OCR text against a reference transcript.

CER = Levenshtein distance (insertions + deletions + substitutions, rapidfuzz) / the
reference's length, both texts normalised first. Two levels of normalisation:

- ``layout``: Markdown markup (``#`` headings, list bullets) removed, Unicode NFKC,
  typographic quotes and dashes made plain, whitespace collapsed. What the text says,
  as printed.
- ``content`` (the figure the OCR acceptance uses): also case-folded, punctuation turned
  into spaces, and enumeration labels (``1.``, ``(2)``, ``(a)``, ``(iv)``) removed from
  both texts. Reference transcripts made by other tools often drop enumerators and
  re-case headings (the corpus's Pakistan transcript keeps "(1)" but drops "(2)", "(3)"
  and every section number, and prints "Power to Make Rules" for "Power to make
  rules"), so counting those as OCR errors would measure the transcript, not the OCR.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

_PLAIN = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "—": "-", "–": "-", "‐": "-",
                        "\u00a0": " "})
_MARKUP = re.compile(r"(?m)^[ \t]*(?:#{1,6}|[-*+])[ \t]+")
_PAREN_LABEL = re.compile(r"(?<!\w)[(\[{]?(?:\d{1,3}[a-z]?|[a-z]{1,2}|[ivxlc]{1,5})[)\]}](?!\w)", re.I)
_NUMBER_LABEL = re.compile(r"(?m)(?:^|(?<=\s))\d{1,3}[.,](?=\s)")


def normalise(text: str, level: str = "content") -> str:
    """The text as compared for ``level`` (``layout`` or ``content``, see the module)."""
    text = _MARKUP.sub("", unicodedata.normalize("NFKC", text).translate(_PLAIN))
    if level == "content":
        text = _NUMBER_LABEL.sub(" ", _PAREN_LABEL.sub(" ", text)).casefold()
        text = re.sub(r"[^\w\s]", " ", text)
    elif level != "layout":
        raise ValueError(f"unknown level {level!r}; use 'layout' or 'content'")
    return " ".join(text.split())


@dataclass(frozen=True)
class Cer:
    """Character error rates of one OCR text."""

    layout: float
    content: float
    reference_chars: int


def character_error_rate(reference: str, hypothesis: str) -> Cer:
    """CER of ``hypothesis`` (OCR) against ``reference`` at both normalisation levels."""
    rates = {}
    length = 0
    for level in ("layout", "content"):
        ref, hyp = normalise(reference, level), normalise(hypothesis, level)
        if not ref:
            raise ValueError("the reference text is empty")
        rates[level] = Levenshtein.distance(ref, hyp) / len(ref)
        length = len(ref) if level == "content" else length
    return Cer(layout=round(rates["layout"], 4), content=round(rates["content"], 4), reference_chars=length)


OCR_CAVEAT = "text from OCR, check against the original"


def ocr_caveat(confidence: float | None) -> str | None:
    """The warning shown with a provision whose text is from OCR (None when it is not)."""
    if confidence is None:
        return None
    return f"{OCR_CAVEAT} (mean OCR confidence {confidence:.2f})"
