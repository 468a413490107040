"""HTML reader (BeautifulSoup + lxml) into one unnumbered page.

Block elements become lines; ``<h1>``..``<h6>`` give heading hints at their level and
``<b>``/``<strong>`` opening a paragraph give level-7 hints, as Markdown bold does.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import Declaration, Doctype, ProcessingInstruction

from indexing.extract_markup import BOLD_LEVEL, assemble_lines
from indexing.types import RawDocument, RawPage
from kb.errors import CorruptDocumentError

_DROP = {"script", "style", "head", "title", "noscript", "template", "svg", "math", "iframe", "object"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
_HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
_BOLD_TAGS = {"b", "strong"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
# Browsers read these labels as windows-1252, and legal sites rely on it (curly quotes, en dashes).
_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp819"}


def extract_html(path: Path, data: bytes) -> RawDocument:
    """HTML to plain text: block elements become lines, ``<hN>`` and leading bold give hints.

    Args:
        path: The file.
        data: Its bytes; the declared charset (BOM, XML declaration, ``<meta charset>``)
            is honoured, else UTF-8, else windows-1252 as browsers do.
    """
    text = decode_html(data)
    try:
        soup = BeautifulSoup(text, "lxml")
    except Exception as exc:  # lxml failures are rare but not typed
        raise CorruptDocumentError(path, f"HTML could not be parsed ({exc})") from None
    title_tag = soup.find("title")
    builder = _LineBuilder()
    builder.walk(soup)
    builder.flush()
    body, headings = assemble_lines(builder.lines, builder.hints)
    metadata = {}
    if title_tag is not None and title_tag.get_text(strip=True):
        metadata["title"] = " ".join(title_tag.get_text().split())
    return RawDocument(path=str(path), format="html", pages=[RawPage(text=body, headings=headings)],
                       metadata=metadata)


def decode_html(data: bytes) -> str:
    """Decode HTML bytes by BOM, declared charset, UTF-8, then windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    head = data[:4096]
    declared = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if declared:
        label = declared.group(1).decode("ascii", "ignore").lower()
        label = "cp1252" if label in _AS_CP1252 else label
        try:
            return data.decode(label, errors="replace")
        except LookupError:
            pass  # an unknown label: fall through to sniffing
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


class _LineBuilder:
    """Walks a parsed HTML tree, emitting one line per block and collecting hints."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.hints: list[tuple[int, int, int, int]] = []
        self._buf = ""
        self._line_hints: list[tuple[int, int, int]] = []
        self._pre = 0
        self._in_heading = 0

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Doctype, Declaration, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                self._add_text(str(child))
            elif isinstance(child, Tag):
                self._tag(child)

    def _tag(self, tag: Tag) -> None:
        name = (tag.name or "").lower()
        if name in _DROP:
            return
        if name == "br":
            self.flush()
            return
        block = name in _BLOCK
        if block:
            self.flush()
        start = len(self._buf)
        at_line_start = not self._buf.strip()
        if name == "pre":
            self._pre += 1
        if name in _HEADING_TAGS:
            self._in_heading += 1
        self.walk(tag)
        if name == "pre":
            self._pre -= 1
        if name in _HEADING_TAGS:
            self._in_heading -= 1
            self._line_hints.append((0, len(self._buf), _HEADING_TAGS[name]))
        elif name in _BOLD_TAGS and at_line_start and not self._in_heading:
            self._line_hints.append((start, len(self._buf), BOLD_LEVEL))
        if block:
            self.flush()

    def _add_text(self, text: str) -> None:
        if self._pre:
            parts = text.replace("\r\n", "\n").split("\n")
            for i, part in enumerate(parts):
                if i:
                    self.flush()
                self._buf += part
            return
        text = re.sub(r"[ \t\n\r\f]+", " ", text)
        if not self._buf or self._buf.endswith(" "):
            text = text.lstrip(" ")
        self._buf += text

    def flush(self) -> None:
        line = self._buf.rstrip()
        if line.strip():
            index = len(self.lines)
            self.lines.append(line)
            for start, end, level in self._line_hints:
                self.hints.append((index, start, min(end, len(line)), level))
        self._buf = ""
        self._line_hints = []
