"""Enrichment: definitions, penalties and cross-references for every provision.

The enricher tokenizes provision text with a *blank* spaCy pipeline (tokenizer only,
no model download) and finds the three families with rule-based ``Matcher`` and
``PhraseMatcher`` patterns (vocabulary in :mod:`indexing.patterns`, number words in
:mod:`indexing.numbers`). Spelled-out numbers are first merged into single tokens
marked ``NORM == patterns.NUM_NORM`` (value in ``token._.ctkb_value``) so the later patterns can say "a number" once.

Work is done once per *root* provision (one whose span no other provision contains);
each found item is then given to every provision whose span contains it, so a
section lists everything in its subsections and a subsection lists its own items.
All offsets are absolute character offsets into ``CleanDocument.text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span, Token
from spacy.util import (
    compile_infix_regex,
    compile_prefix_regex,
    compile_suffix_regex,
    filter_spans,
)

from indexing import numbers
from indexing import patterns as P
from indexing.crossrefs import find_cross_refs
from indexing.definitions import find_definitions
from indexing.penalties import find_penalties
from kb.models import CrossRef, Definition, Penalty, Provision, Segmentation

VERSION = "enrich@1"

# Languages spaCy ships a blank tokenizer for that the corpus uses; others use "xx".
_SPACY_LANGS = {"en", "es", "fr", "pt", "nl", "ar", "id", "bn", "de", "it", "ms", "ur", "hi", "sw"}


class _LanguageRules:
    """A blank pipeline for one language and the matchers built on its vocabulary."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.nlp = _blank(language)
        self.words = numbers.number_words(language) | numbers.number_words("en")
        vocab = self.nlp.vocab
        self.numbers = Matcher(vocab)
        word = {"LOWER": {"IN": sorted(self.words)}}
        joiner_or_word = {"LOWER": {"IN": sorted(self.words | numbers.JOINERS)}, "OP": "*"}
        self.numbers.add("WORDS", [[word], [word, joiner_or_word, word]])
        # "10 000" is one amount in French; LIKE_NUM is a flag read in C, unlike REGEX.
        self.numbers.add("DIGITS", [[{"LIKE_NUM": True}, {"SHAPE": "ddd", "OP": "*"}]])
        self.echo = Matcher(vocab)
        self.echo.add("ECHO", [
            # A hard line break may sit between a number and its echo ("TRES\n\n(3)").
            [P.NUM, {"IS_SPACE": True, "OP": "?"}, {"ORTH": "("}, P.NUM, {"ORTH": ")"}],
            [P.NUM, {"ORTH": "("}, {"TEXT": {"REGEX": r"^[^\x00-\x7f]+$"}, "OP": "{1,3}"}, {"ORTH": ")"}],
        ])
        self._build_penalty_matchers()
        self._build_ref_matchers()
        self._build_definition_matchers()

    # --- construction -------------------------------------------------------
    def _phrases(self, phrases: Iterable[str]) -> list[Doc]:
        return [self.nlp.make_doc(phrase) for phrase in phrases]

    def _build_penalty_matchers(self) -> None:
        vocab = self.nlp.vocab
        unit = {"LOWER": {"IN": sorted(P.UNITS)}}
        conn = {"LOWER": {"IN": sorted(P.RANGE_CONNECTORS)}}
        andw = {"LOWER": {"IN": ["and", "y", "e", "et", "en"]}}
        self.durations = Matcher(vocab)
        self.durations.add("DURATION", [
            [P.NUM, {"IS_SPACE": True, "OP": "?"}, unit], [{"ORTH": "("}, P.NUM, {"ORTH": ")"}, unit],
            [P.NUM, unit, andw, P.NUM, unit],
        ])
        sp = {"IS_SPACE": True, "OP": "?"}  # hard-wrapped sources break lines anywhere
        self.durations.add("RANGE", [
            [P.NUM, sp, conn, sp, P.NUM, sp, unit], [P.NUM, unit, conn, P.NUM, unit],
            [{"LOWER": {"IN": ["between", "entre"]}}, P.NUM, andw, P.NUM, unit],
        ])
        self.durations.add("DUAL", [[{"TEXT": {"IN": sorted(P.DUALS)}}]])
        fine_words = P.FINE_WORDS_BY_LANGUAGE.get(self.language, P.FINE_WORDS)
        self.keywords = PhraseMatcher(vocab, attr="LOWER")
        for label, phrases in [
            ("PRISON", P.PRISON_WORDS), ("FINE", fine_words), ("LEAD", P.LEAD_WORDS),
            ("LIFE", P.LIFE_PHRASES), ("LIFE_WEAK", P.LIFE_WEAK_PHRASES), ("DEATH", P.DEATH_PHRASES),
            ("NOFINE", P.NO_FINE_PHRASES),
        ]:
            self.keywords.add(label, self._phrases(sorted(phrases)))
        self.script_keywords: Matcher | None = None
        if self.language in P.SCRIPT_KEYWORD_LANGUAGES or self.nlp.lang == "xx":
            self.script_keywords = Matcher(vocab)
            for label, regex in P.SCRIPT_KEYWORDS.items():
                self.script_keywords.add(label, [[{"TEXT": {"REGEX": regex}}]])
        self.qualifiers = PhraseMatcher(vocab, attr="LOWER")
        self.qualifiers.add("MAX", self._phrases(P.MAX_QUALIFIERS))
        self.qualifiers.add("MIN", self._phrases(P.MIN_QUALIFIERS))

    def _build_ref_matchers(self) -> None:
        vocab = self.nlp.vocab
        self.refs = Matcher(vocab)
        self.refs.add("REF", P.ref_patterns())
        self.external = Matcher(vocab)
        self.external.add("EXTERNAL", [P.external_pattern()])

    def _build_definition_matchers(self) -> None:
        vocab = self.nlp.vocab
        # Verbs first, quotes checked backwards in code: a Matcher pattern opening on a
        # quote mark would start a partial match at every apostrophe of the text.
        self.def_verbs = PhraseMatcher(vocab, attr="LOWER")
        self.def_verbs.add("VERB", self._phrases(" ".join(v) for v in P.DEF_VERBS))
        self.triggers = PhraseMatcher(vocab, attr="LOWER")
        self.triggers.add("TRIGGER", [self.nlp.make_doc(" ".join(t)) for t in P.TRIGGERS_BEFORE_TERM])
        self.around = Matcher(vocab)
        for i, (before, after) in enumerate(P.TERM_THEN_TRIGGER):
            term = {"IS_PUNCT": False, "IS_SPACE": False, "OP": "{1,6}"}
            self.around.add(f"AROUND{i}", [[*({"LOWER": w} for w in before), term, *({"LOWER": w} for w in after)]])
        self.cues = PhraseMatcher(vocab, attr="LOWER")
        self.cues.add("CUE", self._phrases(P.LIST_DEFINITION_CUES))

    # --- per document -------------------------------------------------------
    def prepare(self, doc: Doc) -> Doc:
        """Merge number runs ("twenty - one", "CUATRO ( 4 )") into valued tokens."""
        spans = []
        for label, start, end in self.numbers(doc):
            span = doc[start:end]
            value = self._span_value(span, self.nlp.vocab.strings[label])
            if value is not None and self._is_number_here(span):
                spans.append((span, value))
        _merge(doc, spans)
        echoes = []
        for _, start, end in self.echo(doc):
            outer = doc[start]
            inner = doc[start + 3] if doc[start + 1].is_space else doc[start + 2]
            if not P.is_num(inner) or inner._.ctkb_value == outer._.ctkb_value:
                echoes.append((doc[start:end], outer._.ctkb_value))
        _merge(doc, echoes)
        return doc

    def _span_value(self, span: Span, label: str) -> float | None:
        if label == "DIGITS":
            return numbers.parse_numeral(" ".join(t.text for t in span))
        return numbers.parse_words([t.lower_ for t in span], self.language) or (
            numbers.parse_words([t.lower_ for t in span], "en")
        )

    def _is_number_here(self, span: Span) -> bool:
        """An article-like number word ("un", "een") counts only before a unit or scale."""
        if len(span) > 1 or span[0].lower_ not in numbers.AMBIGUOUS:
            return True
        nxt = span.doc[span.end] if span.end < len(span.doc) else None
        return nxt is not None and (nxt.lower_ in P.UNITS or nxt.text == "(")


_TOKENIZER = "ctkb_enrich_tokenizer.v1"
_EMOTICON_WITH_DIGIT = re.compile(r"\d[()\-]|[()]\d")


def _register_once() -> None:
    """Declare the token attribute and the tokenizer factory (idempotent, not at import)."""
    if not Token.has_extension("ctkb_value"):
        Token.set_extension("ctkb_value", default=None)
    if _TOKENIZER not in spacy.registry.tokenizers:
        spacy.registry.tokenizers(_TOKENIZER, func=_tokenizer_factory)


def _tokenizer_factory() -> Callable[[Language], Tokenizer]:
    """The language's default tokenizer plus two rules: "279.01(1)" splits at the
    bracket, and a currency mark glued to an amount ("K500,000") becomes a token.

    Built in one go: setting ``prefix_search`` on an existing tokenizer reloads its
    special cases, which takes seconds for languages with large exception lists.
    """

    def make(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        infixes = [*(defaults.infixes or []), r"(?<=[0-9A-Za-z])\((?=[0-9A-Za-z])", r"(?<=\))\((?=[0-9A-Za-z])", r"(?<=[0-9A-Za-z])\)(?=\()"]
        prefixes = [P.CURRENCY_PREFIX_REGEX, *(defaults.prefixes or [])]
        return Tokenizer(
            nlp.vocab,
            # Emoticon exceptions such as "8)" would swallow the bracket of "ocho (8) años".
            rules={k: v for k, v in defaults.tokenizer_exceptions.items() if not _EMOTICON_WITH_DIGIT.search(k)},
            prefix_search=compile_prefix_regex(prefixes).search,
            # Some languages (ar) keep "سنتين)." whole; brackets and a stop after them always split.
            suffix_search=compile_suffix_regex([*(defaults.suffixes or []), r"(?<=\))\.", r"\)"]).search,
            infix_finditer=compile_infix_regex(infixes).finditer,
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )

    return make


def _blank(language: str) -> Language:
    """A blank pipeline (tokenizer only) for ``language``, "xx" if spaCy lacks it."""
    code = language if language in _SPACY_LANGS else "xx"
    config = {"nlp": {"tokenizer": {"@tokenizers": _TOKENIZER}}}
    try:
        return spacy.blank(code, config=config)
    except ImportError:  # a language spaCy lacks
        return spacy.blank("xx", config=config)


def _merge(doc: Doc, spans: list[tuple[Span, float | None]]) -> None:
    """Merge non-overlapping spans (longest wins) into number tokens."""
    values = {(s.start, s.end): v for s, v in spans}
    with doc.retokenize() as retokenizer:
        for span in filter_spans([s for s, _ in spans]):
            value = values[(span.start, span.end)]
            retokenizer.merge(span, attrs={"NORM": P.NUM_NORM, "_": {"ctkb_value": value}})


@dataclass
class Found:
    """Items found in one root provision, with absolute offsets."""

    definitions: list[Definition] = field(default_factory=list)
    penalties: list[Penalty] = field(default_factory=list)
    cross_refs: list[CrossRef] = field(default_factory=list)


def find_all(rules: Any, doc: Doc, root: Provision) -> Found:
    """Run the three families over one root provision's prepared ``doc``."""
    return Found(
        definitions=find_definitions(rules, doc, root.start),
        penalties=find_penalties(rules, doc, root.start),
        cross_refs=find_cross_refs(rules, doc, root),
    )


class Enricher:
    """Fills ``definitions``, ``penalties`` and ``cross_refs`` on provisions.

    One blank spaCy pipeline and its matchers per language, built on first use and
    cached; constructing an Enricher does no work.
    """

    def __init__(self) -> None:
        self._rules: dict[str, _LanguageRules] = {}

    def rules(self, language: str) -> _LanguageRules:
        """The cached rules for ``language`` (built on first call)."""
        if language not in self._rules:
            _register_once()
            self._rules[language] = _LanguageRules(language)
        return self._rules[language]

    def enrich(self, seg: Segmentation, language: str) -> Segmentation:
        """Return a copy of ``seg`` whose provisions carry their enrichments.

        Args:
            seg: The segmenter's output; provisions must satisfy
                ``text == document.text[start:end]``.
            language: ISO 639-1 code of the document ("en", "es", ...).

        Returns:
            A new Segmentation; existing enrichments are replaced, not appended to.
        """
        rules = self.rules(language)
        roots = _roots(seg.provisions)
        docs = rules.nlp.tokenizer.pipe(_tame_runs(root.text) for root in roots)
        found = [find_all(rules, rules.prepare(doc), root) for root, doc in zip(roots, docs)]
        provisions = [_attach(p, roots, found) for p in seg.provisions]
        return seg.model_copy(update={"provisions": provisions})


# spaCy's tokenizer splits a run of prefix/suffix punctuation one character at a time,
# copying the rest each time: quadratic (20,000 "(" take minutes). Such runs hold nothing
# the rules look for, so they are tokenized as spaces of the same length (offsets kept).
_PUNCT_RUN = re.compile(r"([^\w\s.\-])\1{63,}")


def _tame_runs(text: str) -> str:
    return _PUNCT_RUN.sub(lambda m: " " * len(m.group(0)), text) if len(text) > 64 else text


def _roots(provisions: list[Provision]) -> list[Provision]:
    """Provisions whose span lies inside no other provision's span (first wins on ties)."""
    ordered = sorted(provisions, key=lambda p: (p.start, -p.end))
    roots: list[Provision] = []
    for p in ordered:
        if roots and roots[-1].start <= p.start and p.end <= roots[-1].end:
            continue
        roots.append(p)
    return roots


def _attach(p: Provision, roots: list[Provision], found: list[Found]) -> Provision:
    """A copy of ``p`` holding the found items that lie inside its span."""
    definitions: list[Definition] = []
    penalties: list[Penalty] = []
    refs: list[CrossRef] = []
    for root, items in zip(roots, found):
        if root.end <= p.start or root.start >= p.end:
            continue
        inside = lambda item: p.start <= item.start and item.end <= p.end  # noqa: E731
        definitions += [d for d in items.definitions if inside(d)]
        penalties += [x for x in items.penalties if inside(x)]
        refs += [r for r in items.cross_refs if inside(r)]
    return p.model_copy(update={"definitions": definitions, "penalties": penalties, "cross_refs": refs})
