"""Cue matching: a rubric's cue phrases and patterns as spaCy ``Matcher`` rules.

Texts are tokenised by a blank spaCy pipeline of their language; each token's ``NORM``
is set to its lower-cased, accent-folded form, so "víctima" and "victima" match alike.
One matcher per language holds every cue of the rubric, so a document's provisions are
matched in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from kb.sparse import fold

if TYPE_CHECKING:
    from kb.rubric import Cue, Rubric

KINDS = ("positive", "negative", "partial")
_SPACY_FALLBACK = "xx"


@lru_cache(maxsize=32)
def _nlp(language: str):
    import spacy
    from spacy.language import Language

    if not Language.has_factory("ctkb_fold_norm"):

        @Language.component("ctkb_fold_norm")
        def fold_norm(doc):
            for token in doc:
                token.norm_ = fold(token.lower_)
            return doc

    try:
        nlp = spacy.blank(language)
    except Exception:  # noqa: BLE001 - spaCy raises ImportError/KeyError variants for unknown codes
        nlp = spacy.blank(_SPACY_FALLBACK)
    nlp.add_pipe("ctkb_fold_norm")
    return nlp


def phrase_pattern(phrase: str, language: str) -> list[dict]:
    """A Matcher pattern for a phrase (``*`` = word prefix, ``~`` = up to four words)."""
    from kb.rubric import GAP_TOKENS

    tokenizer = _nlp(language).tokenizer
    pattern: list[dict] = []
    for word in phrase.split():
        if word == "~":
            pattern.append({"OP": f"{{0,{GAP_TOKENS}}}"})
            continue
        prefix = word.endswith("*") and len(word) > 1
        pieces = [fold(t.lower_) for t in tokenizer(word.rstrip("*") if prefix else word)]
        for i, piece in enumerate(pieces):
            if prefix and i == len(pieces) - 1:
                pattern.append({"NORM": {"REGEX": "^" + _escape(piece)}})
            else:
                pattern.append({"NORM": piece})
    return pattern


def _escape(text: str) -> str:
    return re.escape(text)


def cue_patterns(cue: "Cue", language: str) -> list[list[dict]]:
    return [phrase_pattern(p, language) for p in cue.phrases] + ([cue.pattern] if cue.pattern else [])


@dataclass
class CueHits:
    """Cues found in one provision: kind -> cue ids, and the matched spans (for highlighting)."""

    found: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # criterion -> kind -> cue ids
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # criterion -> char spans

    def of(self, criterion: str, kind: str) -> set[str]:
        return self.found.get(criterion, {}).get(kind, set())


class CueMatcher:
    """All cues of a rubric, compiled per language on first use.

    Args:
        rubric: The rubric whose cues to match.
    """

    def __init__(self, rubric: "Rubric") -> None:
        self.rubric = rubric
        self._matchers: dict[tuple[str, bool], object] = {}

    def _matcher(self, language: str, heading: bool):
        key = (language, heading)
        if key not in self._matchers:
            from spacy.matcher import Matcher

            matcher = Matcher(_nlp(language).vocab, validate=True)
            for c in self.rubric.criteria:
                for kind in KINDS:
                    for cue in getattr(c.cues, kind):
                        if cue.heading == heading and cue.applies_to(language):
                            matcher.add(f"{c.id}|{kind}|{cue.id}", cue_patterns(cue, language))
            self._matchers[key] = matcher
        return self._matchers[key]

    def match(self, texts: list[str], headings: list[str | None], language: str) -> list[CueHits]:
        """Cues found in each provision (body cues in ``texts``, heading cues in ``headings``).

        Line breaks and runs of spaces are matched as one space (a phrase wrapped over two
        lines of a PDF still matches); spans are offsets into the original texts.
        """
        nlp = _nlp(language)
        body, head = self._matcher(language, False), self._matcher(language, True)
        out = [CueHits() for _ in texts]
        squashed = [_squash(t) for t in texts]
        for hits, doc, (_, where) in zip(out, nlp.pipe([s for s, _ in squashed], batch_size=64), squashed):
            self._collect(hits, doc, body, where=where)
        for hits, doc in zip(out, nlp.pipe([h or "" for h in headings], batch_size=256)):
            self._collect(hits, doc, head, spans=False)
        return out

    @staticmethod
    def _collect(hits: CueHits, doc, matcher, spans: bool = True, where: list[int] | None = None) -> None:
        if len(matcher) == 0:
            return
        strings = doc.vocab.strings
        for match_id, start, end in matcher(doc):
            criterion, kind, cue_id = strings[match_id].split("|", 2)
            hits.found.setdefault(criterion, {}).setdefault(kind, set()).add(cue_id)
            if spans and kind == "positive":
                span = doc[start:end]
                a, b = span.start_char, span.end_char
                if where is not None:
                    a, b = where[a], where[b - 1] + 1
                hits.spans.setdefault(criterion, []).append((a, b))


_SPACES = re.compile(r"\s+")


def _squash(text: str) -> tuple[str, list[int]]:
    """``text`` with every whitespace run as one space, and each kept character's offset in ``text``."""
    out, where, pos = [], [], 0
    for m in _SPACES.finditer(text):
        out.append(text[pos:m.start()])
        where.extend(range(pos, m.start()))
        out.append(" ")
        where.append(m.start())
        pos = m.end()
    out.append(text[pos:])
    where.extend(range(pos, len(text)))
    return "".join(out), where


def compile_rubric_cues(rubric: "Rubric", path: str | Path) -> None:
    """Compile every cue once, to report a bad pattern with its place in the file."""
    from spacy.matcher import Matcher

    from kb.rubric import RubricError

    for i, c in enumerate(rubric.criteria):
        for kind in KINDS:
            for j, cue in enumerate(getattr(c.cues, kind)):
                languages = [lang for lang in cue.languages if lang != "any"] or [_SPACY_FALLBACK]
                for language in languages:
                    matcher = Matcher(_nlp(language).vocab, validate=True)
                    try:
                        patterns = cue_patterns(cue, language)
                        if any(not any(set(t) - {"OP"} for t in p) for p in patterns):
                            raise ValueError("a pattern must name at least one word")
                        matcher.add("check", patterns)
                    except Exception as exc:  # noqa: BLE001 - spaCy's MatchPatternError and ValueError alike
                        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
                        detail = "; ".join(line.lstrip("- ") for line in lines if line.startswith("- ")) or lines[0]
                        field_name = "pattern" if cue.pattern else "phrases"
                        raise RubricError(path, f"criteria -> {i} -> cues -> {kind} -> {j} -> {field_name}",
                                          f"bad cue pattern: {detail}") from None
