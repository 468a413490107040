"""The bare engine's query for a ctkb StoreQuery: the same vectors, filter and fusion, built
directly with qdrant-edge's API and sent to the same shard (the reference for the p95 ratio)."""

from __future__ import annotations

from qdrant_edge import Fusion, Prefetch, Query, QueryRequest, SparseVector

from kb.store.base import StoreQuery
from kb.store.edge import edge_filter


def bare_query(store, q: StoreQuery) -> list:
    """Run ``q`` on ``store``'s shard without ctkb's conversions, checks or hit objects."""
    flt = edge_filter(q.filter)
    sources = [(n, v, q.weights.get(n, 1.0)) for n, v in sorted(q.dense.items())]
    sources += [(n, SparseVector(v.indices, v.values), q.weights.get(n, 1.0)) for n, v in sorted(q.sparse.items())]
    request = QueryRequest(
        limit=q.limit,
        prefetches=[Prefetch(limit=q.prefetch_limit, query=Query.Nearest(v, using=n), filter=flt) for n, v, _ in sources],
        query=Fusion.Rrf(k=store.rrf_k, weights=[w for _, _, w in sources]),
        with_payload=True,
    )
    return store._shard.query(request)
