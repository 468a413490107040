"""Plain-text helpers shared by the exports: XML-safe text, clipping, pages, country names."""

from __future__ import annotations

import re

# XML 1.0 allows tab, newline, carriage return and everything from U+0020 except the surrogates
# and U+FFFE/U+FFFF; Word and Excel files are XML, so anything else is dropped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str | None) -> str:
    """``text`` without the characters an XML file cannot hold (control characters, lone surrogates)."""
    return _NOT_XML.sub("", text or "")


def clip(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` characters at a word boundary; True when it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(), True


def pages_label(start: int | None, end: int | None) -> str:
    """``p. 4`` or ``pp. 4–6``; empty for formats without pages."""
    if start is None:
        return ""
    end = start if end is None else end
    return f"p. {start}" if end == start else f"pp. {start}–{end}"


def country_name(code: str) -> str:
    """``Zambia (ZMB)``; the bare code for user-assigned codes; ``International instruments (INTL)``."""
    if code == "INTL":
        return "International instruments (INTL)"
    import pycountry  # deferred: loads its database on first use

    found = pycountry.countries.get(alpha_3=code)
    return f"{getattr(found, 'common_name', None) or found.name} ({code})" if found else code
