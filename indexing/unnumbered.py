"""Structure printed without provision numbers.

* Soft divisions: unnumbered source headings ("Opsporing") that group the numbered
  provisions after them, numbering often restarting under each.
* Annexed directives after a closing formula: roman-numbered headings ("I. OBJETIVO",
  "V. NORMAS") that no keyword chain covers.
* The heading fallback for documents whose section numbers are lost: source headings
  (and headings run into their first sentence) stand in for numbers, but not running
  headers, gazette mastheads or sentences that introduce a list.
"""

from __future__ import annotations

import re
from collections import Counter

from indexing import headings as H
from indexing.candidates import Cand, Div, Line, next_nonblank, strip_markup
from kb.models import CleanDocument

# --- soft divisions -------------------------------------------------------------------


def _title_lines(lines: list[Line], chosen: list[Cand]) -> set[int]:
    """Starts of the lines that print a chosen provision's own title."""
    titles = set()
    for c in chosen:
        nxt = next_nonblank(lines, c.line)
        if nxt is not None and c.heading and nxt.text.strip().startswith(c.heading[:10]):
            titles.add(nxt.start)
    return titles


def _soft_div(lines: list[Line], j: int) -> Div | None:
    line = lines[j]
    text = line.text.strip().strip("#*_ ")
    if line.hint is None or line.hint > 6 or not line.hint_full or not text or len(text) > 150:
        return None
    return Div(j, line.start + len(line.text) - len(line.text.lstrip()), line.start + len(line.text.rstrip()),
               "division", 4, None, text, None, True, False)


def soft_divisions(lines: list[Line], chosen: list[Cand], divs: list[Div]) -> list[Div]:
    """Unnumbered source headings ("Opsporing") that group the provisions after them.

    A heading printed right before a chosen provision is a division rather than the
    last line of the previous provision. Once such divisions are known, a heading of the
    same source level followed by an introductory paragraph and then a provision that
    restarts the numbering at 1 is one too.
    """
    known = {d.line for d in divs} | {c.line for c in chosen}
    titles = _title_lines(lines, chosen)

    def free(j: int) -> bool:
        return j not in known and lines[j].start not in titles and \
            not any(d.start <= lines[j].start <= d.end for d in divs)

    out: list[Div] = []
    for c in chosen:
        j = c.line - 1
        while j >= 0 and not lines[j].text.strip():
            j -= 1
        if j < 0 or not free(j):
            continue
        div = _soft_div(lines, j)
        if div is not None:
            out.append(div)
            known.add(j)
    levels = {lines[d.line].hint for d in out}
    for prev, c in zip(chosen, chosen[1:]):
        if c.key != (1, "") or not levels:
            continue
        heads = [j for j in range(prev.line + 1, c.line)
                 if lines[j].hint is not None and lines[j].text.strip() and lines[j].start not in titles]
        if len(heads) != 1 or lines[heads[0]].hint not in levels or not free(heads[0]):
            continue
        div = _soft_div(lines, heads[0])
        if div is not None and heads[0] > prev.line + 1:
            out.append(div)
            known.add(heads[0])
    return out


# --- annexed directives ---------------------------------------------------------------

_ROMAN_HEAD = re.compile(rf"(?P<num>{H.ROMAN_RE})\s*(?:\.\s*[-–—]?|[-–—]|\))\s+(?P<title>\S.{{0,118}})$")


def roman_candidates(lines: list[Line], start: int, end: int, language: str) -> list[Cand]:
    """Roman-numbered headings ("VI. MECÁNICA OPERATIVA") between ``start`` and ``end``.

    The title must be in capitals or the whole line a source heading: "I. Conductas:"
    in running text is a list item, not a heading.
    """
    word = H.ROMAN_HEADING_WORD.get(language, "")
    out = []
    for i, line in enumerate(lines):
        if not start <= line.start < end:
            continue
        s, cut = strip_markup(line.text)
        m = _ROMAN_HEAD.match(s.rstrip())
        if not m:
            continue
        title = m.group("title").strip().strip("*_ ").rstrip(":.").strip()
        letters = [ch for ch in title if ch.isalpha()]
        caps = len(letters) >= 3 and all(ch.isupper() for ch in letters)
        if not title or not (caps or (line.hint is not None and line.hint_full and title[:1].isupper())):
            continue
        begin = line.start + cut
        num = m.group("num")
        out.append(Cand(i, begin, begin + m.end("num"), "roman", "provision", word, num, num,
                        (H.roman_value(num) or 0, ""), title, 1.0))
    return out


# --- the heading fallback -------------------------------------------------------------

# "Abetment and criminal conspiracy (1) Any person ...": a title run into its first
# sentence, as OCR leaves marginal notes.
_RUN_IN = re.compile(r"(?P<title>[A-Z][^\W\d_]*(?:\s+[^\W\d_]+){1,7}?)\s+(?:\((?:1|a)\)|[-–—])\s+(?=[\"“(A-Z])")


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalpha())


def _has_body(lines: list[Line], i: int) -> bool:
    """Whether the next non-blank line after heading ``i`` is text rather than another heading."""
    for line in lines[i + 1:]:
        if line.text.strip():
            return line.hint is None
    return False


def _is_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def fallback(doc: CleanDocument, lines: list[Line]) -> list[Cand]:
    """Headings as provisions, or one provision for the whole body.

    Headings that repeat (running headers, whose page numbers and dates OCR garbles,
    compare by their letters only), sentences such as "In this section:" and, when
    other headings exist, all-capital lines (mastheads: "NATIONAL ASSEMBLY SECRETARIAT")
    are not provision headings.
    """
    repeats = Counter(_letters(ln.text) for ln in lines if _letters(ln.text))
    heads: list[tuple[int, int, str]] = []
    for i, line in enumerate(lines):
        s, cut = strip_markup(line.text)
        title = s.strip().strip("*_#").strip()
        if not title:
            continue
        if line.hint is not None:
            if not line.hint_full or len(s) > 150 or not _has_body(lines, i):
                continue
            if repeats[_letters(title)] >= 3 or H.RUNNING_TEXT_HEADING.search(title):
                continue
            heads.append((i, line.start + cut, title.rstrip(":").strip()))
            continue
        m = _RUN_IN.match(title)
        prev = lines[i - 1].text.strip() if i else ""
        if m and (not prev or prev[-1:] in ".:;") and not H.RUNNING_TEXT_HEADING.search(m.group("title")):
            heads.append((i, line.start + cut, m.group("title")))
    if sum(not _is_caps(t) for _, _, t in heads) >= 2:
        heads = [h for h in heads if not _is_caps(h[2])]
    # A run-in title counts only among source headings: alone it is just a sentence.
    if sum(lines[i].hint is not None for i, _, _ in heads) < 2:
        heads = []
    cands = []
    for i, start, title in heads:
        n = str(len(cands) + 1)
        cands.append(Cand(i, start, start, "heading", "provision", "", n, n, (len(cands) + 1, ""), title, 0.0))
    if len(cands) >= 2:
        return cands
    first = len(doc.text) - len(doc.text.lstrip())
    return [Cand(0, first, first, "heading", "provision", "", "1", "1", (1, ""), None, 0.0)]
