"""Segmentation: a cleaned document -> divisions, a provision tree, and matter spans.

How top-level provisions are chosen
-----------------------------------
1. Every line that *could* open a provision becomes a candidate (keyword forms such as
   "Section 5", "Artículo 3º", "المادة الأولى", "§ 1581"; bare numbers such as
   "12A. Title" or "১।"; ordinal dispositions "Primera.-"; an all-caps "SEC. 11." run
   into the previous line). Hard filters drop what is never a heading: a line opening
   with a quotation mark (a restated provision of another Act), a lower-case keyword
   or a keyword followed by running text ("Section 3 of Act No. 9208").
2. Each candidate gets an evidence score (:func:`_node_score`): the form, a heading
   hint from the source format, a blank line or a sentence end before it (a PDF line
   wrapped mid-sentence is not a heading), a title after the number.
3. The document's dominant style (the family whose candidates alone form the best
   numbered chain) earns a bonus; bare numbers in a keyword-styled document are list
   items and are penalised.
4. A dynamic programme picks the subsequence of candidates maximising evidence plus
   numbering plausibility (:func:`_transition`): 7 -> 8 and 2 -> 2A are good, small
   gaps are tolerated, a jump to "145 bis" or going backwards is costly, and a restart
   at 1 is cheap only after a division heading (an annexed regulation, final
   provisions).

After the choice (segment@2):

5. Text the chain leaves uncovered after a closing formula ("Regístrese, comuníquese y
   publíquese."), or a document with no chain at all, is searched for roman-numbered
   headings of an annexed directive ("V. NORMAS"; :mod:`indexing.unnumbered`).
6. Headings printed apart from the number are attached (:mod:`indexing.marginal`): a
   rubric on the line before an article, PDF margin notes matched page by page; a
   status line repeated under most provisions is dropped as a heading.
7. Inside an annex, regulation, explanation or unnumbered heading under which the
   numbering restarts, citations name the division ("Anexo, Artículo 3",
   "Penjelasan Pasal 5", "Opsporing, 2"); ``number`` stays as printed.
8. Without any numbered structure, source headings stand in for numbers, except
   running headers, mastheads and list introductions (:func:`indexing.unnumbered.fallback`).

Spans then run from one boundary (provision, division, schedule, back matter) to the
next, trimmed of whitespace, so every non-blank character belongs to exactly one
top-level provision or matter span.
"""

from __future__ import annotations

import bisect

from indexing.candidates import (
    Cand,
    Div,
    Line,
    back_matter,
    disposition_candidates,
    division_candidates,
    find_schedules,
    prev_context,
    provision_candidates,
    short_line,
    split_lines,
)
from indexing.headings import ANNEX_CITATION_JOIN
from indexing.marginal import attach_margin_notes, attach_rubrics, drop_boilerplate_headings
from indexing.subdivide import Child, dotted_citation, find_children
from indexing.unnumbered import fallback, roman_candidates, soft_divisions
from kb.ids import provision_id
from kb.models import CleanDocument, Division, Matter, Provision, Segmentation

VERSION = "segment@2"

# A chain scoring below this is not a numbered structure (forms, lists of figures...).
_MIN_CHAIN = 1.0
# Candidates further back than this are not considered as predecessors (speed).
_WINDOW = 400

# --- choosing provisions -------------------------------------------------------------

def _node_score(c: Cand, lines: list[Line]) -> float:
    line = lines[c.line]
    score = c.base
    if line.hint is not None and c.family[:4] != "mid:":
        score += 1.5
    if c.family[:4] != "mid:":
        blank, terminal = prev_context(lines, c.line, short_line(lines))
        if blank:
            score += 0.3
        elif not terminal:
            score -= 2.0  # a PDF line wrapped mid-sentence
    if c.heading:
        score += 0.3
    return score


def _transition(a: Cand | None, b: Cand, restart_ok: bool) -> float:
    """How plausible numbering ``b`` right after ``a`` is."""
    if a is None:
        return 0.5 if b.key == (1, "") else 0.0
    (am, ar), (bm, br) = a.key, b.key
    if bm == am and br > ar:
        return 1.5
    if bm == am + 1:
        return 2.0 if br == "" else 1.2
    gap = bm - am
    if 2 <= gap <= 5:
        return 1.0 - 0.4 * (gap - 1)
    if 6 <= gap <= 20:
        return -1.5
    if gap > 20:
        return -4.0
    if bm == 1 and br == "":
        return -0.5 if restart_ok else -4.0
    return -4.0


def _best_chain(cands: list[Cand], restarts: list[int]) -> tuple[float, list[int]]:
    """Dynamic programme: the highest-scoring plausible subsequence of candidates."""
    n = len(cands)
    if n == 0:
        return 0.0, []
    best = [0.0] * n
    back = [-1] * n
    for i, c in enumerate(cands):
        best[i] = c.score + _transition(None, c, False)
        for j in range(max(0, i - _WINDOW), i):
            p = cands[j]
            if p.start == c.start:
                continue
            k = bisect.bisect_right(restarts, p.start)
            restart_ok = k < len(restarts) and restarts[k] < c.start
            value = best[j] + c.score + _transition(p, c, restart_ok)
            if value > best[i]:
                best[i], back[i] = value, j
    end = max(range(n), key=lambda i: best[i])
    chain = []
    while end != -1:
        chain.append(end)
        end = back[end]
    chain.reverse()
    return best[chain[-1]], chain


def _choose(cands: list[Cand], lines: list[Line], restarts: list[int]) -> list[Cand]:
    for c in cands:
        c.score = _node_score(c, lines)
    families = {c.family for c in cands if c.family not in ("ordinal",) and not c.family.startswith("mid:")}
    ranked = sorted(((_best_chain([c for c in cands if c.family == f], restarts)[0], f) for f in families), reverse=True)
    dominant = ranked[0][1] if ranked else None
    for c in cands:
        if c.family == dominant or c.family == "ordinal" or c.family.startswith("mid:"):
            c.score += 1.0 if c.family == dominant else 0.0
        else:
            c.score -= 2.5 if c.family == "bare" else 0.5
    total, chain = _best_chain(cands, restarts)
    if total < _MIN_CHAIN:
        return []
    return [cands[i] for i in chain]


# --- assembly ------------------------------------------------------------------------

def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _citation(c: Cand) -> str:
    if not c.cite_word:
        return c.number
    if c.kind == "provision" and c.family == "ordinal":
        return f"{c.number} {c.cite_word}".strip()
    if c.cite_word == "§":
        return f"§ {c.number}"
    return f"{c.cite_word} {c.number}"


def _annexed_headings(lines: list[Line], chosen: list[Cand], restarts: list[int], end: int,
                      language: str) -> list[Cand]:
    """Roman-numbered headings of a text no chosen provision covers.

    That is the whole document when no numbered chain was found, or what follows a
    closing formula ("Regístrese, comuníquese y publíquese.") after the last chosen
    provision: an annexed directive is part of the instrument, not back matter.
    """
    if chosen:
        after = [b for b in back_matter(lines) if chosen[-1].start < b < end]
        if not after:
            return []
        start = after[0]
        restarts = sorted(restarts + [start])
    else:
        start = 0
    cands = roman_candidates(lines, start, end, language)
    for c in cands:
        c.score = _node_score(c, lines)
    total, chain = _best_chain(cands, restarts)
    picked = [cands[i] for i in chain]
    if total < _MIN_CHAIN or len(picked) < 2 or picked[0].key != (1, ""):
        return []
    return picked


def _merge_annex_titles(divs: list[Div], chosen: list[Cand]) -> list[Div]:
    """"ANEXO" directly followed by "REGLAMENTACIÓN DE LA LEY ...": the second names the first."""
    starts = sorted(c.start for c in chosen)
    out: list[Div] = []
    for d in divs:
        prev = out[-1] if out else None
        if prev is not None and prev.restart and d.restart and not prev.ordinal_provisions \
                and not d.ordinal_provisions and prev.heading is None and prev.line + 2 >= d.line - 1 \
                and not any(prev.start < x < d.start for x in starts):
            prev.heading = f"{d.label} {d.heading or ''}".strip()
            prev.end = d.end
            continue
        out.append(d)
    return out


def segment(doc: CleanDocument, *, doc_id: str, doc_sha256: str, language: str) -> Segmentation:
    """Split a cleaned document into divisions, provisions (with children) and matter.

    Args:
        doc: The cleaned document.
        doc_id: Catalogue id, copied into every provision.
        doc_sha256: Content hash; provision ids derive from it and the tree path.
        language: ISO 639-1 code; picks citation words for bare numbered sections.

    Returns:
        The segmentation. A non-empty document always has at least one provision.
    """
    text = doc.text
    if not text.strip():
        return Segmentation(provisions=[], divisions=[], matter=[])
    lines = split_lines(doc)
    schedules = find_schedules(lines)
    first_schedule = schedules[0][1] if schedules else len(text) + 1
    divs = [d for d in division_candidates(lines) if d.start < first_schedule]
    restarts = sorted(d.start for d in divs) + [lines[i].start for i, ln in enumerate(lines)
                                                 if ln.hint is not None and ln.hint <= 6 and ln.hint_full]
    restarts.sort()
    cands = provision_candidates(lines, language) + disposition_candidates(lines, divs, language)
    cands = sorted((c for c in cands if c.start < first_schedule), key=lambda c: (c.start, -c.base))
    chosen = _choose(cands, lines, restarts)
    chosen += _annexed_headings(lines, chosen, restarts, first_schedule, language)
    # A division heading that is the title line of a chosen provision is not a division.
    taken = {c.line for c in chosen}
    divs = [d for d in divs if d.line not in taken]
    divs = sorted(divs + soft_divisions(lines, chosen, divs), key=lambda d: d.start)
    divs = _merge_annex_titles(divs, chosen)
    if not chosen and not schedules:
        chosen, divs = fallback(doc, lines), []
    drop_boilerplate_headings(chosen)
    attach_rubrics(lines, chosen, divs)
    attach_margin_notes(doc, lines, chosen, cands)
    return _assemble(doc, lines, chosen, divs, schedules, doc_id, doc_sha256, language)


def _assemble(doc, lines, chosen, divs, schedules, doc_id, doc_sha256, language) -> Segmentation:
    text = doc.text
    first_top = min([c.start for c in chosen] + [s[1] for s in schedules] + [len(text)])
    backs = [b for b in back_matter(lines) if b > first_top]
    bounds: list[tuple[int, str, object]] = [(c.start, "prov", c) for c in chosen]
    bounds += [(s[1], "sched", s) for s in schedules]
    bounds += [(d.start, "div", d) for d in divs]
    heading_lines = {c.start for c in chosen}
    bounds += [(b, "back", None) for b in backs if b not in heading_lines]
    bounds.sort(key=lambda b: (b[0], b[1] != "div"))
    # Two boundaries at one offset (a back-matter formula on a division line): keep one.
    dedup: list[tuple[int, str, object]] = []
    for b in bounds:
        if dedup and dedup[-1][0] == b[0]:
            continue
        dedup.append(b)
    bounds = dedup
    scopes = _annex_scopes(bounds)

    matter: list[Matter] = []
    divisions: list[Division] = []
    provisions: list[Provision] = []
    first = bounds[0][0] if bounds else len(text)
    fs, fe = _trim(text, 0, first)
    if fe > fs:
        matter.append(Matter(kind="front", start=fs, end=fe))

    open_divs: list[tuple[int, str]] = []  # (rank, label)
    seen_ids: dict[str, int] = {}
    for k, (start, kind, obj) in enumerate(bounds):
        end = bounds[k + 1][0] if k + 1 < len(bounds) else len(text)
        s, e = _trim(text, start, end)
        if e <= s:
            continue
        if kind == "div":
            d: Div = obj  # type: ignore[assignment]
            while open_divs and open_divs[-1][0] >= d.rank:
                open_divs.pop()
            divisions.append(Division(kind=d.kind, number=d.number, label=d.label, heading=d.heading,
                                      start=d.start, end=max(d.start, min(d.end, e)), depth=len(open_divs)))
            open_divs.append((d.rank, d.label))
            matter.append(Matter(kind="division", start=s, end=e))
        elif kind == "back":
            matter.append(Matter(kind="back", start=s, end=e))
        else:
            path = [label for _, label in open_divs]
            if kind == "sched":
                line_i, _, label, number = obj  # type: ignore[misc]
                top = Cand(line_i, start, start + len(label), "schedule", "schedule", label, label, number,
                            (0, ""), None, 0.0)
            else:
                top = obj  # type: ignore[assignment]
            _emit(doc, top, s, e, path, doc_id, doc_sha256, language, seen_ids, provisions, scopes.get(id(top)))
    return Segmentation(provisions=provisions, divisions=divisions, matter=matter)


def _annex_scopes(bounds: list[tuple[int, str, object]]) -> dict[int, str]:
    """Citation prefixes ("Anexo, ") of provisions inside annexed texts, by ``id`` of the candidate.

    A provision lies in the innermost open division that may restart numbering (an
    annex, a regulation, an explanation, an unnumbered source heading). When numbering
    restarts in at least one of them, every provision inside one is cited with the
    division's name so that "Artículo 3" of the decree and of its annex differ. Final
    dispositions ("Primera.-") already cite with their division and are left alone.
    """
    open_divs: list[Div] = []
    scope_of: dict[int, Div] = {}
    seen: set[int] = set()
    prev_key = None
    restarted = False
    for _, kind, obj in bounds:
        if kind == "div":
            while open_divs and open_divs[-1].rank >= obj.rank:  # type: ignore[attr-defined]
                open_divs.pop()
            open_divs.append(obj)  # type: ignore[arg-type]
        elif kind == "prov" and obj.family != "ordinal":  # type: ignore[attr-defined]
            scope = next((d for d in reversed(open_divs) if d.restart and not d.ordinal_provisions), None)
            if scope is not None:
                scope_of[id(obj)] = scope
                if id(scope) not in seen:
                    seen.add(id(scope))
                    restarted = restarted or (prev_key is not None and obj.key <= prev_key)  # type: ignore[attr-defined]
            prev_key = obj.key  # type: ignore[attr-defined]
    if not restarted:
        return {}
    out = {}
    for key, d in scope_of.items():
        name = d.label.capitalize() if d.label.isupper() else d.label
        out[key] = name + ANNEX_CITATION_JOIN.get(name, ", ")
    return out


def _emit(doc, top: Cand, s: int, e: int, path: list[str], doc_id, doc_sha256, language, seen_ids, out,
          scope: str | None = None) -> None:
    """Append a top-level provision and its children to ``out``; ``scope`` prefixes its citation."""
    text = doc.text
    prefix = {"section": "s", "article": "a", "rule": "r", "schedule": "sch", "provision": "p"}[top.kind]
    key = f"{prefix}{top.number}"
    seen_ids[key] = seen_ids.get(key, 0) + 1
    if seen_ids[key] > 1:
        key = f"{key}#{seen_ids[key]}"
    if top.kind == "schedule":
        citation = top.cite_word
    elif top.family == "heading":  # fallback: headings stand in for numbers
        citation = top.heading or "Text"
    else:
        citation = _citation(top)
    if scope is not None and top.kind != "schedule":
        # Inside an annexed text the printed number is all there is: no invented keyword.
        citation = scope + (top.number if top.family == "bare" else citation)
    parent = Provision(
        id=provision_id(doc_sha256, [key]), doc_id=doc_id, kind=top.kind, label=top.label,
        number=top.number, citation=citation, heading=top.heading, path=path, text=text[s:e],
        start=s, end=e, page_start=doc.page_at(s), page_end=doc.page_at(e - 1), language=language,
        parent_id=None, depth=0, ordinal=len(out),
    )
    out.append(parent)
    body_start = max(s, min(top.num_end, e))
    _emit_children(doc, find_children(text, body_start, e), parent, [key], path + [top.label], out, doc_sha256)


def _emit_children(doc, children: list[Child], parent: Provision, id_path: list[str], path: list[str], out,
                   doc_sha256: str) -> None:
    seen: dict[str, int] = {}
    for child in children:
        s, e = _trim(doc.text, child.start, child.end)
        if e <= s:
            continue
        seen[child.label] = seen.get(child.label, 0) + 1
        key = child.label if seen[child.label] == 1 else f"{child.label}#{seen[child.label]}"
        core = child.label.strip("()").rstrip(".)")
        citation = dotted_citation(parent.citation, core) or f"{parent.citation}({core})"
        node = Provision(
            id=provision_id(doc_sha256, id_path + [key]),
            doc_id=parent.doc_id, kind=child.kind, label=child.label, number=parent.number,
            citation=citation, heading=None, path=path, text=doc.text[s:e],
            start=s, end=e, page_start=doc.page_at(s), page_end=doc.page_at(e - 1),
            language=parent.language, parent_id=parent.id, depth=parent.depth + 1, ordinal=len(out),
        )
        out.append(node)
        _emit_children(doc, child.children, node, id_path + [key], path + [child.label], out, doc_sha256)
