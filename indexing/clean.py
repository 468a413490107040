"""Cleaning: turn extracted pages into one text ready for line-by-line segmentation.

Steps, in order (each keeps heading hints and page spans exact through
:func:`indexing.clean_edits.apply_edits`):

1. per page: newline and character normalisation (soft hyphens, NBSP and other
   spaces, zero-width and control characters, symbol-font bullets), Unicode NFC,
   whitespace runs inside lines, leading/trailing spaces of lines;
2. paged documents (PDF): bare page numbers, running headers and footers (lines
   recurring at the top or bottom of many pages, compared with digits masked),
   and boilerplate lines repeated on most pages (signature/watermark stamps);
3. pages joined with a blank line; then words hyphenated across a line (or page)
   end are joined when the next line starts lowercase.

Lines are never reflowed: the segmenter relies on line starts.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from indexing.clean_edits import Edit, apply_edits, regex_edits
from indexing.types import RawDocument
from kb.models import CleanDocument, Format, HeadingHint, PageSpan

VERSION = "clean@1"

PAGE_JOIN = "\n\n"

# Kinds reported in CleanDocument.removed.
HEADER, FOOTER, PAGE_NUMBER, BOILERPLATE = "header", "footer", "page_number", "boilerplate"
HYPHENATION, SOFT_HYPHEN, INVISIBLE = "hyphenation", "soft_hyphen", "invisible_char"
# Not a removal of text but of a line break: a real hyphen at a line end, kept.
HYPHEN_KEPT = "hyphen_line_break"

# How many non-blank lines at each page edge may be running headers/footers.
EDGE_ZONE = 5
# A line is "running" when it recurs at a page edge on at least this share of pages.
RUNNING_SHARE = 0.4
# Boilerplate anywhere on the page: long lines on at least this share of pages.
BOILERPLATE_SHARE = 0.6
BOILERPLATE_MIN_KEY = 25
# Prefixes whose hyphen is real ("anti-trafficking"): keep the hyphen, drop the break.
HYPHEN_PREFIXES = frozenset({"anti", "non", "self", "ex", "cross", "quasi", "counter"})


@dataclass
class _Page:
    number: int | None
    text: str
    hints: list[list[int]] = field(default_factory=list)  # [start, end, level], page-relative


def prepare(path: Path, fmt: Format | None = None, ocr=None, on_page=None) -> tuple[RawDocument, CleanDocument]:
    """Extract and clean a document.

    Args:
        path: The file.
        fmt: Its format if known; sniffed when None.
        ocr: :class:`indexing.ocr.OcrOptions` for PDF pages without a text layer.
        on_page: Called after each OCR'd page.

    Returns:
        The raw and the clean document.

    Raises:
        kb.errors.DocumentError: Any extraction problem (see :func:`indexing.extract.extract`).
    """
    from indexing.extract import extract

    raw = extract(Path(path), fmt, ocr, on_page)
    return raw, clean(raw)


def clean(raw: RawDocument) -> CleanDocument:
    """Clean an extracted document.

    Args:
        raw: The extractor's output.

    Returns:
        The cleaned text with page spans (numbered pages only), heading hints and
        counts of what was removed by kind.
    """
    removed: Counter[str] = Counter()
    pages = [
        _Page(p.number, p.text, [[h.start, h.end, h.level] for h in p.headings]) for p in raw.pages
    ]
    for page in pages:
        _normalise_page(page, removed)
    if any(page.number is not None for page in pages):
        _strip_page_furniture(pages, removed)
        _strip_ocr_running_lines(pages, {p.number for p in raw.pages if p.ocr_confidence is not None}, removed)
    for page in pages:
        _edit(page, regex_edits(page.text, _EXCESS_BLANKS, _blank_repl))
    text, spans, hints = _join(pages)
    text, spans, hints = _dehyphenate(text, spans, hints, removed)
    headings = [HeadingHint(start=s, end=e, level=lvl) for s, e, lvl in sorted(hints) if e > s]
    ocr = {p.number: p.ocr_confidence for p in raw.pages if p.ocr_confidence is not None}
    page_spans = [PageSpan(number=n, start=s, end=e, ocr_confidence=ocr.get(n)) for n, s, e in spans if n is not None]
    return CleanDocument(
        text=text,
        pages=page_spans,
        headings=headings,
        page_count=raw.page_count,
        removed={k: v for k, v in sorted(removed.items()) if v},
    )


# ------------------------------------------------------------------ normalisation

_CHARS = re.compile(
    r"(?P<crlf>\r\n)"
    r"|(?P<nl>[\r\f\v\x85\u2028\u2029])"
    r"|(?P<softbreak>\u00ad[ \t]*(?:\r\n|\n|\r)[ \t]*(?=\w))"
    r"|(?P<soft>\u00ad)"
    r"|(?P<space>[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000])"
    r"|(?P<invisible>[\u200b\u2060\ufeff\x00-\x08\x0e-\x1f\x7f])"
    r"|(?P<glyph>[\uf020-\uf0ff])"
)
_WHITESPACE = re.compile(r"(?m)^ +| +$| {2,}")
_EXCESS_BLANKS = re.compile(r"\A\n+|\n+\Z|\n{3,}")
_TOKEN = re.compile(r"[^\s]+")


def _normalise_page(page: _Page, removed: Counter[str]) -> None:
    """Characters, NFC and whitespace of one page, in place."""

    def chars(match: re.Match[str]) -> str:
        kind = match.lastgroup
        if kind in ("crlf", "nl"):
            return "\n"
        if kind == "softbreak":
            removed[HYPHENATION] += 1
            return ""
        if kind == "soft":
            removed[SOFT_HYPHEN] += 1
            return ""
        if kind == "space":
            return " "
        if kind == "glyph":
            # Symbol/Wingdings bullets extracted as private-use code points.
            return "\u2022"
        removed[INVISIBLE] += 1
        return ""

    _edit(page, regex_edits(page.text, _CHARS, chars))
    if not unicodedata.is_normalized("NFC", page.text):
        _edit(page, _nfc_edits(page.text))
    _edit(page, regex_edits(page.text, _WHITESPACE, _space_repl))


def _space_repl(match: re.Match[str]) -> str:
    """A run of spaces inside a line becomes one space; at a line's start or end, nothing."""
    text = match.string
    inside = match.start() > 0 and text[match.start() - 1] != "\n" and match.end() < len(text) \
        and text[match.end()] != "\n"
    return " " if inside else ""


def _nfc_edits(text: str) -> list[Edit]:
    """NFC as edits. Composition never crosses whitespace, so each token is normalised
    alone and only its differing middle is replaced: offsets elsewhere stay exact."""
    edits: list[Edit] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        normal = unicodedata.normalize("NFC", token)
        if normal == token:
            continue
        prefix = 0
        while prefix < min(len(token), len(normal)) and token[prefix] == normal[prefix]:
            prefix += 1
        suffix = 0
        while (suffix < min(len(token), len(normal)) - prefix
               and token[-1 - suffix] == normal[-1 - suffix]):
            suffix += 1
        edits.append((match.start() + prefix, match.end() - suffix, normal[prefix:len(normal) - suffix]))
    return edits


def _blank_repl(match: re.Match[str]) -> str:
    return "\n\n" if match.start() > 0 and match.end() < len(match.string) else ""


# --------------------------------------------------------------- page furniture

_PAGE_NUMBER = re.compile(
    r"""^(?:
        [-\u2013\u2014~\s]*\d{1,4}[-\u2013\u2014~\s]*                     # 3, - 3 -, -3-
      | [-\u2013\u2014]\s*[ivxlcdm]{1,7}\s*[-\u2013\u2014]                 # - iv -
      | (?:page|p\.|pg\.?|pag\.?|p\u00e1gina|pagina|halaman|hal\.?|seite|s\.|blz\.?)\s*
        \d{1,4}(?:\s*(?:of|de|dari|von|van|sur|/)\s*\d{1,4})?              # Page 3 of 10
      | \d{1,4}\s*(?:/|of|de|dari|von|van|sur)\s*\d{1,4}                   # 3 / 10
    )$""",
    re.I | re.X,
)


def is_page_number(line: str) -> bool:
    """Whether a whole (stripped) line is only a page number."""
    return bool(_PAGE_NUMBER.match(line.strip()))


# Lines starting like a provision or division heading never count as page counters.
_STRUCTURAL = re.compile(
    r"^\W*(?:section|sec\.|article|art\.|artículo|artigo|rule|regulation|schedule|form|part|"
    r"chapter|title|book|clause|pasal|bab|§)\s*\d", re.I)


def _key(line: str) -> str:
    """Compare lines with digits masked and spacing ignored: "1Act No. 3" == "2 Act No. 3"."""
    return re.sub(r"\s+", "", re.sub(r"\d+", "#", line)).casefold()


def _lines(text: str) -> list[tuple[int, int, str]]:
    """Non-blank lines as (start, end, text); end excludes the newline."""
    out = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            out.append((pos, pos + len(line), line))
        pos += len(line) + 1
    return out


def _strip_page_furniture(pages: list[_Page], removed: Counter[str]) -> None:
    """Remove page numbers, running headers/footers and repeated boilerplate lines."""
    all_lines = [_lines(page.text) for page in pages]
    running = _running_keys(all_lines)
    boilerplate = _boilerplate_keys(all_lines)
    for page, lines in zip(pages, all_lines):
        drop: dict[int, str] = {}
        for order, kind in ((range(len(lines)), HEADER), (range(len(lines) - 1, -1, -1), FOOTER)):
            for seen, i in enumerate(order):
                if seen >= EDGE_ZONE or i in drop:
                    break
                line = lines[i][2]
                if is_page_number(line):
                    drop[i] = PAGE_NUMBER
                elif _key(line) in running:
                    drop[i] = kind
                elif _key(line) in boilerplate:
                    drop[i] = BOILERPLATE
                else:
                    break
        for i, (_, _, line) in enumerate(lines):
            if i not in drop and _key(line) in boilerplate:
                drop[i] = BOILERPLATE
        edits = []
        for i, kind in drop.items():
            start, end, _ = lines[i]
            edits.append((start, min(end + 1, len(page.text)), ""))
            removed[kind] += 1
        _edit(page, edits)


# OCR garbles a running header a little differently on every page ("[Part I" / "[Pagel",
# "EXTRA.," / "EXTRA,"), so on OCR'd pages edge lines are compared loosely: letters only,
# similarity (rapidfuzz ratio, 0-100) at least OCR_SIMILAR.
OCR_EDGE, OCR_SIMILAR, OCR_MIN_LETTERS = 2, 80, 12


def _strip_ocr_running_lines(pages: list[_Page], ocr: set[int | None], removed: Counter[str]) -> None:
    """Drop edge lines of OCR'd pages that nearly repeat at the edges of many OCR'd pages."""
    from rapidfuzz import fuzz

    scanned = [p for p in pages if p.number in ocr]
    if len(scanned) < 3:
        return
    edges = []
    for page in scanned:
        lines = _lines(page.text)
        idx = sorted({*range(min(OCR_EDGE, len(lines))), *range(max(0, len(lines) - OCR_EDGE), len(lines))})
        keys = [(i, "".join(_LETTERS.findall(lines[i][2])).casefold()) for i in idx]
        edges.append((page, lines, [(i, k) for i, k in keys if len(k) >= OCR_MIN_LETTERS]))
    threshold = max(2, math.ceil(RUNNING_SHARE * len(scanned)))
    for page, lines, keys in edges:
        drop = [i for i, key in keys
                if 1 + sum(any(fuzz.ratio(key, k) >= OCR_SIMILAR for _, k in other)
                           for q, _, other in edges if q is not page) >= threshold]
        removed[HEADER] += len(drop)
        _edit(page, [(lines[i][0], min(lines[i][1] + 1, len(page.text)), "") for i in drop])


def _running_keys(all_lines: list[list[tuple[int, int, str]]]) -> set[str]:
    """Keys of lines recurring in the edge zones of many pages (needs 3+ pages).

    A line counts as running when it recurs verbatim, or when it differs only by a
    number that moves with the page ("1Act No. 3", "2 Act No. 3"): masking digits
    alone would also match body lines such as "Section 4." / "Section 9.".
    """
    n = len(all_lines)
    if n < 3:
        return set()
    seen: dict[str, list[tuple[int, str]]] = {}
    for index, lines in enumerate(all_lines):
        zone = {line for _, _, line in lines[:EDGE_ZONE] + lines[-EDGE_ZONE:]}
        for key, line in {_key(line): line for line in zone}.items():
            seen.setdefault(key, []).append((index, line))
    threshold = max(2, math.ceil(RUNNING_SHARE * n))
    return {
        key for key, found in seen.items()
        if len(found) >= threshold and key.strip("#") and _repeats_or_counts_pages(found, threshold)
    }


def _repeats_or_counts_pages(found: list[tuple[int, str]], threshold: int) -> bool:
    """Whether occurrences (page index, line) are verbatim repeats or carry a page counter."""
    verbatim = Counter(re.sub(r"\s+", "", line).casefold() for _, line in found)
    if verbatim.most_common(1)[0][1] >= threshold:
        return True
    sample = found[0][1]
    if len(_LETTERS.findall(sample)) < 3 or _STRUCTURAL.match(sample):
        return False  # "Section 3" / "Form 4" at the top of each page is content, not a header
    numbers = [(index, [int(d) for d in re.findall(r"\d+", line)]) for index, line in found]
    width = min(len(nums) for _, nums in numbers)
    for k in range(width):
        offsets = Counter(nums[k] - index for index, nums in numbers)
        if offsets.most_common(1)[0][1] >= threshold:
            return True
    return False


def _boilerplate_keys(all_lines: list[list[tuple[int, int, str]]]) -> set[str]:
    """Keys of long lines found anywhere on most pages (stamps, watermarks; needs 4+ pages)."""
    n = len(all_lines)
    if n < 4:
        return set()
    seen: dict[str, list[tuple[int, str]]] = {}
    for index, lines in enumerate(all_lines):
        for key, line in {_key(line): line for _, _, line in lines}.items():
            seen.setdefault(key, []).append((index, line))
    threshold = math.ceil(BOILERPLATE_SHARE * n)
    return {
        key for key, found in seen.items()
        if len(found) >= threshold and len(key) >= BOILERPLATE_MIN_KEY and _repeats_or_counts_pages(found, threshold)
    }


# ------------------------------------------------------------------- join, hyphens


def _join(pages: list[_Page]) -> tuple[str, list[tuple[int | None, int, int]], list[list[int]]]:
    """Join page texts with a blank line; return text, page spans and absolute hints."""
    parts: list[str] = []
    spans: list[tuple[int | None, int, int]] = []
    hints: list[list[int]] = []
    pos = 0
    for page in pages:
        if page.text and parts:
            parts.append(PAGE_JOIN)
            pos += len(PAGE_JOIN)
        spans.append((page.number, pos, pos + len(page.text)))
        hints.extend([s + pos, e + pos, lvl] for s, e, lvl in page.hints)
        parts.append(page.text)
        pos += len(page.text)
    return "".join(parts), spans, hints


_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])[-\u2010]\n(?:\n)?(?=[^\W\d_])")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_LETTERS = re.compile(r"[^\W\d_]+")
_TRAILING_LETTERS = re.compile(r"[^\W\d_]+$")
# Fragments this short before a line-end hyphen are prefixes ("e-commerce", "re-entry").
MAX_PREFIX_LEN = 2


def _dehyphenate(text: str, spans: list[tuple[int | None, int, int]], hints: list[list[int]],
                 removed: Counter[str]) -> tuple[str, list[tuple[int | None, int, int]], list[list[int]]]:
    """Undo line-end hyphenation (``traf-\nficking``); a blank line is crossed only at a page join.

    Only breaks followed by a lowercase letter are candidates ("149-\nA" stays). The
    document's own vocabulary decides between a typesetter's hyphen (dropped) and a
    real one (kept, with the line break removed): see :func:`_vocabulary_verdict`.
    """
    page_ends = {end for _, _, end in spans}
    # Letter runs, plus hyphenated compounds as wholes. The broken word's own halves
    # are counted once each, hence "> 1" below for "occurs elsewhere".
    vocab = Counter(w.casefold() for w in _LETTERS.findall(text))
    vocab.update(w.casefold() for w in _WORD.findall(text) if "-" in w)

    candidates: list[tuple[re.Match[str], str, str]] = []
    for match in _HYPHEN_BREAK.finditer(text):
        if not text[match.end()].islower():
            continue  # "149-\nA", "Anti-\nTrafficking": a real hyphen or a new line
        if match.group(0).endswith("\n\n") and match.start() + 1 not in page_ends:
            continue  # a paragraph break, not a page join
        head = _TRAILING_LETTERS.search(text, max(0, match.start() - 80), match.start()).group(0).casefold()
        tail = _LETTERS.match(text, match.end()).group(0).casefold()
        candidates.append((match, head, tail))
    verdicts = [_vocabulary_verdict(head, tail, vocab) for _, head, tail in candidates]
    # Undecided breaks follow the document's habit: word processors rarely hyphenate,
    # so a document whose decided breaks are real compounds keeps its hyphens.
    real_habit = verdicts.count(True) > verdicts.count(False)
    edits: list[Edit] = []
    for (match, head, tail), verdict in zip(candidates, verdicts):
        if verdict is None:
            verdict = _undecided_is_real(head, tail, vocab, real_habit)
        removed[HYPHEN_KEPT if verdict else HYPHENATION] += 1
        # Pure deletions only, so a page boundary inside the break never makes spans overlap.
        edits.append((match.start() + 1 if verdict else match.start(), match.end(), ""))
    if not edits:
        return text, spans, hints
    new_text, remap = apply_edits(text, edits)
    new_spans = [(n, remap(s), remap(e, right=True)) for n, s, e in spans]
    new_hints = [[remap(s), remap(e, right=True), lvl] for s, e, lvl in hints]
    return new_text, new_spans, new_hints


def _vocabulary_verdict(head: str, tail: str, vocab: Counter[str]) -> bool | None:
    """True if ``head-tail`` occurs elsewhere ("perundang-undangan"), False if ``headtail``
    does ("conven-tion" -> "convention"), None when the document does not say."""
    if vocab[f"{head}-{tail}"] > 0:
        return True
    if vocab[head + tail] > 0:
        return False
    return None


def _undecided_is_real(head: str, tail: str, vocab: Counter[str], real_habit: bool) -> bool:
    """A known or very short prefix ("anti-", "e-"), both halves being words found
    elsewhere ("best" + "practice"), or the document's habit make a hyphen real."""
    if head in HYPHEN_PREFIXES or len(head) <= MAX_PREFIX_LEN or real_habit:
        return True
    return len(head) >= 3 and len(tail) >= 3 and vocab[head] > 1 and vocab[tail] > 1


def _edit(page: _Page, edits: list[Edit]) -> None:
    if not edits:
        return
    page.text, remap = apply_edits(page.text, edits)
    page.hints = [[remap(s), remap(e, right=True), lvl] for s, e, lvl in page.hints]
