"""Provisions -> chunks that every encoder reads whole.

A chunk is a piece of one top-level provision: its ``text`` is an exact slice of the
provision text (for display and highlighting) and its ``embed_text`` adds a context
prefix (document title, citation, heading) so that a chunk cut from the middle of a
long section still says where it comes from.

One chunk per top-level provision when it fits. A provision too long for some encoder
is cut, in order of preference, at its subsection boundaries (children, then
grandchildren...), at sentence ends, at line breaks, at spaces and, for text without
any of those, between characters. Pieces are packed greedily in document order, so
chunks are as long as the tightest encoder allows. Deterministic: the same provisions
and encoders give the same chunks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from pydantic import Field

from kb.embed import Encoder
from kb.models import Provision, Strict

Span = tuple[int, int]

# Sentence ends (Latin, Arabic, Urdu, Bengali/Devanagari danda, CJK) followed by space, or a
# blank line. ";" and ":" are included: statutes end list items with them.
_SENTENCE = re.compile(r"(?<=[.!?;:\u061f\u06d4\u0964\u0965\u3002\uff01\uff1f])\s+|\n[ \t]*\n\s*")
_LINE = re.compile(r"\n\s*")
_SPACE = re.compile(r"\s+")


class Chunk(Strict):
    """One embedded piece of a top-level provision.

    Attributes:
        provision_id: The top-level provision the piece belongs to.
        chunk: Index of the piece within that provision (0, 1, ...).
        text: The piece, exactly ``provision.text[start - provision.start:end - provision.start]``.
        start: Absolute start offset in the document text.
        end: Absolute end offset in the document text.
        embed_text: What the encoders read: context prefix + ``text``.
    """

    provision_id: str
    chunk: int = Field(ge=0)
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    embed_text: str


def _one_line(text: str) -> str:
    return " ".join(text.split())


def prefix_candidates(doc_title: str, provision: Provision) -> list[str]:
    """Context prefixes, richest first; the chunker takes the first one short enough."""
    title, citation = _one_line(doc_title), _one_line(provision.citation)
    heading = _one_line(provision.heading or "")
    label = f"{citation} {heading}" if heading else citation
    out = [f"{title} — {label}: " if title else f"{label}: ", f"{label}: ", f"{citation}: ", ""]
    return list(dict.fromkeys(out))


class _Budget:
    """Token counting against every encoder, with a cache (texts recur while packing)."""

    def __init__(self, encoders: Sequence[Encoder]) -> None:
        # Only encoders that cut long input off bound a chunk: USE reads any length (and its
        # pure-Python tokenizer would dominate indexing time). Without such an encoder, all count.
        hard = [e for e in encoders if getattr(e, "truncates", True)]
        self.encoders = hard or list(encoders)
        self.limits = [int(e.max_tokens) for e in self.encoders]
        self._cache: list[dict[str, int]] = [{} for _ in self.encoders]
        # Tokens a text gets whatever it says ([CLS]/[SEP], BOS/EOS): counted once per
        # chunk, so they are subtracted when estimating a concatenation.
        self.overhead = [2 * self.count(i, "a") - self.count(i, "a a") for i in range(len(self.encoders))]

    def count(self, i: int, text: str) -> int:
        cache = self._cache[i]
        if text not in cache:
            cache[text] = int(self.encoders[i].count_tokens(text))
        return cache[text]

    def prime(self, texts: list[str]) -> None:
        """Count many texts at once with encoders that can batch (the Rust tokenizers)."""
        for i, encoder in enumerate(self.encoders):
            batch = getattr(encoder, "count_tokens_batch", None)
            todo = [t for t in dict.fromkeys(texts) if t not in self._cache[i]]
            if batch is not None and len(todo) > 1:
                self._cache[i].update(zip(todo, batch(todo)))

    def counts(self, text: str) -> list[int]:
        return [self.count(i, text) for i in range(len(self.encoders))]

    def fits(self, text: str) -> bool:
        return all(self.count(i, text) <= limit for i, limit in enumerate(self.limits))


class _Splitter:
    """Splits one top-level provision. Offsets are relative to the provision text."""

    def __init__(self, text: str, prefix: str, budget: _Budget, child_levels: list[list[int]]) -> None:
        self.text, self.prefix, self.budget = text, prefix, budget
        cutters: list[Callable[[int, int], list[int]]] = [self._at(starts) for starts in child_levels]
        cutters += [self._regex(_SENTENCE), self._regex(_LINE), self._regex(_SPACE)]
        self.cutters = cutters
        # Near the limit, concatenation estimates are checked by counting for real.
        self.margins = [max(4, limit // 32) for limit in budget.limits]

    def _at(self, starts: list[int]) -> Callable[[int, int], list[int]]:
        return lambda a, b: [s for s in starts if a < s < b]

    def _regex(self, pattern: re.Pattern[str]) -> Callable[[int, int], list[int]]:
        return lambda a, b: [m.end() for m in pattern.finditer(self.text, a, b) if a < m.end() < b]

    def strip(self, a: int, b: int) -> Span:
        while a < b and self.text[a].isspace():
            a += 1
        while b > a and self.text[b - 1].isspace():
            b -= 1
        return a, b

    def embed(self, span: Span) -> str:
        return self.prefix + self.text[span[0]:span[1]]

    def fits(self, span: Span) -> bool:
        return self.budget.fits(self.embed(span))

    def split(self, a: int, b: int, level: int = 0) -> list[Span]:
        a, b = self.strip(a, b)
        if a == b:
            return []
        if self.fits((a, b)):
            return [(a, b)]
        while level < len(self.cutters):
            cuts = self.cutters[level](a, b)
            if cuts:
                bounds = [a, *cuts, b]
                units = [self.strip(x, y) for x, y in zip(bounds, bounds[1:])]
                return self._pack([u for u in units if u[0] < u[1]], level)
            level += 1
        return self._hard_cut(a, b)

    def _pack(self, units: list[Span], level: int) -> list[Span]:
        """Greedy packing of consecutive units; a unit too long alone goes one level down."""
        budget, n_enc = self.budget, len(self.budget.encoders)
        budget.prime([self.text[x:y] for x, y in units] + [self.embed(u) for u in units])
        out: list[Span] = []
        cur: list[Span] = []
        est: list[int] = []
        i = 0
        while i < len(units):
            unit = units[i]
            if not cur:
                if self.fits(unit):
                    cur, est = [unit], budget.counts(self.embed(unit))
                else:
                    out += self.split(unit[0], unit[1], level + 1)
                i += 1
                continue
            piece = self.text[unit[0]:unit[1]]
            grown = [est[k] + budget.count(k, piece) - budget.overhead[k] for k in range(n_enc)]
            safe = all(g <= lim - m for g, lim, m in zip(grown, budget.limits, self.margins))
            near = all(g <= lim for g, lim in zip(grown, budget.limits))
            if safe or (near and self.fits((cur[0][0], unit[1]))):
                cur.append(unit)
                est = grown
                i += 1
                continue
            i -= self._close(cur, out)
            cur = []
        if cur:
            i -= self._close(cur, out)
            if i < len(units):  # units handed back by _close: pack them too
                out += self._pack(units[i:], level)
        return out

    def _close(self, cur: list[Span], out: list[Span]) -> int:
        """Emit the packed units as one chunk, handing back trailing units until the
        real count fits (estimates can be off by a token at a join). Returns how many
        units were handed back."""
        back = 0
        while len(cur) > 1 and not self.fits((cur[0][0], cur[-1][1])):
            cur.pop()
            back += 1
        out.append((cur[0][0], cur[-1][1]))
        return back

    def _hard_cut(self, a: int, b: int) -> list[Span]:
        """Text with no break at all (a long token): the longest prefixes that fit."""
        out: list[Span] = []
        while a < b:
            lo, hi = a + 1, b  # invariant: the answer lies in [lo, hi]
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self.fits((a, mid)):
                    lo = mid
                else:
                    hi = mid - 1
            end = lo
            # Keep a base character with its combining marks when possible.
            while a + 1 < end < b and unicodedata.combining(self.text[end]):
                end -= 1
            out.append((a, end))
            a, _ = self.strip(end, b)
        return out


def _descendant_levels(top: Provision, children: dict[str, list[Provision]]) -> list[list[int]]:
    """Start offsets (relative to ``top``) of its descendants, one list per depth."""
    levels: list[list[int]] = []
    frontier = children.get(top.id, [])
    seen = {top.id}
    while frontier:
        starts = sorted({p.start - top.start for p in frontier if top.start < p.start < top.end})
        if starts:
            levels.append(starts)
        seen.update(p.id for p in frontier)
        frontier = [c for p in frontier for c in children.get(p.id, []) if c.id not in seen]
    return levels


def chunk_provisions(provisions: list[Provision], doc_title: str, encoders: list[Encoder]) -> list[Chunk]:
    """Cut a document's provisions into chunks that fit every encoder.

    Args:
        provisions: The document's provisions (top-level and their subsections).
        doc_title: The document title, used in the context prefix.
        encoders: The encoders that will embed the chunks; each chunk's ``embed_text``
            is at most ``max_tokens`` of every one of them.

    Returns:
        Chunks in document order. A provision whose text is blank gets none.
    """
    budget = _Budget(encoders)
    children: dict[str, list[Provision]] = {}
    for p in provisions:
        if p.parent_id is not None:
            children.setdefault(p.parent_id, []).append(p)
    tops = sorted((p for p in provisions if p.parent_id is None), key=lambda p: (p.ordinal, p.start, p.id))
    chunks: list[Chunk] = []
    for top in tops:
        prefix = _choose_prefix(prefix_candidates(doc_title, top), budget)
        splitter = _Splitter(top.text, prefix, budget, _descendant_levels(top, children))
        for k, (a, b) in enumerate(splitter.split(0, len(top.text))):
            chunks.append(Chunk(provision_id=top.id, chunk=k, text=top.text[a:b], start=top.start + a,
                                end=top.start + b, embed_text=prefix + top.text[a:b]))
    return chunks


def _choose_prefix(candidates: list[str], budget: _Budget) -> str:
    """The richest prefix taking at most half of every encoder's budget, so that the
    provision text always keeps the larger share (a 300-character title would
    otherwise leave no room in a 256-token MiniLM input)."""
    for candidate in candidates:
        if all(budget.count(i, candidate) <= limit // 2 for i, limit in enumerate(budget.limits)):
            return candidate
    return ""
