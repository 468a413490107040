"""Penalties as structured values (imprisonment range, life, death, fines) from a prepared spaCy Doc."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from indexing import patterns as P
from indexing.enrich_common import (
    _QUAL_LOOKBACK,
    _clauses,
    _ref_noun_followers,
    _trimmed,
    is_clause_break,
)
from kb.models import Penalty


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
