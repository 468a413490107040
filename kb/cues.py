"""Cue matching: a rubric's cue phrases and patterns as spaCy ``Matcher`` rules.

Texts are tokenised by a blank spaCy pipeline of their language; each token's ``NORM``
is set to its lower-cased, accent-folded form, so "víctima" and "victima" match alike.
One matcher per language holds every cue of the rubric, so a document's provisions are
matched in one pass.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from kb.sparse import fold

if TYPE_CHECKING:
    from kb.rubric import Cue, Rubric

KINDS = ("positive", "negative", "partial")
_SPACY_FALLBACK = "xx"


_folded = lru_cache(maxsize=1 << 18)(fold)  # a document repeats its words: fold each once


@lru_cache(maxsize=32)
def _nlp(language: str):
    """The shared blank pipeline of ``language`` with a component that sets folded NORMs."""
    from spacy.language import Language

    from kb.nlp import blank

    if not Language.has_factory("ctkb_fold_norm"):

        @Language.component("ctkb_fold_norm")
        def fold_norm(doc):
            for token in doc:
                token.norm_ = _folded(token.lower_)
            return doc

    nlp = blank(language)
    if "ctkb_fold_norm" not in nlp.pipe_names:
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
    duty: bool = False  # duty words ("shall"), see kb.modality
    power: bool = False  # power words ("may")

    def of(self, criterion: str, kind: str) -> set[str]:
        return self.found.get(criterion, {}).get(kind, set())


class _Compiled:
    """One language's cues, compiled for speed (one side: body or heading).

    Plain phrases go to a ``PhraseMatcher`` (hash lookups, one pass for every criterion).
    Phrases with ``*`` or ``~`` and raw patterns go to one ``Matcher`` per criterion, run on a
    provision only when every exact word and word prefix of one of its patterns occurs there:
    a ``Matcher`` costs time per token *and* per pattern, so most provisions skip most of them.
    """

    def __init__(self, rubric: "Rubric", language: str, heading: bool) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        nlp = _nlp(language)
        self.phrases = PhraseMatcher(nlp.vocab, attr="NORM")
        self.matchers: dict[str, tuple[object, list[tuple[frozenset[str], tuple[str, ...]]]]] = {}
        self.longest = 1  # tokens in the longest possible match: the overlap windows need
        for c in rubric.criteria:
            matcher, anchors = Matcher(nlp.vocab, validate=True), []
            for kind in KINDS:
                for cue in getattr(c.cues, kind):
                    if cue.heading != heading or not cue.applies_to(language):
                        continue
                    label = f"{c.id}|{kind}|{cue.id}"
                    plain = [p for p in cue.phrases if "*" not in p and "~" not in p.split()]
                    if plain:
                        self.phrases.add(label, list(nlp.pipe(plain)))
                    patterns = [phrase_pattern(p, language) for p in cue.phrases if p not in plain]
                    patterns += [cue.pattern] if cue.pattern else []
                    if patterns:
                        matcher.add(label, patterns)
                        self.longest = max(self.longest, *(_longest(p) for p in patterns))
                        anchors.extend(_anchors(p) for p in patterns)
            if len(matcher):
                self.matchers[c.id] = (matcher, anchors)

    def __call__(self, doc) -> list[tuple[int, int, int]]:
        found = list(self.phrases(doc)) if len(self.phrases) else []
        if not self.matchers:
            return found
        strings = doc.vocab.strings
        norms = doc.to_array("NORM").tolist()  # hashes; no Token objects: faster
        for a, b in _windows(len(doc), self.longest):
            present = {strings[h] for h in set(norms[a:b])}
            ordered = sorted(present)
            span = None
            for matcher, anchors in self.matchers.values():
                if any(exact <= present and all(_has_prefix(ordered, p) for p in prefixes) for exact, prefixes in anchors):
                    span = span or doc[a:b]
                    found.extend((m, a + start, a + end) for m, start, end in matcher(span))
        return found


WINDOW_TOKENS = 120


def _windows(n: int, longest: int) -> list[tuple[int, int]]:
    """Token windows overlapping by the longest possible match, so no match is cut.

    A Matcher costs time per token and per pattern; checking anchors per window lets most
    windows of a long provision skip most criteria.
    """
    if n <= WINDOW_TOKENS or longest * 2 >= WINDOW_TOKENS:
        return [(0, n)]
    step = WINDOW_TOKENS - longest
    return [(a, min(n, a + WINDOW_TOKENS)) for a in range(0, n - longest, step)]


def _longest(pattern: list[dict]) -> int:
    """Most tokens a pattern can match (unbounded operators count as 'very many')."""
    total = 0
    for token in pattern:
        op = token.get("OP", "1")
        if op in ("*", "+"):
            return 10**6
        m = re.fullmatch(r"\{(\d*),?(\d*)\}", op)
        total += int(m.group(2) or m.group(1) or 1) if m else 1
    return total


def _anchors(pattern: list[dict]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Exact words and word prefixes a pattern cannot match without (others: none required)."""
    exact, prefixes = set(), []
    for token in pattern:
        norm = token.get("NORM")
        if token.get("OP") not in (None, "1", "+"):
            continue  # optional tokens are not required
        if isinstance(norm, str):
            exact.add(norm)
        elif isinstance(norm, dict) and isinstance(norm.get("REGEX"), str) and norm["REGEX"].startswith("^"):
            literal = re.sub(r"\\(.)", r"\1", norm["REGEX"][1:])
            if re.escape(literal) == norm["REGEX"][1:]:  # a plain prefix, not a user's regular expression
                prefixes.append(literal)
    return frozenset(exact), tuple(prefixes)


def _has_prefix(ordered: list[str], prefix: str) -> bool:
    i = bisect_left(ordered, prefix)
    return i < len(ordered) and ordered[i].startswith(prefix)


class CueMatcher:
    """All cues of a rubric, compiled per language on first use.

    Args:
        rubric: The rubric whose cues to match.
    """

    def __init__(self, rubric: "Rubric") -> None:
        self.rubric = rubric
        self._compiled: dict[tuple[str, bool], _Compiled] = {}

    def _matcher(self, language: str, heading: bool) -> _Compiled:
        key = (language, heading)
        if key not in self._compiled:
            self._compiled[key] = _Compiled(self.rubric, language, heading)
        return self._compiled[key]

    def match(self, texts: list[str], headings: list[str | None], language: str) -> list[CueHits]:
        """Cues found in each provision (body cues in ``texts``, heading cues in ``headings``).

        Line breaks and runs of spaces are matched as one space (a phrase wrapped over two
        lines of a PDF still matches); spans are offsets into the original texts.
        """
        nlp = _nlp(language)
        body, head = self._matcher(language, False), self._matcher(language, True)
        out = [CueHits() for _ in texts]
        squashed = [_squash(t) for t in texts]
        from kb.modality import modality_of

        for hits, doc, (_, where) in zip(out, nlp.pipe([s for s, _ in squashed], batch_size=64), squashed):
            self._collect(hits, doc, body(doc), where=where)
            found = modality_of(doc, language)  # same tokens, one pass
            hits.duty, hits.power = found.duty, found.power
        for hits, doc in zip(out, nlp.pipe([h or "" for h in headings], batch_size=256)):
            self._collect(hits, doc, head(doc), spans=False)
        return out

    @staticmethod
    def _collect(hits: CueHits, doc, matches, spans: bool = True, where: list[int] | None = None) -> None:
        strings = doc.vocab.strings
        for match_id, start, end in matches:
            criterion, kind, cue_id = strings[match_id].split("|", 2)
            hits.found.setdefault(criterion, {}).setdefault(kind, set()).add(cue_id)
            if spans and kind == "positive":
                span = doc[start:end]
                a, b = span.start_char, span.end_char
                if where is not None:
                    a, b = where[a], where[b - 1] + 1
                found = hits.spans.setdefault(criterion, [])
                if (a, b) not in found:  # overlapping windows find a match twice
                    found.append((a, b))


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

    # Whether a pattern is valid does not depend on the language, so one multi-language
    # pipeline checks them all: building a pipeline per language costs ~0.7 s each, and the
    # scorer builds only those of the documents' languages.
    language = _SPACY_FALLBACK
    matcher = Matcher(_nlp(language).vocab, validate=True)
    for i, c in enumerate(rubric.criteria):
        for kind in KINDS:
            for j, cue in enumerate(getattr(c.cues, kind)):
                try:
                    patterns = cue_patterns(cue, language)
                    if any(not any(set(t) - {"OP"} for t in p) for p in patterns):
                        raise ValueError("a pattern must name at least one word")
                    matcher.add(f"{i}|{kind}|{j}", patterns)
                except Exception as exc:  # noqa: BLE001 - spaCy's MatchPatternError and ValueError alike
                    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
                    detail = "; ".join(line.lstrip("- ") for line in lines if line.startswith("- ")) or lines[0]
                    field_name = "pattern" if cue.pattern else "phrases"
                    raise RubricError(path, f"criteria -> {i} -> cues -> {kind} -> {j} -> {field_name}",
                                      f"bad cue pattern: {detail}") from None
