"""Provision headings printed apart from the number line, and headings that are not.

* Boilerplate: a line repeated under most provisions ("Treedt in werking op een nader te
  bepalen tijdstip", "Sin reglamentar") is a status note, not each provision's title.
* Rubrics: codes print an article's title on the line before it ("Tráfico de Pessoas"
  over "Art. 149-A"); the line opens the next provision rather than closing the last.
* Margin notes: PDF text extraction interleaves a section's marginal note ("Short title
  and / date of / operation.") with the body, usually as a run of short lines at the
  end of the page's text. Notes are matched to the sections that start on their page.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import permutations

from indexing.candidates import Cand, Div, Line, short_line, strip_markup
from kb.models import CleanDocument

# --- boilerplate ----------------------------------------------------------------------


def drop_boilerplate_headings(chosen: list[Cand]) -> None:
    """Forget a heading shared by at least three and at least half of the provisions.

    A real title may recur a few times in a long law ("Interpretation" in each Part);
    one printed under most provisions is a status line or a placeholder.
    """
    counts = Counter(c.heading for c in chosen if c.heading)
    for c in chosen:
        if c.heading and counts[c.heading] >= 3 and 2 * counts[c.heading] >= len(chosen):
            c.heading = None


# --- rubrics --------------------------------------------------------------------------

_SENTENCE_END = ".;:!?)\"”’»"
_MARKER = re.compile(r"(?:[IVXLCivxlc]+\s*[-–—.)]|\(|§|\d|[a-z]\)|[-–—•*])")


def _rubric_like(text: str) -> bool:
    words = text.split()
    letters = [ch for ch in text if ch.isalpha()]
    return (
        1 <= len(words) <= 10 and len(text) <= 80 and text[:1].isalpha() and text[:1].isupper()
        and text[-1:] not in ".;:,—–-" and not _MARKER.match(text)
        and not all(ch.isupper() for ch in letters)  # capitals: a division title, not a rubric
    )


def attach_rubrics(lines: list[Line], chosen: list[Cand], divs: list[Div]) -> None:
    """Start a provision at the rubric printed on the line before its number.

    The line must be short, start with a capital, have no final punctuation and follow
    a completed sentence; the provision must have no title of its own; and the pattern
    must recur in the document (a rubric style), so that one short closing line of a
    provision is not taken for the next one's title.
    """
    taken = {c.line for c in chosen}
    found: list[tuple[Cand, int, str]] = []
    for c in chosen:
        if c.heading or c.family == "heading":
            continue
        j = c.line - 1
        while j >= 0 and not lines[j].text.strip():
            j -= 1
        if j < 1 or c.line - j > 2 or j in taken or any(d.start <= lines[j].start <= d.end for d in divs):
            continue
        text, cut = strip_markup(lines[j].text)
        text = text.strip().strip("*_ ").strip()
        if not _rubric_like(text):
            continue
        k = j - 1
        while k >= 0 and not lines[k].text.strip():
            k -= 1
        prev = lines[k].text.rstrip() if k >= 0 else ""
        if not prev or prev[-1] not in _SENTENCE_END:
            continue
        found.append((c, j, text))
    if len(found) < 2:
        return
    for c, j, text in found:
        c.start = lines[j].start + len(lines[j].text) - len(lines[j].text.lstrip())
        c.heading = text


# --- margin notes ---------------------------------------------------------------------

_MAX_NOTE_WORDS = 25
_MAX_PERMUTED = 7


def _noteish(line: Line, short: int) -> bool:
    text = line.text.strip()
    return bool(text) and len(text) <= short and line.hint is None and text[0] not in "([\"“'‘—–-•*" \
        and not re.search(r"\(\w{1,4}\)", text)


def _split_notes(lines: list[Line], i: int, j: int) -> list[tuple[int, int, str]]:
    """Notes in the run of short lines ``i..j-1``: [(first line, last line, text)], or []."""
    notes: list[tuple[int, int, str]] = []
    current: list[str] = []
    first = -1
    for k in range(i, j):
        text = lines[k].text.strip()
        if not current:
            if not text[0].isupper():
                if notes:
                    return []  # body text after notes: not a note run
                continue  # the end of a wrapped body sentence before the notes
            first = k
        current.append(text)
        if text.endswith("."):
            note = re.sub(r"-\s+(?=[a-z])", "", " ".join(current)).rstrip(".").strip()
            if len(note.split()) > _MAX_NOTE_WORDS:
                return []
            notes.append((first, k, note))
            current = []
    return notes if notes and not current else []


def _note_runs(doc: CleanDocument, lines: list[Line], heads: set[int]) -> list[tuple[int, int, str]]:
    """Margin notes: runs of short lines that close a page's text.

    pypdf emits a page's marginal notes before or after its body text, so a run counts
    only when it opens or closes its page's text; the run must hold a note broken over
    lines, and no line of it may be a provision heading.
    """
    short = short_line(lines)
    out: list[tuple[int, int, str]] = []
    i, n = 0, len(lines)
    while i < n:
        if not _noteish(lines[i], short):
            i += 1
            continue
        j = i
        while j < n and _noteish(lines[j], short):
            j += 1
        k = j
        while k < n and not lines[k].text.strip():
            k += 1
        b = i - 1
        while b >= 0 and not lines[b].text.strip():
            b -= 1
        page = doc.page_at(lines[i].start) or 0
        page_end = k >= n or (doc.page_at(lines[k].start) or 0) > page
        page_start = b < 0 or (doc.page_at(lines[b].start) or 0) < page
        notes = _split_notes(lines, i, j) if (page_end or page_start) and not heads & set(range(i, j)) else []
        if any(last > first for first, last, _ in notes):
            out.extend(notes)
        i = j
    return out


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[^\W\d_]{4,}", text.lower())}


def _similarity(note: str, body: str) -> float:
    words = _words(note)
    return len(words & _words(body)) / len(words) if words else 0.0


def _assign(notes: list[str], bodies: list[str]) -> list[tuple[int, int, float]]:
    """Best one-to-one (note, body) pairs by word overlap; print order breaks ties."""
    sims = [[_similarity(n, b) for b in bodies] for n in notes]
    best: tuple[float, list[tuple[int, int, float]]] = (-1.0, [])
    if len(notes) >= len(bodies):
        for perm in permutations(range(len(notes)), len(bodies)):
            pairs = [(ni, bi, sims[ni][bi]) for bi, ni in enumerate(perm)]
            order = sum(a[0] < b[0] for a, b in zip(pairs, pairs[1:]))
            score = sum(p[2] for p in pairs) + 0.01 * order
            if score > best[0]:
                best = (score, pairs)
    else:
        for perm in permutations(range(len(bodies)), len(notes)):
            pairs = [(ni, bi, sims[ni][bi]) for ni, bi in enumerate(perm)]
            order = sum(a[1] < b[1] for a, b in zip(pairs, pairs[1:]))
            score = sum(p[2] for p in pairs) + 0.01 * order
            if score > best[0]:
                best = (score, pairs)
    return best[1]


def attach_margin_notes(doc: CleanDocument, lines: list[Line], chosen: list[Cand], cands: list[Cand]) -> None:
    """Use the margin notes of a paged document as the headings of untitled sections.

    Notes and sections are matched page by page. When a page has as many notes as
    sections starting on it, every note is used (by word overlap, then print order);
    otherwise only notes whose words clearly recur in a section's opening text are.
    """
    if not doc.pages or not chosen:
        return
    heads = {c.line for c in cands}
    notes_by_page: dict[int | None, list[str]] = {}
    note_lines: set[int] = set()
    for first, last, note in _note_runs(doc, lines, heads):
        notes_by_page.setdefault(doc.page_at(lines[first].start), []).append(note)
        note_lines.update(range(first, last + 1))
    ends = [c.line for c in chosen[1:]] + [len(lines)]
    secs_by_page: dict[int | None, list[tuple[Cand, str]]] = {}
    for c, end in zip(chosen, ends):
        if c.heading is None and c.family not in ("heading", "roman"):
            body = " ".join(lines[k].text for k in range(c.line, end) if k not in note_lines)[:600]
            secs_by_page.setdefault(doc.page_at(c.start), []).append((c, body))
    assigned: list[tuple[Cand, str]] = []
    for page, secs in secs_by_page.items():
        notes = notes_by_page.get(page, [])
        if not notes or max(len(notes), len(secs)) > _MAX_PERMUTED:
            continue
        equal = len(notes) == len(secs)
        for ni, si, sim in _assign(notes, [body for _, body in secs]):
            if equal or sim >= 0.34:
                assigned.append((secs[si][0], notes[ni]))
    untitled = sum(len(secs) for secs in secs_by_page.values())
    if len(assigned) >= max(2, untitled / 2):  # a margin-note layout, not a stray short paragraph
        for c, note in assigned:
            c.heading = note
