"""Markdown and plain-text readers, each into one unnumbered page.

Markup is stripped to plain text line by line; lines the markup marks as headings
become :class:`~kb.models.HeadingHint` spans over the stripped text.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from indexing.types import RawDocument, RawPage
from kb.models import HeadingHint

# Level given to bold-only heading lines (Markdown ``**X**``, HTML ``<b>`` at a paragraph start).
BOLD_LEVEL = 7

# ---------------------------------------------------------------------------- text


def extract_text(path: Path, text: str) -> RawDocument:
    """Plain text, as is, with newlines normalised."""
    return RawDocument(path=str(path), format="txt", pages=[RawPage(text=_newlines(text))])


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ------------------------------------------------------------------------ markdown

_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
# Bold opened on one line and closed alone on the next (Peruvian SPIJ exports):
# "**I. OBJETIVO:  \n**" -> "**I. OBJETIVO:**\n".
_SPLIT_BOLD = re.compile(r"^([^\n]*?\*\*[^\n*]*?\S)[ \t\u00a0]*\n[ \t\u00a0]*\*\*[ \t\u00a0]*$", re.M)
_ESCAPE = re.compile(r"\\([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_ATX = re.compile(r"^(#{1,6})(?:[ \t]+|(?=[^#\s]))(.*?)(?:[ \t]+#+)?[ \t]*$")
_HRULE = re.compile(r"^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
# Unordered-list markers are markup (a rendered list shows a bullet, not "- "); ordered
# list numbers are kept because laws number their items.
_BULLET = re.compile(r"^[-*+][ \t]+(?=\S)")
_SETEXT = re.compile(r"^(=+|-+)[ \t]*$")
_TABLE_SEP = re.compile(r"^\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?$")
# Leading bold span: ``**X**``, ``__X__``, ``****X****`` (run lengths must match).
_MAX_BOLD_RUN = 8
_LEAD_BOLD = re.compile(r"^(\*{2,}|_{2,})(?=\S)(.+?)(?<=\S)\1(?![*_])")
_IMAGE = re.compile(r"!\[[^\]]*\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
# A link whose text crosses line breaks (InfoLEG exports wrap "[Ley\n\nN° 26.842](url)").
_MULTILINE_LINK = re.compile(r"(?<!!)\[([^\[\]]{0,300}?\n[^\[\]]{0,300}?)\]\((?:[^()\s]|\([^)\s]*\))*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]^][^\]]*)\]\[[^\]]*\]")
_FOOTNOTE_REF = re.compile(r"[ \t]?\[\^[^\]\s]+\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:[ \t]*")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_EMPHASIS = [
    re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*"),
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"(?<![\w_])___(?=\S)(.+?)(?<=\S)___(?![\w_])"),
    re.compile(r"(?<![\w_])__(?=\S)(.+?)(?<=\S)__(?![\w_])"),
    re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])"),
]
_STRAY_STARS = re.compile(r"\*{2,}")
_CODE = re.compile(r"`+([^`]*)`+")
# Escaped characters are parked in the Unicode private-use area while emphasis and
# links are stripped, so ``\*`` is never read as markup.
_PUA = 0xF0000


def extract_markdown(path: Path, text: str) -> RawDocument:
    """Markdown to plain text plus heading hints.

    Args:
        path: The file (for error messages and the record).
        text: Its decoded content.

    Returns:
        One unnumbered page; ``metadata['title']`` from YAML front matter if present.
    """
    text = _newlines(text).lstrip("\ufeff")
    metadata: dict[str, str] = {}
    front = _FRONT_MATTER.match(text)
    if front:
        title = _front_matter_title(front.group(1))
        if title:
            metadata["title"] = title
        # Keep the line count so line numbers stay meaningful: blank the front matter.
        text = "\n" * front.group(0).count("\n") + text[front.end():]
    text = _HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    text = _SPLIT_BOLD.sub(lambda m: m.group(1) + "**\n", text)
    text = _MULTILINE_LINK.sub(r"\1", text)
    escaped: list[str] = []
    text = _ESCAPE.sub(lambda m: _park(m.group(1), escaped), text)

    lines_out: list[str] = []
    hint_lines: list[tuple[int, int, int, int]] = []  # (line index, start, end, level)
    in_fence = False
    source = text.split("\n")
    for i, line in enumerate(source):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            lines_out.append("")
            continue
        if in_fence:
            lines_out.append(_unpark(line.rstrip(), escaped))
            continue
        out, hint = _markdown_line(stripped, source[i + 1] if i + 1 < len(source) else "")
        if hint is not None:
            hint_lines.append((len(lines_out), *hint))
        if out is None:  # a setext underline: it promoted the previous line
            out = ""
            level = 1 if stripped.startswith("=") else 2
            if lines_out and lines_out[-1].strip():
                hint_lines.append((len(lines_out) - 1, 0, len(lines_out[-1]), level))
        lines_out.append(_unpark(out, escaped))
    body, headings = assemble_lines(lines_out, hint_lines)
    return RawDocument(path=str(path), format="md", pages=[RawPage(text=body, headings=headings)],
                       metadata=metadata)


def _markdown_line(line: str, next_line: str) -> tuple[str | None, tuple[int, int, int] | None]:
    """Strip one (already trimmed) Markdown line.

    Returns:
        The plain text (None for a setext underline) and a hint (start, end, level)
        relative to it, or None.
    """
    if not line:
        return "", None
    if _HRULE.match(line):
        return "", None
    if _SETEXT.match(line) and line.startswith("="):
        return None, None
    line = _BULLET.sub("", line)
    atx = _ATX.match(line)
    if atx:
        content = strip_inline(atx.group(2))
        return content, ((0, len(content), len(atx.group(1))) if content else None)
    if line.startswith("|") or (_TABLE_SEP.match(line) and "|" in line):
        return _table_row(line), None
    footnote = _FOOTNOTE_DEF.match(line)
    if footnote:
        line = f"[{footnote.group(1)}] " + line[footnote.end():]
    # A line opening with a long run of * or _ is decoration, not bold; the run would make
    # _LEAD_BOLD backtrack quadratically (thousands of stars: seconds per line).
    bold = _LEAD_BOLD.match(line) if len(line) - len(line.lstrip("*_")) <= _MAX_BOLD_RUN else None
    if bold:
        head = strip_inline(bold.group(2)).strip()
        rest = strip_inline(line[bold.end():])
        if head:
            return head + rest, (0, len(head), BOLD_LEVEL)
        return rest.strip(), None
    return strip_inline(line), None


def _table_row(line: str) -> str:
    """A pipe-table row as its non-empty cells joined by `` | ``; separator rows vanish."""
    if _TABLE_SEP.match(line):
        return ""
    cells = [strip_inline(cell).strip() for cell in line.strip().strip("|").split("|")]
    return " | ".join(cell for cell in cells if cell)


def strip_inline(text: str) -> str:
    """Remove inline Markdown (images, links, emphasis, code ticks, HTML tags, entities)."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _TAG.sub("", text)
    for pattern in _EMPHASIS:
        previous = None
        while previous != text:  # nested emphasis: strip from the outside in
            previous = text
            text = pattern.sub(r"\1", text)
    text = _STRAY_STARS.sub("", text)
    return html.unescape(text)


def _park(char: str, escaped: list[str]) -> str:
    escaped.append(char)
    return chr(_PUA + len(escaped) - 1)


def _unpark(text: str, escaped: list[str]) -> str:
    if not escaped:
        return text
    return re.sub(
        "[\U000f0000-\U000ffffd]",
        lambda m: escaped[ord(m.group(0)) - _PUA] if ord(m.group(0)) - _PUA < len(escaped) else m.group(0),
        text,
    )


def _front_matter_title(block: str) -> str | None:
    """The ``title`` of a YAML front-matter block (plain, quoted or folded scalar)."""
    try:
        import yaml

        data = yaml.safe_load(block)
    except Exception:  # malformed front matter is not worth failing the document for
        data = None
    if isinstance(data, dict) and isinstance(data.get("title"), (str, int, float)):
        title = " ".join(str(data["title"]).split())
        return html.unescape(title) or None
    match = re.search(r"^title:[ \t]*(.+)$", block, re.M)
    if match:
        return html.unescape(match.group(1).strip().strip("\"'")) or None
    return None


def assemble_lines(
    lines: list[str], hint_lines: list[tuple[int, int, int, int]]
) -> tuple[str, list[HeadingHint]]:
    """Join lines with newlines and turn line-relative hints into text offsets."""
    starts: list[int] = []
    pos = 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    headings = []
    for index, start, end, level in hint_lines:
        line = lines[index]
        end = min(end, len(line))
        # Hints cover the visible words, not surrounding spaces.
        while start < end and line[start].isspace():
            start += 1
        while end > start and line[end - 1].isspace():
            end -= 1
        if end > start:
            headings.append(HeadingHint(start=starts[index] + start, end=starts[index] + end, level=level))
    return "\n".join(lines), headings
