"""Choosing the engine, and the engine-neutral checks both engines apply.

:func:`open_store` returns a :class:`~kb.store.server.ServerStore` when
``CTKB_QDRANT_URL`` is set (``":memory:"`` gives qdrant-client's local mode) and an
:class:`~kb.store.edge.EdgeStore` under ``$CTKB_HOME/vectors`` otherwise. The engines are
imported on demand so that using one never loads the other.

The checks live here rather than in either engine so that both refuse the same inputs
with the same messages (the congruence tests rely on it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kb.settings import Settings
from kb.store.base import ChunkPoint, CollectionSpec, SparseVec, StoreError, StoreQuery

if TYPE_CHECKING:
    from kb.store.base import Store


def open_store(settings: Settings, *, read_only: bool = False) -> "Store":
    """The configured vector store.

    Args:
        settings: Where and how to store (``qdrant_url``, ``home``, ``collection`` ...).
        read_only: Refuse writes (the app); the edge engine still locks its shard.

    Raises:
        StoreError: The store cannot be opened (held by another process, server unreachable).
    """
    if settings.qdrant_url:
        from kb.store.server import ServerStore

        return ServerStore(
            settings.qdrant_url,
            api_key=settings.qdrant_api_key,
            collection=settings.collection,
            shards=settings.qdrant_shards,
            replication=settings.qdrant_replication,
            rrf_k=settings.rrf_k,
            read_only=read_only,
        )
    from kb.store.edge import EdgeStore

    return EdgeStore(settings.vectors_dir, collection=settings.collection, rrf_k=settings.rrf_k, read_only=read_only)


def normalised_spec(spec: CollectionSpec) -> CollectionSpec:
    """The spec with its sparse names sorted, so that their order is not a difference."""
    return CollectionSpec(dense=dict(spec.dense), sparse=sorted(set(spec.sparse)), encoders=dict(spec.encoders))


def check_point(p: ChunkPoint, doc_id: str, spec: CollectionSpec, where: Path | str) -> None:
    """Refuse a point that would become an orphan (payload of another document) or that
    the engine would reject with a less helpful message (unknown vector, wrong size)."""
    if p.payload.get("doc_id") != doc_id:
        raise StoreError(f"{where}: point {p.id} has payload doc_id {p.payload.get('doc_id')!r}, not {doc_id!r}")
    for name, vec in p.dense.items():
        if spec.dense.get(name) != len(vec):
            raise StoreError(
                f"{where}: point {p.id}: dense vector {name!r} ({len(vec)} dims) does not fit the collection "
                f"({spec.dense})"
            )
    for name in p.sparse:
        if name not in spec.sparse:
            raise StoreError(f"{where}: point {p.id}: unknown sparse vector {name!r} (collection: {spec.sparse})")


def query_sources(
    query: StoreQuery, spec: CollectionSpec, where: Path | str
) -> list[tuple[str, list[float] | SparseVec, float]]:
    """(name, vector, weight) for each named vector of ``query``: dense first, then sparse,
    each by name, so the RRF weights line up with the prefetches in both engines.

    Sparse vectors without terms are left out: they match nothing.

    Raises:
        StoreError: A vector or weight names no vector of the collection, or a dense
            vector has the wrong size.
    """
    unknown = [n for n in [*query.dense, *query.sparse] if n not in spec.dense and n not in spec.sparse]
    unknown += [n for n in query.weights if n not in query.dense and n not in query.sparse]
    if unknown:
        raise StoreError(
            f"{where}: the query names unknown vectors {sorted(set(unknown))}",
            hint=f"the collection has dense {sorted(spec.dense)} and sparse {sorted(spec.sparse)}",
        )
    out: list[tuple[str, list[float] | SparseVec, float]] = []
    for name in sorted(query.dense):
        vec = query.dense[name]
        if name not in spec.dense:
            raise StoreError(f"{where}: {name!r} is a sparse vector of the collection, the query gives it dense")
        if len(vec) != spec.dense[name]:
            raise StoreError(
                f"{where}: query vector {name!r} has {len(vec)} dimensions, the collection {spec.dense[name]}"
            )
        out.append((name, list(vec), float(query.weights.get(name, 1.0))))
    for name in sorted(query.sparse):
        if name not in spec.sparse:
            raise StoreError(f"{where}: {name!r} is a dense vector of the collection, the query gives it sparse")
        if query.sparse[name].indices:
            out.append((name, query.sparse[name], float(query.weights.get(name, 1.0))))
    return out
