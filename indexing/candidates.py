"""Candidate headings for the segmenter: lines that could open a provision or a division.

Detection here is deliberately permissive (it only applies hard filters that never
hold for a real heading); :mod:`indexing.segment` scores the candidates and chooses.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from indexing import headings as H
from kb.models import CleanDocument

_QUOTES = "\"“”‘’'«„"
_TERMINAL = ".:;—–-)\"”’!?]"
_SEPARATORS = " \t.:-—–º°ª)"


@dataclass
class Line:
    """One line of the cleaned text with the source heading hint that starts on it."""

    start: int
    end: int
    text: str
    hint: int | None
    hint_full: bool


@dataclass
class Cand:
    """A line that could open a top-level provision, with its evidence score."""

    line: int
    start: int
    num_end: int
    family: str
    kind: str
    cite_word: str
    label: str
    number: str
    key: tuple[int, str]
    heading: str | None
    base: float
    score: float = 0.0


@dataclass
class Div:
    """A division heading (Part, Chapter, Título, BAB...) found in the text."""

    line: int
    start: int
    end: int
    kind: str
    rank: int
    number: str | None
    label: str
    heading: str | None
    restart: bool
    ordinal_provisions: bool


# --- lines ----------------------------------------------------------------------------

def split_lines(doc: CleanDocument) -> list[Line]:
    hints = sorted(doc.headings, key=lambda h: h.start)
    starts = [h.start for h in hints]
    out: list[Line] = []
    pos = 0
    for raw in doc.text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        lead = len(raw) - len(raw.lstrip())
        first, last = start + lead, start + len(raw.rstrip())
        level, full = None, False
        i = bisect.bisect_left(starts, start)
        while i < len(hints) and hints[i].start < max(last, first + 1):
            hint = hints[i]
            if hint.start <= first + 4:  # hint starts at the line's first characters
                level, full = hint.level, hint.end >= last - 1
                break
            i += 1
        out.append(Line(start, end, raw, level, full))
    return out


def prev_context(lines: list[Line], i: int, short: int = 40) -> tuple[bool, bool]:
    """(blank line before, previous line is complete) for line ``i``.

    A previous line is complete when it ends a sentence, is a source heading, or is
    clearly shorter than the document's lines (a title such as "Ameaça"); a full-width
    line without final punctuation means line ``i`` continues a wrapped sentence.
    """
    j = i - 1
    if j < 0:
        return True, True
    if not lines[j].text.strip():
        return True, True
    prev = lines[j].text.rstrip()
    complete = prev[-1] in _TERMINAL or lines[j].hint is not None or prev.isupper()
    return False, complete or len(prev.strip()) < short


def short_line(lines: list[Line]) -> int:
    """Length under which a line counts as short (60% of the median non-blank line)."""
    cached = getattr(short_line, "_cache", None)
    if cached is not None and cached[0] is lines:
        return cached[1]
    lengths = sorted(len(ln.text.strip()) for ln in lines if ln.text.strip())
    value = int(0.6 * lengths[len(lengths) // 2]) if lengths else 40
    short_line._cache = (lines, value)  # type: ignore[attr-defined]
    return value


def strip_markup(text: str) -> tuple[str, int]:
    """Text without leading whitespace/leftover Markdown marks, and how much was cut."""
    m = re.match(r"[\s#>*_]*", text)
    return text[m.end():], m.end()


# --- provision candidates ------------------------------------------------------------

_KEYWORD_RES = [
    (kw, re.compile(rf"(?:{kw.pattern})(?=[\s{H.DIGIT_CLASS}(])\s*"))
    for kw in H.PROVISION_KEYWORDS
]
_NUMBER = re.compile(rf"\(?(?P<num>{H.NUMBER_RE})\)?(?P<ind>[º°ª]|o(?=[\s.\-—–]))?")
_ORDINAL_AFTER_KW = re.compile(rf"(?P<ord>{H.ARABIC_ORDINAL_RE}|[A-Za-zÁÉÍÓÚáéíóúñÑ]+)")
_BARE = re.compile(rf"(?P<num>{H.NUMBER_RE})(?P<term>\.(?![{H.DIGIT_CLASS}])|।|:|\s+[-—–](?=\s))?")
_MIDLINE = re.compile(r"(?<=\S)(?P<kw>SECTION|SEC\.|ARTICLE|ART\.|ARTÍCULO|ARTICULO)\s+(?P<num>\d{1,4}[A-Z]?)[º°]?(?:\.\s*[-—–]?|\s*[—–])\s*(?=[A-ZÁÉÍÓÚ])")
_DISPOSITION = re.compile(r"(?P<ord>[A-ZÁÉÍÓÚ][A-Za-zÁÉÍÓÚáéíóúñ]+)\s*(?:\.\s*[-—–]|[-—–]|\.)\s*")


def _cite_word(kw: H.Keyword, printed: str, language: str) -> str:
    if kw.citation == "Article" and printed.lower().startswith("art") and language in H.ABBREVIATED_ARTICLE:
        if printed in ("Art.", "ART.") or language != "en":
            return H.ABBREVIATED_ARTICLE[language]
    return kw.citation


def _follow_ok(rest: str) -> bool:
    """Whether the text after a number reads like a heading, not a cross-reference."""
    lead = rest.lstrip()
    if lead.startswith(","):
        return False
    terminated = bool(lead[:1]) and (lead[:1] in ".:—–-" or lead.startswith(")"))
    words = lead.lstrip(_SEPARATORS).lstrip()
    if not terminated and words[:1].isalpha() and words[:1].islower():
        return False
    return True


def _title(rest: str, line: Line, next_line: Line | None, following: Line | None = None) -> str | None:
    """The heading printed with a provision number, if any.

    ``following`` is the line after ``next_line``: when it starts in lower case the
    next line is the first line of a wrapped sentence, not a title.
    """
    text = rest.strip().lstrip(_SEPARATORS).strip()
    text = re.sub(rf"^\(?[{H.DIGIT_CLASS}]+\)?\s*[.।]\s*", "", text) if re.match(r"^[0-9]+\s*\.\s*\D", text) else text
    if not text:
        if next_line is not None and next_line.text.strip():
            nxt = next_line.text.strip().lstrip("#*_ ")
            wraps = following is not None and following.text.strip()[:1].islower()
            plain = nxt[:1].isalpha() and not wraps  # "(1) ..." is the body, not a title
            if next_line.hint is not None or (len(nxt) <= 90 and nxt[-1:] not in ".;:," and plain):
                return nxt.strip("*_ ").rstrip(".").strip() or None
        return None
    if line.hint is not None and line.hint_full:
        return text.rstrip(" .:-—–").strip() or None
    continues = next_line is not None and next_line.text.strip()[:1].islower()
    if len(text.split()) <= 7 and text[:1].isupper() and text[-1:] not in ".;:,—–-" and not continues:
        return text  # a short title alone on its line ("1. Short title")
    if len(text.split()) <= 5 and text[:1].isupper() and text.endswith(".") and next_line is not None \
            and not continues and "." not in text[:-1]:
        return text[:-1].strip() or None  # "Artículo 1. Objeto." with the body on the next line
    m = re.match(r"(.{2,120}?)(?:\s*\.\s*[-—–]|\s+[-—–]\s|\.\s+(?=[A-ZÁÉÍÓÚ])|—(?=[(A-Z]))", text)
    if m and len(m.group(1).split()) <= 8 and not re.search(r"\b(?:of|de|the|la|el)$", m.group(1)):
        return m.group(1).strip().rstrip(".") or None
    return None


def next_nonblank(lines: list[Line], i: int, limit: int = 2) -> Line | None:
    """The first non-blank line after ``i`` within ``limit`` blank lines."""
    for j in range(i + 1, min(len(lines), i + 2 + limit)):
        if lines[j].text.strip():
            return lines[j]
    return None


def _index_after(lines: list[Line], i: int, target: Line) -> int:
    """Index of ``target``, a line shortly after line ``i``."""
    j = i + 1
    while lines[j] is not target:
        j += 1
    return j


def provision_candidates(lines: list[Line], language: str) -> list[Cand]:
    bare_word, bare_kind = H.BARE_STYLE.get(language, ("Section", "section"))
    out: list[Cand] = []
    for i, line in enumerate(lines):
        s, cut = strip_markup(line.text)
        if not s or s[0] in _QUOTES:
            continue
        start = line.start + cut
        nxt = next_nonblank(lines, i)
        following = next_nonblank(lines, _index_after(lines, i, nxt)) if nxt is not None else None
        cand = _keyword_candidate(s, start, i, line, (nxt, following), language)
        if cand is None:
            cand = _bare_candidate(s, start, i, line, (nxt, following), bare_word, bare_kind)
        if cand is not None:
            out.append(cand)
        out.extend(_midline_candidates(line, i, language))
    return out


def _keyword_candidate(s, start, i, line, nxt, language) -> Cand | None:
    for kw, rx in _KEYWORD_RES:
        m = rx.match(s)
        if not m:
            continue
        rest = s[m.end():]
        nm = _NUMBER.match(rest)
        if nm:
            label = nm.group("num")
            number = H.ascii_digits(label)
            key = H.number_key(number)
            after = rest[nm.end():]
        else:
            om = _ORDINAL_AFTER_KW.match(rest)
            value = H.ordinal_value(om.group("ord")) if om else None
            if value is None:
                return None
            label, number, key, after = om.group("ord"), str(value), (value, ""), rest[om.end():]
        if key is None or not _follow_ok(after):
            return None
        word = _cite_word(kw, m.group(0).strip(), language)
        num_end = start + m.end() + (len(rest) - len(after))
        return Cand(i, start, num_end, kw.family, kw.kind, word, label, number, key,
                     _title(after, line, *nxt), 1.0)
    return None


# A line wrapped just after a cross-reference ("... an offence under section 3").
_XREF_END = re.compile(r"\b(?:section|article|regulation|rule|paragraph|clause)\s+\d{1,3}$", re.I)


def _bare_candidate(s, start, i, line, nxt, word, kind) -> Cand | None:
    m = _BARE.match(s)
    if not m:
        return None
    after = s[m.end():]
    follow = after.lstrip()
    if m.group("term") is None:
        # "279 Kidnapping" is a heading only when the source says so; "279 (1) ..." repeats one.
        if not after[:1].isspace() and after:
            return None
        if line.hint is None and not follow.startswith("("):
            return None
    if follow and follow[0].isalpha() and follow[0].islower():
        return None
    if not follow and line.hint is None:
        return None
    if follow[:1] and follow[:1] in ",;":
        return None
    if line.hint is None and re.search(r"\s\d{1,3}$", after.rstrip()) and not _XREF_END.search(after.rstrip()):
        return None  # a table-of-contents entry ("3. Referral Quality 8"), not a wrapped cross-reference
    number = H.ascii_digits(m.group("num"))
    key = H.number_key(number)
    if key is None:
        return None
    return Cand(i, start, start + m.end(), "bare", kind, word, m.group("num"), number, key,
                 _title(after, line, *nxt), 0.0)


def _midline_candidates(line: Line, i: int, language: str) -> list[Cand]:
    out = []
    for m in _MIDLINE.finditer(line.text):
        if line.text[: m.start()].strip() == "" or any(q in line.text[: m.start()] for q in "\"“"):
            continue
        word = "Section" if m.group("kw").startswith("SEC") else H.ABBREVIATED_ARTICLE.get(language, "Article")
        key = H.number_key(m.group("num"))
        start = line.start + m.start()
        out.append(Cand(i, start, line.start + m.end("num") + 1, "mid:" + word, "section" if word == "Section" else "article",
                         word, m.group("num"), m.group("num"), key, _title(line.text[m.end():], line, None), -0.5))
    return out


def disposition_candidates(lines: list[Line], divs: list[Div], language: str) -> list[Cand]:
    """Ordinal-numbered provisions ("Primera.-", "Única.-") inside final/transitory divisions."""
    out = []
    div_starts = [d.start for d in divs]
    for i, line in enumerate(lines):
        s, cut = strip_markup(line.text)
        m = _DISPOSITION.match(s)
        if not m:
            continue
        value = H.ordinal_value(m.group("ord"))
        k = bisect.bisect_right(div_starts, line.start) - 1
        if value is None or k < 0 or not divs[k].ordinal_provisions:
            continue
        start = line.start + cut
        out.append(Cand(i, start, start + m.end("ord"), "ordinal", "provision", divs[k].label.title(),
                         m.group("ord"), m.group("ord").capitalize(), (value, ""),
                         _title(s[m.end("ord"):], line, None), 1.0))
    return out


# --- divisions, schedules, back matter -----------------------------------------------

_DIV_RES = [
    (kind, rank, re.compile(
        rf"(?P<kw>{pattern})\s+(?P<num>{H.ROMAN_RE}(?:-?[A-Z])?(?![a-z])|[{H.DIGIT_CLASS}]+[A-Z]?|"
        rf"{H.ARABIC_ORDINAL_RE}|[A-Za-z]+(?:\s+[Bb]elas)?)(?P<rest>.*)$"))
    for pattern, kind, rank in H.DIVISION_KEYWORDS
]
_BN_DIV = re.compile(r"(?P<num>\S+)\s+(?P<kw>অধ্যায়|ভাগ|পরিচ্ছেদ)(?P<rest>.*)$")
_RESTART_RE = re.compile(rf"(?:{'|'.join(H.RESTART_DIVISIONS)})")
_ORDINAL_DIV_RE = re.compile(H.ORDINAL_PROVISION_DIVISIONS)
_SCHEDULE_RE = re.compile(H.SCHEDULE_PATTERN + r"(?P<rest>.*)$")
_BACK_RE = re.compile(rf"(?:{'|'.join(H.BACK_MATTER)})")


def _division_number(raw: str) -> str | None:
    raw = raw.strip()
    if re.fullmatch(rf"[{H.DIGIT_CLASS}]+[A-Z]?", raw):
        return H.ascii_digits(raw)
    if H.roman_value(re.sub(r"-?[A-Z]$", "", raw) or raw) is not None and raw.isupper():
        return raw
    value = H.ordinal_value(raw)
    return str(value) if value is not None else None


def _division_title(rest: str, lines: list[Line], i: int) -> tuple[str | None, int]:
    """Title printed after a division label (same line or next line) and the last line used."""
    text = rest.strip().lstrip(_SEPARATORS).strip().strip("*_ ")
    if text:
        return text, i
    j = i + 1
    while j < len(lines) and not lines[j].text.strip() and j - i <= 2:
        j += 1
    if j < len(lines):
        nxt = lines[j].text.strip().strip("#*_ ")
        looks_title = lines[j].hint is not None or nxt.isupper() or (len(nxt) <= 100 and nxt[-1:] not in ".;:,")
        if nxt and len(nxt) <= 200 and looks_title and not _starts_structure(nxt):
            return nxt, j
    return None, i


def _starts_structure(text: str) -> bool:
    return bool(any(rx.match(text) for _, rx in _KEYWORD_RES) or any(rx.match(text) for _, _, rx in _DIV_RES))


def division_candidates(lines: list[Line]) -> list[Div]:
    out: list[Div] = []
    for i, line in enumerate(lines):
        s, cut = strip_markup(line.text)
        if not s or s[0] in _QUOTES:
            continue
        blank, terminal = prev_context(lines, i, short_line(lines))
        if line.hint is None and not (blank or terminal):
            continue
        if len(s) > 200 and line.hint is None:
            continue
        div = _numbered_division(s, line, lines, i, cut) or _unnumbered_division(s, line, lines, i, cut)
        if div is not None:
            out.append(div)
    return out


def _numbered_division(s, line, lines, i, cut) -> Div | None:
    for kind, rank, rx in _DIV_RES:
        m = rx.match(s)
        if not m:
            continue
        number = _division_number(m.group("num"))
        rest = m.group("rest")
        if number is None or (rest.strip()[:1].isalpha() and rest.strip()[:1].islower() and not rest.startswith(("—", "-"))):
            continue
        if rest and not rest[0].isspace() and rest[0] not in _SEPARATORS:
            continue
        heading, last = _division_title(rest, lines, i)
        label = f"{m.group('kw')} {m.group('num')}".strip()
        return Div(i, line.start + cut, lines[last].start + len(lines[last].text.rstrip()), kind, rank,
                    number, label, heading, False, bool(_ORDINAL_DIV_RE.match(s)))
    m = _BN_DIV.match(s)
    if m and H.ordinal_value(m.group("num")) is not None:
        heading, last = _division_title(m.group("rest"), lines, i)
        return Div(i, line.start + cut, lines[last].start + len(lines[last].text.rstrip()), "chapter", 3,
                    str(H.ordinal_value(m.group("num"))), f"{m.group('num')} {m.group('kw')}", heading, False, False)
    return None


def _unnumbered_division(s, line, lines, i, cut) -> Div | None:
    m = _RESTART_RE.match(s)
    if m and (line.hint is not None or s[: m.end()].isupper()) and len(s) <= 200:
        rest = s[m.end():]
        if rest.strip()[:1].islower():
            return None
        heading = rest.strip(_SEPARATORS + " ").strip() or None
        end = line.start + len(line.text.rstrip())
        ordinal = bool(_ORDINAL_DIV_RE.match(s))
        # An annexed text (regulation, directive, explanation) contains final provisions:
        # it ranks outside them so that they nest in it.
        return Div(i, line.start + cut, end, "division", 0 if ordinal else -1, None, m.group(0).strip(), heading,
                    True, ordinal)
    if line.hint is not None and line.hint <= 6 and H.roman_value(s.strip()) is not None and len(s.strip()) <= 6:
        heading, last = _division_title("", lines, i)
        return Div(i, line.start + cut, lines[last].start + len(lines[last].text.rstrip()), "division", 4,
                    s.strip(), s.strip(), heading, False, False)
    return None


def find_schedules(lines: list[Line]) -> list[tuple[int, int, str, str]]:
    """Schedule headings as (line, start, label, number)."""
    out = []
    for i, line in enumerate(lines):
        s, cut = strip_markup(line.text)
        m = _SCHEDULE_RE.match(s)
        if not m or s[0] in _QUOTES:
            continue
        rest = m.group("rest").strip()
        if rest[:1].isalpha() and rest[:1].islower():
            continue
        upper = s[: m.end("rest") - len(m.group("rest"))].isupper()
        if line.hint is None and not (upper and len(s) <= 80):
            continue
        n = m.group("num") or (str(H.ordinal_value(m.group("ord"))) if m.group("ord") else "")
        label = s[: len(s) - len(m.group("rest"))].strip()
        out.append((i, line.start + cut, label, f"Schedule {n}".strip()))
    return out


def back_matter(lines: list[Line]) -> list[int]:
    out = []
    for line in lines:
        s, cut = strip_markup(line.text)
        if s and _BACK_RE.match(s):
            out.append(line.start + cut)
    return out


