"""Offset-preserving text edits: apply replacements and remap positions through them.

Cleaning changes text in many small steps; heading hints and page spans must keep
pointing at the same words. Each step is a list of non-overlapping edits applied in
one go by :func:`apply_edits`, which also returns a function mapping old offsets to new.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Edit = tuple[int, int, str]  # replace text[start:end] with the string


@dataclass
class Remap:
    """Maps offsets in the old text to offsets in the new one.

    An offset strictly inside a replaced range goes to the replacement's start
    (``right=False``, for span starts) or end (``right=True``, for span ends), so a
    span never grows over text it did not cover.
    """

    _starts: list[int]
    _records: list[tuple[int, int, int, int, int]]  # old start, old end, new start, new end, shift after

    def __call__(self, pos: int, right: bool = False) -> int:
        i = bisect_right(self._starts, pos) - 1
        if i < 0:
            return pos
        start, end, new_start, new_end, shift = self._records[i]
        if pos >= end and (pos > start or start == end):
            return pos + shift
        if pos == start:
            return new_start
        return new_end if right else new_start


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, Remap]:
    """Apply non-overlapping edits to ``text``.

    Args:
        text: The old text.
        edits: ``(start, end, replacement)`` triples; sorted here; must not overlap.

    Returns:
        The new text and the offset remapper.

    Raises:
        ValueError: Two edits overlap (a bug in the caller).
    """
    ordered = sorted(edits, key=lambda e: (e[0], e[1]))
    pieces: list[str] = []
    starts: list[int] = []
    records: list[tuple[int, int, int, int, int]] = []
    prev = 0
    shift = 0
    for start, end, repl in ordered:
        if start < prev or end < start:
            raise ValueError(f"overlapping or inverted edit {start}-{end} (previous ended at {prev})")
        pieces.append(text[prev:start])
        pieces.append(repl)
        new_start = start + shift
        shift += len(repl) - (end - start)
        starts.append(start)
        records.append((start, end, new_start, new_start + len(repl), shift))
        prev = end
    pieces.append(text[prev:])
    return "".join(pieces), Remap(starts, records)


def regex_edits(text: str, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str | None]) -> list[Edit]:
    """Edits replacing every match of ``pattern``; a callable may return None to skip one."""
    edits: list[Edit] = []
    for match in pattern.finditer(text):
        new = repl if isinstance(repl, str) else repl(match)
        if new is not None and new != match.group(0):
            edits.append((match.start(), match.end(), new))
    return edits
