"""Copy a whole index from one store to another and prove the copy answers alike.

Typical use: an embedded (edge) index outgrows one process and moves to a Qdrant
server without re-embedding::

    report = migrate(EdgeStore(home / "vectors"), ServerStore(url), sample_queries=queries)
    if not report.ok: ...

Points are copied document by document through ``replace_document``, so a migration
interrupted midway can simply be run again, and a document's points are never held in
memory with another's.
"""

from __future__ import annotations

import inspect
import math
from typing import Iterator

from pydantic import Field

from kb.models import Strict
from kb.store.base import ChunkPoint, Store, StoreError, StoreHit, StoreQuery


class QueryCheck(Strict):
    """How one sample query compared between the two stores."""

    index: int
    same: bool
    detail: str = ""
    src_ids: list[str] = Field(default_factory=list)
    dst_ids: list[str] = Field(default_factory=list)


class MigrationReport(Strict):
    """What :func:`migrate` copied and what the checks found."""

    documents: int
    points_copied: int
    src_count: int
    dst_count: int
    pruned_documents: list[str] = Field(default_factory=list, description="Destination-only documents deleted.")
    count_mismatches: dict[str, tuple[int, int]] = Field(
        default_factory=dict, description="doc_id -> (points in source, points in destination)"
    )
    queries: list[QueryCheck] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.src_count == self.dst_count and not self.count_mismatches and all(q.same for q in self.queries)

    def summary(self) -> str:
        bad = [q.index for q in self.queries if not q.same]
        return (
            f"{self.points_copied} points of {self.documents} documents copied; counts "
            f"{'equal' if not self.count_mismatches and self.src_count == self.dst_count else 'DIFFER'}; "
            f"{len(self.queries) - len(bad)}/{len(self.queries)} sample queries alike"
            + (f" (differ: {bad})" if bad else "")
        )


def migrate(
    src: Store, dst: Store, *, batch: int = 256, sample_queries: list[StoreQuery], prune: bool = True,
    rel_tol: float = 1e-4, abs_tol: float = 1e-6,
) -> MigrationReport:
    """Copy every point of ``src`` into ``dst`` and verify the copy.

    Args:
        src: The store to copy from (not modified).
        dst: The store to copy into; its collection is created with ``src``'s spec, or must
            already have that spec.
        batch: Points per scroll page.
        sample_queries: Queries whose top ids must come back the same from both stores.
        prune: Delete documents that ``dst`` holds and ``src`` does not, so that ``dst``
            ends up a copy of ``src`` (otherwise they are reported as count mismatches).
        rel_tol: Relative score tolerance for "the same score".
        abs_tol: Absolute score tolerance (for scores near zero).

    Returns:
        The report; ``report.ok`` is False when counts or sample queries differ.

    Raises:
        StoreError: ``src`` has no collection.
        SpecMismatchError: ``dst`` holds a collection with another spec.
    """
    spec = src.spec()
    if spec is None:
        raise StoreError("the source store has no collection to migrate")
    dst.ensure_collection(spec)
    src_docs = src.document_ids()
    copied = 0
    for doc_id in sorted(src_docs):
        points = list(_scroll_document(src, doc_id, batch))
        dst.replace_document(doc_id, points)
        copied += len(points)
    pruned: list[str] = []
    if prune:
        for doc_id in sorted(dst.document_ids() - src_docs):
            dst.delete_document(doc_id)
            pruned.append(doc_id)
    mismatches = {}
    for doc_id in sorted(src_docs | dst.document_ids()):
        a, b = src.count(doc_id), dst.count(doc_id)
        if a != b:
            mismatches[doc_id] = (a, b)
    checks = []
    for i, query in enumerate(sample_queries):
        a_hits, b_hits = src.query(query), dst.query(query)
        problem = ranking_difference(a_hits, b_hits, limit=query.limit, rel_tol=rel_tol, abs_tol=abs_tol)
        checks.append(QueryCheck(
            index=i, same=problem is None, detail=problem or "",
            src_ids=[h.id for h in a_hits], dst_ids=[h.id for h in b_hits],
        ))
    return MigrationReport(
        documents=len(src_docs), points_copied=copied, src_count=src.count(), dst_count=dst.count(),
        pruned_documents=pruned, count_mismatches=mismatches, queries=checks,
    )


def _scroll_document(src: Store, doc_id: str, batch: int) -> Iterator[ChunkPoint]:
    """The points of one document: through ``scroll(doc_id=...)`` where the store has it
    (both ctkb engines do), else by filtering a full scroll."""
    if "doc_id" in inspect.signature(src.scroll).parameters:
        yield from src.scroll(batch=batch, with_vectors=True, doc_id=doc_id)  # type: ignore[call-arg]
        return
    for p in src.scroll(batch=batch, with_vectors=True):
        if p.payload.get("doc_id") == doc_id:
            yield p


def ranking_difference(
    a: list[StoreHit], b: list[StoreHit], *, limit: int | None = None, rel_tol: float = 1e-4,
    abs_tol: float = 1e-6,
) -> str | None:
    """Why two rankings differ, or None when they are the same up to ties.

    As in qdrant-client's congruence tests, the i-th scores must agree within the
    tolerance. Ids must agree too, except that hits whose scores tie (within the
    tolerance) may come in any order; and when the lists were cut at ``limit``, the last
    tie may continue past the cut, where each engine may have kept different members, so
    only its scores are compared.
    """
    if len(a) != len(b):
        return f"{len(a)} hits against {len(b)}"

    def close(x: float, y: float) -> bool:
        return math.isclose(x, y, rel_tol=rel_tol, abs_tol=abs_tol)

    for i, (x, y) in enumerate(zip(a, b)):
        if not close(x.score, y.score):
            return f"rank {i}: score {x.score:.6g} against {y.score:.6g} ({x.id} / {y.id})"
    start = 0
    while start < len(a):
        end = start + 1
        while end < len(a) and close(a[end].score, a[start].score):
            end += 1
        cut = limit is None or len(a) >= limit
        if end < len(a) or not cut:
            group_a = {h.id for h in a[start:end]}
            group_b = {h.id for h in b[start:end]}
            if group_a != group_b:
                return (f"ranks {start}-{end - 1} (score {a[start].score:.6g}): ids "
                        f"{sorted(group_a - group_b)} against {sorted(group_b - group_a)}")
        start = end
    return None
