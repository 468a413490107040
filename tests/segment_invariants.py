"""Structural invariants every segmentation must satisfy (shared by the segment tests)."""

from __future__ import annotations

from kb.models import CleanDocument, Segmentation


def check_invariants(doc: CleanDocument, seg: Segmentation) -> None:
    """Assert the contract of :func:`indexing.segment.segment` on one document.

    Offsets lie inside the text, ``text`` equals the slice, spans are trimmed, children
    lie inside their parents, siblings and top-level provisions do not overlap, and every
    non-blank character belongs to exactly one top-level provision or matter span.
    """
    text = doc.text
    by_id = {p.id: p for p in seg.provisions}
    assert len(by_id) == len(seg.provisions), "provision ids must be unique"
    if text.strip():
        assert seg.top_level, "a non-empty document needs at least one provision"
    for p in seg.provisions:
        assert 0 <= p.start < p.end <= len(text), p.citation
        assert p.text == text[p.start:p.end], p.citation
        assert not p.text[0].isspace() and not p.text[-1].isspace(), f"{p.citation} is not trimmed"
        if p.parent_id is not None:
            parent = by_id[p.parent_id]
            assert parent.start <= p.start and p.end <= parent.end, f"{p.citation} outside {parent.citation}"
            assert p.depth == parent.depth + 1
    assert [p.ordinal for p in seg.provisions] == list(range(len(seg.provisions)))
    children: dict[str | None, list] = {}
    for p in seg.provisions:
        children.setdefault(p.parent_id, []).append(p)
    for siblings in children.values():
        ordered = sorted(siblings, key=lambda q: q.start)
        for a, b in zip(ordered, ordered[1:]):
            assert a.end <= b.start, f"{a.citation} overlaps {b.citation}"
    owner = [0] * len(text)
    spans = [(p.start, p.end) for p in seg.top_level] + [(m.start, m.end) for m in seg.matter]
    for start, end in spans:
        assert 0 <= start <= end <= len(text)
        for i in range(start, end):
            owner[i] += 1
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert owner[i] == 1, f"character {i} ({text[max(0, i - 20):i + 20]!r}) owned {owner[i]} times"
