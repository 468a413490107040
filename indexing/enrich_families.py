"""The three enrichment families, read off a prepared spaCy ``Doc``.

:mod:`indexing.enrich` builds the matchers and merges number runs; this module turns
matches into :class:`~kb.models.Definition`, :class:`~kb.models.Penalty` and
:class:`~kb.models.CrossRef` values. ``doc`` is the text of one root provision, so
every offset is shifted by ``root.start`` to make it absolute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from indexing import patterns as P
from kb.models import CrossRef, Definition, Penalty, Provision

_ABBREVIATIONS = frozenset({"no", "ss", "art", "arts", "para", "sec", "s", "p", "cf", "nr", "n", "sub", "v", "vs"})
_TERM_MAX_CHARS = 120
_DEF_MAX_CHARS = 3000
_MIDDLE_MAX = 9  # tokens between the closing quote and the verb
_TERM_MAX_TOKENS = 12
_QUAL_LOOKBACK = 7  # "minimum punishment of imprisonment for a term of | four years"
_TARGET = re.compile(P.TARGET_REGEX)
_LIST_MARK = re.compile(P.LIST_MARK_REGEX)
_TRAILING = frozenset({";", ",", "and", "or", "y", "o", "et", "ou", "en", "of", "e", "—", "-", "–", ":"})


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


# --- shared helpers ------------------------------------------------------------
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


# --- penalties -------------------------------------------------------------------
@dataclass
class _Duration:
    start: int  # token range of the whole match
    end: int
    low: float | None = None  # years
    high: float | None = None
    role: str = "fixed"  # "fixed" | "min" | "max" | "range"


def _years(value: float, unit: str) -> float:
    low = unit.lower()
    if low in P.MONTH_UNITS:
        return round(value / 12, 4)
    if low in P.DAY_UNITS:
        return round(value / 365, 4)
    return float(value)


def _durations(rules: Any, doc: Doc) -> list[_Duration]:
    """Every term of time in ``doc`` with its role from qualifiers and ranges."""
    spans = filter_spans([Span(doc, s, e, label=l) for l, s, e in rules.durations(doc)])
    quals = _qualifier_ends(rules, doc)
    found: list[_Duration] = []
    for span in spans:
        duration = _read_duration(span)
        if duration is None or _is_age(doc, span):
            continue
        if duration.role != "range":
            duration.role = _qualifier_before(doc, span.start, quals) or duration.role
            _pair_with_previous(doc, duration, found)
        found.append(duration)
    found += _bare_year_numbers(doc, quals, spans)
    return sorted(found, key=lambda d: d.start)


def _read_duration(span: Span) -> _Duration | None:
    nums = [t for t in span if P.is_num(t)]
    units = [t for t in span if t.lower_ in P.UNITS]
    if span.label_ == "DUAL":
        count, unit = P.DUALS[span.text]
        years = _years(count, unit + "s")
        return _Duration(span.start, span.end, years, years)
    if not nums or not units or any(n._.ctkb_value is None for n in nums):
        return None
    if span.label_ == "RANGE":
        low = _years(nums[0]._.ctkb_value, units[0].text)
        high = _years(nums[-1]._.ctkb_value, units[-1].text)
        return _Duration(span.start, span.end, low, high, role="range")
    # "six (6) years and one (1) day": add the parts.
    years = sum(_years(n._.ctkb_value, u.text) for n, u in zip(nums, units))
    return _Duration(span.start, span.end, round(years, 4), round(years, 4))


def _is_age(doc: Doc, span: Span) -> bool:
    """"under 16 years of age", "menor de TRECE (13) años", "twelve years old"."""
    before = {t.lower_ for t in doc[max(0, span.start - 3):span.start]}
    after = [t.lower_ for t in doc[span.end:span.end + 2]]
    if before & P.AGE_BEFORE:
        return True
    if after and after[0] in P.AGE_AFTER:
        return True
    return len(after) == 2 and after[0] in {"of", "de", "d'", "d’"} and after[1] in P.AGE_AFTER


def _qualifier_ends(rules: Any, doc: Doc) -> dict[int, tuple[int, str]]:
    """Qualifier phrases by end token: end -> (start, "MIN"|"MAX"), longest kept."""
    ends: dict[int, tuple[int, str]] = {}
    for label, start, end in rules.qualifiers(doc):
        if end not in ends or start < ends[end][0]:
            ends[end] = (start, doc.vocab.strings[label])
    return ends


def _qualifier_before(doc: Doc, start: int, quals: dict[int, tuple[int, str]]) -> str | None:
    """"min"/"max" if a qualifier ends shortly before token ``start`` with no number between."""
    for end in range(start, max(0, start - _QUAL_LOOKBACK) - 1, -1):
        if end in quals:
            return quals[end][1].lower()
        token = doc[end - 1] if end > 0 else None
        if token is None or P.is_num(token) or is_clause_break(token) or token.lower_ in P.UNITS:
            return None
    return None


def _pair_with_previous(doc: Doc, duration: _Duration, found: list[_Duration]) -> None:
    """"six years and one day to twelve years": the later term is the maximum."""
    if not found or duration.start < 2:
        return
    if doc[duration.start - 1].lower_ in P.RANGE_CONNECTORS and found[-1].end == duration.start - 1:
        if found[-1].role == "fixed":
            found[-1].role = "min"
        if duration.role == "fixed":
            duration.role = "max"


def _bare_year_numbers(doc: Doc, quals: dict[int, tuple[int, str]], spans: list[Span]) -> list[_Duration]:
    """"imprisonment for any term of years not less than 15": number without unit."""
    taken = {i for s in spans for i in range(s.start, s.end)}
    out = []
    for i, (q_start, label) in quals.items():
        if i >= len(doc) or i in taken or q_start == 0 or doc[q_start - 1].lower_ not in P.YEAR_UNITS:
            continue
        token = doc[i]
        if P.is_num(token) and token._.ctkb_value is not None:
            value = float(token._.ctkb_value)
            out.append(_Duration(i, i + 1, value, value, role=label.lower()))
    return out


def _keyword_spans(rules: Any, doc: Doc) -> list[tuple[str, int, int]]:
    out = []
    negated = set()
    script = rules.script_keywords(doc) if rules.script_keywords is not None else []
    for label, start, end in [*rules.keywords(doc), *script]:
        name = doc.vocab.strings[label]
        if name == "NOFINE":
            negated.add(end - 1)
        out.append((name, start, end))
    return [(n, s, e) for n, s, e in out if n != "NOFINE" and not (n == "FINE" and s in negated)]


def find_penalties(rules: Any, doc: Doc, offset: int) -> list[Penalty]:
    """One Penalty per clause that names a punishment with something to measure."""
    keywords = _keyword_spans(rules, doc)
    if not any(k[0] in {"PRISON", "FINE", "LIFE", "DEATH"} for k in keywords):
        return []
    durations = _durations(rules, doc)
    ref_tokens = _ref_noun_followers(rules, doc)
    penalties = []
    for c_start, c_end in _clauses(doc):
        kws = [k for k in keywords if c_start <= k[1] and k[2] <= c_end]
        names = {k[0] for k in kws}
        if not names & {"PRISON", "FINE", "LIFE", "DEATH"}:
            continue
        durs = _durations_for_clause(doc, durations, kws, c_start, c_end)
        penalty = _build_penalty(doc, offset, kws, durs, ref_tokens, c_end)
        if penalty is not None:
            penalties.append(penalty)
    return penalties


def _durations_for_clause(doc: Doc, durations: list[_Duration], kws: list, c_start: int, c_end: int) -> list[_Duration]:
    """Durations after the first punishment word, or just before "de prisión"/after "pena de"."""
    punish = [k for k in kws if k[0] in {"PRISON", "FINE", "LIFE", "LIFE_WEAK", "DEATH"}]
    first = min(k[1] for k in punish)
    leads = [k for k in kws if k[0] == "LEAD"]
    out = []
    for d in durations:
        if not (c_start <= d.start and d.end <= c_end):
            continue
        if d.start >= first:
            out.append(d)
        elif any(0 <= k[1] - d.end <= 2 for k in punish) or any(0 <= d.start - k[2] <= 6 for k in leads):
            out.append(d)
    return out


def _build_penalty(doc: Doc, offset: int, kws: list, durs: list[_Duration], ref_tokens: set[int], c_end: int) -> Penalty | None:
    names = {k[0] for k in kws}
    lows = [d.low for d in durs if d.role in {"min", "range"}]
    highs = [d.high for d in durs if d.role in {"max", "range", "fixed"}]
    life = "LIFE" in names or ("LIFE_WEAK" in names and "PRISON" in names)
    death = "DEATH" in names
    fine, amount, currency, fine_tokens = _fine(doc, kws, durs, ref_tokens, c_end)
    if not (durs or life or death or fine):
        return None
    relevant = [k for k in kws if k[0] != "LEAD" or any(d.start >= k[2] for d in durs)]
    starts = [k[1] for k in relevant] + [d.start for d in durs]
    ends = [k[2] for k in kws if k[0] != "LEAD"] + [d.end for d in durs] + fine_tokens
    start, end = _trimmed(doc, min(starts), max(ends))
    span = doc[start:end]
    return Penalty(
        text=span.text,
        imprisonment_min_years=min(lows) if lows else None,
        imprisonment_max_years=max(highs) if highs else None,
        life=life, death=death, fine=fine, fine_amount_max=amount, currency=currency,
        start=offset + span.start_char, end=offset + span.end_char,
    )


def _fine(doc: Doc, kws: list, durs: list[_Duration], ref_tokens: set[int], c_end: int):
    """Whether the clause fines, the largest stated amount and its currency."""
    fines = [k for k in kws if k[0] == "FINE"]
    if not fines:
        return False, None, None, []
    start = min(k[1] for k in fines)
    prisons = [k[1] for k in kws if k[0] == "PRISON" and k[1] > start]
    end = min(prisons) if prisons else c_end
    in_durations = {i for d in durs for i in range(d.start, d.end)}
    amounts, currency, tokens = [], None, []
    for token in doc[start:end]:
        if not P.is_num(token) or token.i in in_durations or token.i in ref_tokens or token._.ctkb_value is None:
            continue
        before = doc[token.i - 1].text if token.i else ""
        cur = (before if before in P.CURRENCY_SYMBOLS else None) or _currency_after(doc, token.i)
        if cur is None and not _range_to_currency(doc, token.i):
            continue
        currency = currency or cur
        tokens.append(_currency_end(doc, token.i))
        if not (token.i - 1 >= 0 and _ends_min_qualifier(doc, token.i)):
            amounts.append(float(token._.ctkb_value))
    return True, (max(amounts) if amounts else None), currency, tokens


_CURRENCY_GAP = frozenset({")", "(", "penalty", "de", "d'", "d’", "of"})


def _currency_after(doc: Doc, i: int) -> str | None:
    """The currency word shortly after a number: "(مليون) ريال", "million de francs"."""
    for token in doc[i + 1:i + 4]:
        if token.lower_ in P.CURRENCY_WORDS:
            return P.CURRENCY_WORDS[token.lower_]
        if token.lower_ not in _CURRENCY_GAP and not P.is_num(token):
            return None
    return None


def _currency_end(doc: Doc, i: int) -> int:
    """Token end of an amount, including a following currency word."""
    for token in doc[i + 1:i + 4]:
        if token.lower_ in P.CURRENCY_WORDS:
            return token.i + 1
        if token.lower_ not in _CURRENCY_GAP and not P.is_num(token):
            break
    return i + 1


def _range_to_currency(doc: Doc, i: int) -> bool:
    """"10 000 à 500 000 francs": the low end of a range takes the currency of the high end."""
    return i + 2 < len(doc) and doc[i + 1].lower_ in P.RANGE_CONNECTORS and P.is_num(doc[i + 2]) and (
        _currency_after(doc, i + 2) is not None
    )


def _ends_min_qualifier(doc: Doc, i: int) -> bool:
    window = " ".join(t.lower_ for t in doc[max(0, i - 4):i])
    return any(window.endswith(q) for q in P.MIN_QUALIFIERS)


# --- cross-references -----------------------------------------------------------
def _ref_noun_followers(rules: Any, doc: Doc) -> set[int]:
    """Token indices of reference targets, so "section 5" is never a fine of 5."""
    return {e - 1 for _, _, e in rules.refs(doc)}


def _target_end(doc: Doc, i: int) -> int:
    """Extend a target past "bis", "-A" and bracketed labels: "279.01(1)(a)"."""
    n = len(doc)
    if i < n and doc[i].lower_ in P.SUFFIXES:
        i += 1
    if i + 1 < n and doc[i].text == "-" and len(doc[i + 1].text) == 1 and doc[i + 1].is_upper:
        i += 2
    while i + 2 < n and doc[i].text == "(" and doc[i + 2].text == ")" and len(doc[i + 1].text) <= 4 and (
        doc[i].whitespace_ == "" or doc[i - 1].text == ")"
    ):
        i += 3
    return i


def _is_target(token: Token) -> bool:
    return P.is_num(token) or bool(_TARGET.match(token.text))


def find_cross_refs(rules: Any, doc: Doc, root: Provision) -> list[CrossRef]:
    """References such as "sections 42 and 43 of the Penal Code", one per target."""
    refs: list[CrossRef] = []
    for span in filter_spans([doc[s:e] for _, s, e in rules.refs(doc)]):
        kind = _ref_kind(span)
        groups = [(span.start, _target_end(doc, span.end))]
        i = groups[0][1]
        while i + 1 < len(doc) and doc[i].lower_ in P.LIST_JOINERS and _is_target(doc[i + 1]):
            if doc[i].text == "," and i + 2 < len(doc) and doc[i + 2].text == "." :
                break
            end = _target_end(doc, i + 2)
            groups.append((i + 1, end))
            i = end
        if i < len(doc) and doc[i].lower_ in {"and", "or", "y", "et"} and i + 1 < len(doc) and _is_target(doc[i + 1]):
            groups.append((i + 1, _target_end(doc, i + 2)))
            i = groups[-1][1]
        while i < len(doc) and doc[i].lower_ in P.SKIP_BEFORE_EXTERNAL:
            i += 1
        external = _names_instrument(rules, doc, i)
        first_target = span.end - 1 if doc[span.end - 1].text != ")" else span.end - 3
        for n, (g_start, g_end) in enumerate(groups):
            t_start = first_target if n == 0 else g_start
            target = "".join(t.text for t in doc[t_start:g_end]).rstrip(".")
            if n == 0 and target == root.number and span.start_char < 12:
                break  # the provision's own heading, not a reference
            text_span = doc[g_start:g_end]
            refs.append(CrossRef(
                text=text_span.text, target=target, kind=kind, external=external,
                start=root.start + text_span.start_char, end=root.start + text_span.end_char,
            ))
    return refs


def _names_instrument(rules: Any, doc: Doc, i: int) -> bool:
    """Whether "of the Penal Code"-like words start at token ``i``."""
    window = doc[i:min(len(doc), i + 14)]
    return any(span.start == i for span in rules.external(window, as_spans=True))


def _ref_kind(span: Span) -> str:
    words = [t.lower_ for t in span]
    if words[:3] == ["sub", "-", "section"] or words[:3] == ["sub", "-", "sections"]:
        return "subsection"
    if words[:3] == ["sub", "-", "paragraph"]:
        return "subparagraph"
    return P.NOUN_KIND.get(words[0], P.NOUN_KIND.get(words[0] + ".", "section"))


# --- definitions ----------------------------------------------------------------
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
