"""Defined terms ('"child" means ...', 'se entiende por ...') from a prepared spaCy Doc."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Token

from indexing import patterns as P
from indexing.enrich_common import (
    _DEF_MAX_CHARS,
    _LIST_MARK,
    _MIDDLE_MAX,
    _TERM_MAX_CHARS,
    _TERM_MAX_TOKENS,
    _trimmed,
    is_clause_break,
    is_paragraph_break,
    is_sentence_end,
)
from kb.models import Definition


@dataclass
class _Def:
    start: int  # token where the definition begins
    term: tuple[int, int]
    body_start: int


def find_definitions(rules: Any, doc: Doc, offset: int) -> list[Definition]:
    """Defined terms and their definition text, one per term."""
    found = _quoted(rules, doc) + _triggered(rules, doc) + _around(rules, doc)
    if rules.cues(doc):
        found += _listed(rules, doc)
    found = _dedupe(found)
    out = []
    for n, d in enumerate(found):
        limit = found[n + 1].start if n + 1 < len(found) else len(doc)
        body_end = _body_end(doc, d.body_start, limit)
        b_start, b_end = _trimmed(doc, d.body_start, body_end)
        term = _clean_term(doc[d.term[0]:d.term[1]].text)
        body = doc[b_start:b_end]
        if not term or len(term) > _TERM_MAX_CHARS or b_end <= b_start:
            continue
        out.append(Definition(
            term=term, definition=body.text[:_DEF_MAX_CHARS],
            start=offset + doc[d.start].idx, end=offset + doc[d.start].idx + len(doc[d.start:b_end].text),
        ))
    return out


def _quoted(rules: Any, doc: Doc) -> list[_Def]:
    """A quoted term shortly before a defining verb: '"child" means', '“X” in relation to Y includes'."""
    out = []
    for _, v_start, v_end in rules.def_verbs(doc):
        close = _find_back(doc, v_start - 1, _MIDDLE_MAX, P.CLOSE_QUOTES)
        if close is None:
            continue
        open_ = _find_back(doc, close - 1, _TERM_MAX_TOKENS, P.OPEN_QUOTES)
        if open_ is None or open_ == close - 1:
            continue
        lead = open_ - 2 if open_ >= 2 and [t.lower_ for t in doc[open_ - 2:open_]] == ["the", "term"] else open_
        out.append(_Def(lead, (open_ + 1, close), v_end))
    return out


def _find_back(doc: Doc, i: int, limit: int, marks: list[str]) -> int | None:
    """Index of the nearest token in ``marks`` at or before ``i``, within ``limit`` tokens,
    not crossing a clause break."""
    for j in range(i, max(-1, i - limit - 1), -1):
        token = doc[j]
        if token.text in marks:
            return j
        if token.text in {";", ".", ":"} or "\n" in token.text:
            return None
    return None


def _triggered(rules: Any, doc: Doc) -> list[_Def]:
    out = []
    for _, start, end in rules.triggers(doc):
        i = end
        while i < len(doc) and (doc[i].lower_ in P.LEADING_ARTICLES or doc[i].text in P.QUOTES or doc[i].is_space):
            i += 1
        j = i
        while j < len(doc) and j - i < 8 and doc[j].lower_ not in P.TERM_STOPPERS and doc[j].text not in P.QUOTES:
            j += 1
        if j > i:
            body = j + 1 if j < len(doc) and doc[j].text in {":", ",", "—", "–", "-"} or (j < len(doc) and doc[j].text in P.QUOTES) else j
            out.append(_Def(start, (i, j), body))
    return out


def _around(rules: Any, doc: Doc) -> list[_Def]:
    best: dict[int, tuple[int, int, int]] = {}
    for label, start, end in rules.around(doc):
        before, after = P.TERM_THEN_TRIGGER[int(doc.vocab.strings[label][6:])]
        term = (start + len(before), end - len(after))
        if start not in best or end < best[start][2]:
            best[start] = (term[0], term[1], end)
    return [_Def(s, (t0, t1), e) for s, (t0, t1, e) in best.items()]


def _listed(rules: Any, doc: Doc) -> list[_Def]:
    """Items of a definitions list without quotes: "b) le trafic d’enfants : désigne ...",
    "1 الاتجار بالأشخاص : ...", "2. Korban adalah ...". Walks back from each colon."""
    out = []
    for colon in doc:
        if colon.text != ":" and colon.lower_ not in {"adalah", "ialah"}:
            continue
        mark = _list_mark_before(doc, colon.i)
        if mark is None:
            continue
        t0 = mark + 1 + (mark + 1 < colon.i and doc[mark + 1].text in {")", "."})
        body = colon.i + 1
        if body < len(doc) and doc[body].lower_ in P.LIST_VERBS:
            body += 1
        if t0 < colon.i:
            out.append(_Def(mark, (t0, colon.i), body))
    return out


def _list_mark_before(doc: Doc, i: int) -> int | None:
    """The list marker opening the item that ends at token ``i``, within 10 tokens."""
    for j in range(i - 1, max(-1, i - 11), -1):
        token = doc[j]
        if token.text in {".", ")"} and j > 0 and _LIST_MARK.match(doc[j - 1].text) and (j == 1 or _opens_item(doc[j - 2])):
            return j - 1  # "1." or "b)" split by the tokenizer
        if token.text in {";", ":"} or is_sentence_end(token) or "\n" in token.text:
            return None
        if _LIST_MARK.match(token.text) and (j == 0 or _opens_item(doc[j - 1])):
            return j
    return None


def _opens_item(token: Token) -> bool:
    return token.is_space or token.text in {",", ":", ";", ".", "—", "-"} or is_clause_break(token)


def _dedupe(found: list[_Def]) -> list[_Def]:
    """Sorted definitions with later overlapping matches of the same term dropped."""
    out: list[_Def] = []
    for d in sorted(found, key=lambda d: (d.start, d.body_start)):
        if out and d.start < out[-1].body_start:
            continue
        out.append(d)
    return out


def _body_end(doc: Doc, start: int, limit: int) -> int:
    for token in doc[start:limit]:
        if is_sentence_end(token) or is_paragraph_break(token):
            return token.i
    return limit


def _clean_term(text: str) -> str:
    text = text.strip().strip("\"'“”‘’«»*").strip()
    words = text.split()
    if len(words) > 1 and words[0].lower() in P.LEADING_ARTICLES:
        text = " ".join(words[1:])
    for lead in ("l’", "l'"):
        if text.lower().startswith(lead):
            text = text[len(lead):]
    return text.strip()
