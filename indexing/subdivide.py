"""Children of a top-level provision: subsections (1), paragraphs (a), subparagraphs (i)...

Markers are found at line starts and, where a source runs a whole section into one
line, inline after a sentence break ("... years. (2) A person ..."). A marker is only
accepted when it continues the numbering of an open level (``(2)`` after ``(1)``) or
opens a new level with a first value (``(a)``, ``(i)``, ``1.``); this sequence test is
what separates real structure from cross-references such as "subsections (2) to (10)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexing.headings import DIGIT_CLASS, ascii_digits, roman_value

MAX_DEPTH = 4

# Bengali consonants in dictionary order: "(ক)", "(খ)"... are (a), (b)...
_BN_LETTERS = "কখগঘঙচছজঝঞটঠডঢণতথদধনপফবভমযরলশষসহ"

_PAREN = re.compile(rf"\((?P<v>[{DIGIT_CLASS}]{{1,3}}[A-Z]?|[a-z]{{1,3}}|[A-Z]{{1,4}}|[{_BN_LETTERS}])\)")
# Line-start-only forms: "1.", "a)", "a.", "1°", "§ 1:", "I -", "Parágrafo único".
_LINE_FORMS = re.compile(
    rf"(?:(?P<deg>[{DIGIT_CLASS}]{{1,3}})\s?[°º]\.?"
    rf"|§\s*(?P<para>\d{{1,3}})[°º]?[:.]?"
    rf"|(?P<dot>[{DIGIT_CLASS}]{{1,3}})\.(?![\d])"
    rf"|(?P<alpha>[a-z])[.)]"
    rf"|(?P<roman>[IVXL]{{1,6}})\s*[-–.]"
    rf"|(?P<unique>Par[áa]grafo [úu]nico)[:.]?)(?=\s|$)"
)
# Decimal item numbers of guidelines and directives: "5.1 El ...", "6.2.1 ...", even
# run into the text ("7.1De la Dirección"). The style includes the prefix, so that 5.2
# continues 5.1 and 6.2.1 opens a level under 6.2.
_DOTTED = re.compile(r"(?P<prefix>\d{1,3}(?:\.\d{1,3})*)\.(?P<last>\d{1,3})\.?(?=\s*[A-ZÁÉÍÓÚÑ])")
_DOTTED_CORE = re.compile(r"\d{1,3}(?:\.\d{1,3})+")
# Inline markers need a sentence break before them ("... ; and (b)").
_INLINE_BEFORE = re.compile(r"(?:[.;:—–]|;\s*(?:and|or|dan|atau|y|o|et|ou|en|of))\s*$")

_KIND_BY_TYPE = {"num": "subsection", "alpha": "paragraph", "roman": "subparagraph"}


@dataclass
class Child:
    """A child node found in a provision body (offsets into the document text)."""

    label: str
    kind: str
    start: int
    end: int
    depth: int
    children: list["Child"] = field(default_factory=list)


@dataclass
class _Level:
    style: tuple[str, str]
    last: int
    node: Child


def _interpretations(style: str, raw: str) -> list[tuple[tuple[str, str], int]]:
    """Possible (style, value) readings of a marker token; "(i)" is alpha 9 or roman 1."""
    raw_ascii = ascii_digits(raw)
    out: list[tuple[tuple[str, str], int]] = []
    if raw_ascii[:1].isdigit():
        digits = re.match(r"\d+", raw_ascii).group(0)
        out.append(((style, "num"), int(digits)))
        return out
    if raw in _BN_LETTERS:
        return [((style, "alpha"), _BN_LETTERS.index(raw) + 1)]
    if raw.islower():
        rv = roman_value(raw)
        if rv is not None and rv <= 39:
            out.append(((style, "roman"), rv))
        if len(raw) == 1:
            out.append(((style, "alpha"), ord(raw) - ord("a") + 1))
        elif len(set(raw)) == 1 and len(raw) == 2:  # (aa) follows (z)
            out.append(((style, "alpha"), 26 + ord(raw[0]) - ord("a") + 1))
    elif raw.isupper():
        rv = roman_value(raw)
        if rv is not None and rv <= 39:
            out.append(((style, "ROMAN"), rv))
        if len(raw) == 1:
            out.append(((style, "ALPHA"), ord(raw) - ord("A") + 1))
    return out


def _markers(text: str, base: int, start: int, end: int) -> list[tuple[int, str, str, str, bool]]:
    """Candidate markers in ``text[start:end]`` as (offset, label, style, raw, at_line_start)."""
    found: list[tuple[int, str, str, str, bool]] = []
    pos = start
    for line in text[start:end].split("\n"):
        lstart = pos
        pos += len(line) + 1
        stripped = line.lstrip()
        off = lstart + len(line) - len(stripped)
        dm = _DOTTED.match(stripped)
        m = None if dm else _LINE_FORMS.match(stripped)
        if dm:
            label = f"{dm.group('prefix')}.{dm.group('last')}"
            found.append((off, label, "dec:" + dm.group("prefix"), dm.group("last"), True))
        if m:
            if m.group("deg"):
                found.append((off, m.group(0).strip(), "deg", m.group("deg"), True))
            elif m.group("para"):
                found.append((off, m.group(0).strip().rstrip(":."), "para", m.group("para"), True))
            elif m.group("dot"):
                found.append((off, m.group(0), "dot", m.group("dot"), True))
            elif m.group("alpha"):
                found.append((off, m.group(0), "alphadot", m.group("alpha"), True))
            elif m.group("roman"):
                found.append((off, m.group("roman"), "dash", m.group("roman"), True))
            elif m.group("unique"):
                found.append((off, m.group("unique"), "para", "1", True))
        for pm in _PAREN.finditer(line):
            at_start = line[: pm.start()].strip() == ""
            if not at_start and not _inline_break_before(line, pm.start()):
                continue
            after = line[pm.end(): pm.end() + 2]
            if after and not after[0].isspace():
                continue
            found.append((lstart + pm.start(), pm.group(0), "paren", pm.group("v"), at_start))
    found.sort()
    return found


def _inline_break_before(line: str, at: int) -> bool:
    """``_INLINE_BEFORE.search(line[:at])``, reading only the end of the line before ``at``
    (a whole-prefix search per marker is quadratic on a very long line). A match ends with
    a separator, whitespace and a short word, so it lies inside the last 64 characters
    unless those start with whitespace; then the whole prefix is searched."""
    window = line[max(0, at - 64): at]
    if at > 64 and window[:1].isspace():
        window = line[:at]
    return _INLINE_BEFORE.search(window) is not None


def find_children(text: str, start: int, end: int) -> list[Child]:
    """The child tree of the provision body ``text[start:end]``.

    Args:
        text: The whole document text.
        start: Where the body starts (after the provision's number).
        end: Where the provision ends.

    Returns:
        Top-level children, each with nested children; spans are trimmed, nested inside
        their parent, and siblings do not overlap.
    """
    roots: list[Child] = []
    stack: list[_Level] = []
    flat: list[Child] = []
    for offset, label, style, raw, _at_start in _markers(text, 0, start, end):
        readings = _interpretations(style, raw)
        placed = False
        for depth in range(len(stack) - 1, -1, -1):
            level = stack[depth]
            for reading_style, value in readings:
                if reading_style == level.style and value == level.last + 1:
                    del stack[depth + 1:]
                    node = Child(label, _KIND_BY_TYPE.get(reading_style[1], "item"), offset, end, depth)
                    level.last, level.node = value, node
                    _attach(roots, stack, depth, node)
                    flat.append(node)
                    placed = True
                    break
            if placed:
                break
        if placed or len(stack) >= MAX_DEPTH:
            continue
        used = {lvl.style for lvl in stack}
        for reading_style, value in readings:
            if value == 1 and reading_style not in used:
                depth = len(stack)
                node = Child(label, _KIND_BY_TYPE.get(reading_style[1], "item"), offset, end, depth)
                stack.append(_Level(reading_style, 1, node))
                _attach(roots, stack, depth, node)
                flat.append(node)
                break
    _close_spans(roots, end, text)
    return roots


def _attach(roots: list[Child], stack: list[_Level], depth: int, node: Child) -> None:
    if depth == 0:
        roots.append(node)
    else:
        stack[depth - 1].node.children.append(node)


def _close_spans(nodes: list[Child], end: int, text: str) -> None:
    """End each node where its next sibling starts (or its parent ends), then trim."""
    for i, node in enumerate(nodes):
        node.end = nodes[i + 1].start if i + 1 < len(nodes) else end
        while node.end > node.start and text[node.end - 1].isspace():
            node.end -= 1
        _close_spans(node.children, node.end, text)


def dotted_citation(parent_citation: str, core: str) -> str | None:
    """Citation of a decimal item ("5.1") under ``parent_citation`` ("Numeral V" -> "Numeral 5.1").

    A decimal item carries its whole number, so it replaces the parent's number instead
    of being appended in parentheses. Returns None for other labels.
    """
    if not _DOTTED_CORE.fullmatch(core):
        return None
    head, _, last = parent_citation.rpartition(" ")
    if re.fullmatch(r"[0-9IVXLCivxlc.]+[A-Za-z]?", last):
        return f"{head} {core}".strip()
    return f"{parent_citation} {core}"
