"""Helpers and constants shared by the enrichment families (penalties, references, definitions)."""

from __future__ import annotations

import re
from typing import Any

from spacy.tokens import Doc, Token

from indexing import patterns as P

_ABBREVIATIONS = frozenset({"no", "ss", "art", "arts", "para", "sec", "s", "p", "cf", "nr", "n", "sub", "v", "vs"})
_TERM_MAX_CHARS = 120
_DEF_MAX_CHARS = 3000
_MIDDLE_MAX = 9  # tokens between the closing quote and the verb
_TERM_MAX_TOKENS = 12
_QUAL_LOOKBACK = 7  # "minimum punishment of imprisonment for a term of | four years"
_TARGET = re.compile(P.TARGET_REGEX)
_LIST_MARK = re.compile(P.LIST_MARK_REGEX)
_TRAILING = frozenset({";", ",", "and", "or", "y", "o", "et", "ou", "en", "of", "e", "—", "-", "–", ":"})


def is_sentence_end(token: Token) -> bool:
    """A full stop that ends a sentence, not one after "No" or "s"."""
    if token.text not in {".", "۔", "।"}:
        return False
    if token.i == 0:
        return True
    prev = token.doc[token.i - 1]
    return prev.lower_ not in _ABBREVIATIONS and not (len(prev.text) == 1 and prev.is_alpha)


def is_clause_break(token: Token) -> bool:
    """Where a penalty clause stops: ";" ":" a sentence end, a paragraph break."""
    return token.text in {";", ":"} or is_sentence_end(token) or is_paragraph_break(token)


def is_paragraph_break(token: Token) -> bool:
    """A blank line, unless the sentence visibly runs on: some sources hard-wrap with
    blank lines ("prisión de TRES\n\n(3) a SEIS"), so a blank line followed by a
    lower-case word or a number continues the sentence."""
    if not (token.is_space and token.text.count("\n") >= 2):
        return False
    nxt = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    return nxt is None or not (nxt.text[:1].islower() or P.is_num(nxt))


def _clauses(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges between clause breaks."""
    out, start = [], 0
    for token in doc:
        if is_clause_break(token):
            if token.i > start:
                out.append((start, token.i))
            start = token.i + 1
    if start < len(doc):
        out.append((start, len(doc)))
    return out


def _trimmed(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Token range without leading/trailing punctuation, conjunctions and spaces."""
    while end > start and (doc[end - 1].is_space or doc[end - 1].lower_ in _TRAILING):
        end -= 1
    while start < end and (doc[start].is_space or doc[start].text in {":", ",", "—", "–", "-", ";"}):
        start += 1
    return start, end


def _ref_noun_followers(rules: Any, doc: Doc) -> set[int]:
    """Token indices of reference targets, so "section 5" is never a fine of 5."""
    return {e - 1 for _, _, e in rules.refs(doc)}
