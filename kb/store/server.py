"""The server engine: a Qdrant server or cluster through qdrant-client.

``url=":memory:"`` gives qdrant-client's local mode, a pure-Python implementation of the
same API; it stands in for a server in tests. Local mode ignores shard numbers, the
replication factor and payload indexes (it scans), so those are only sent to a server.

The collection's :class:`~kb.store.base.CollectionSpec` is recorded in the collection
metadata (``metadata={"ctkb_spec": ...}``, Qdrant >= 1.16, supported by qdrant-client
1.20 in both modes), so a server collection describes itself: no side file, no reserved
point polluting counts and searches.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import ApiException, UnexpectedResponse

from kb.store.base import (
    INTEGER_INDEXES,
    KEYWORD_INDEXES,
    ChunkPoint,
    CollectionSpec,
    SearchFilter,
    SparseVec,
    SpecMismatchError,
    StoreError,
    StoreHit,
    StoreQuery,
)
from kb.store.factory import check_point, normalised_spec, query_sources

SPEC_KEY = "ctkb_spec"


def server_filter(flt: SearchFilter) -> qm.Filter | None:
    """The Qdrant filter for ``flt``: one MatchAny per field (OR within a field, AND
    across fields), the year as an inclusive range."""
    if flt.empty:
        return None
    must: list[Any] = []
    for key, values in flt.keyword_conditions():
        must.append(qm.FieldCondition(key=key, match=qm.MatchAny(any=values)))
    if flt.year_min is not None or flt.year_max is not None:
        must.append(qm.FieldCondition(key="year", range=qm.Range(gte=flt.year_min, lte=flt.year_max)))
    return qm.Filter(must=must)


def _doc_filter(doc_id: str) -> qm.Filter:
    return qm.Filter(must=[qm.FieldCondition(key="doc_id", match=qm.MatchAny(any=[doc_id]))])


class ServerStore:
    """A :class:`~kb.store.base.Store` on a Qdrant server collection.

    Args:
        url: Server URL (``http://host:6333``), or ``":memory:"`` for local mode.
        api_key: Server API key, if it needs one.
        collection: Collection name.
        shards: ``shard_number`` of a new collection (server only).
        replication: ``replication_factor`` of a new collection (server only).
        rrf_k: Reciprocal-rank-fusion constant.
        read_only: Refuse writes and never create the collection.
        batch: Points per upsert request.
        timeout: Seconds per request.
    """

    name = "server"

    def __init__(
        self, url: str, *, api_key: str | None = None, collection: str = "ctkb_chunks", shards: int = 1,
        replication: int = 1, rrf_k: int = 60, read_only: bool = False, batch: int = 256, timeout: int = 60,
    ) -> None:
        self.url = url
        self.collection = collection
        self.shards = shards
        self.replication = replication
        self.rrf_k = rrf_k
        self.read_only = read_only
        self.batch = batch
        self.local = url == ":memory:"
        self.where = f"{'qdrant local mode' if self.local else url} collection {collection!r}"
        if self.local:
            self._client = QdrantClient(location=":memory:")
        else:
            self._client = QdrantClient(url=url, api_key=api_key, timeout=timeout)
        self._spec: CollectionSpec | None = None

    def __enter__(self) -> "ServerStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    @contextmanager
    def _calls(self) -> Iterator[None]:
        """Turn qdrant-client and transport errors into StoreErrors that say what to do."""
        try:
            yield
        except StoreError:
            raise
        except UnexpectedResponse as exc:
            raise StoreError(f"{self.where}: the server refused the request ({exc.status_code}: "
                             f"{exc.content.decode('utf-8', 'replace')[:300]})") from exc
        except (ApiException, OSError, ValueError) as exc:
            raise StoreError(f"{self.where}: {exc}",
                             hint="check that the server is up and CTKB_QDRANT_URL / CTKB_QDRANT_API_KEY are right"
                             ) from exc
        except Exception as exc:  # httpx / grpc transport errors have no common base we can name
            if type(exc).__module__.split(".")[0] in {"httpx", "httpcore", "grpc"}:
                raise StoreError(f"{self.where}: cannot reach the server ({exc})",
                                 hint="check that the server is up and CTKB_QDRANT_URL is right") from exc
            raise

    # -- collection --------------------------------------------------------------------------------

    def _exists(self) -> bool:
        with self._calls():
            return self._client.collection_exists(self.collection)

    def spec(self) -> CollectionSpec | None:
        """The spec recorded in the collection metadata, or None without a collection."""
        if not self._exists():
            return None
        with self._calls():
            info = self._client.get_collection(self.collection)
        raw = (info.config.metadata or {}).get(SPEC_KEY)
        return CollectionSpec.model_validate(raw) if raw else None

    def ensure_collection(self, spec: CollectionSpec) -> None:
        """Create the collection for ``spec`` (shards, replication, payload indexes, spec in
        its metadata), or check the existing one against it.

        Raises:
            SpecMismatchError: The collection was built with other vectors or encoders.
            StoreError: Read-only without a collection, or the server fails.
        """
        wanted = normalised_spec(spec)
        if not self._exists():
            if self.read_only:
                raise StoreError(f"{self.where}: no such collection", hint="index some documents first (`ctkb index`)")
            try:
                self._create(wanted)
            except StoreError:
                # Another process may have created it between our check and create.
                if not self._exists():
                    raise
        stored = self.spec()
        if stored is None:
            # A collection made by something else (or a server that dropped the metadata):
            # adopt it only if its vectors are exactly ours.
            self._adopt(wanted)
        elif normalised_spec(stored) != wanted:
            raise SpecMismatchError(self.where, stored, wanted)
        self._spec = wanted
        self._ensure_indexes()

    def _create(self, spec: CollectionSpec) -> None:
        with self._calls():
            self._client.create_collection(
                self.collection,
                vectors_config={n: qm.VectorParams(size=d, distance=qm.Distance.COSINE) for n, d in spec.dense.items()},
                # IDF is applied by Qdrant at query time over the collection, so points
                # carry plain term weights and never need re-weighting as the corpus grows.
                sparse_vectors_config={n: qm.SparseVectorParams(modifier=qm.Modifier.IDF) for n in spec.sparse},
                shard_number=None if self.local else self.shards,
                replication_factor=None if self.local else self.replication,
                metadata={SPEC_KEY: spec.model_dump(mode="json")},
            )

    def _adopt(self, spec: CollectionSpec) -> None:
        with self._calls():
            params = self._client.get_collection(self.collection).config.params
        dense = params.vectors if isinstance(params.vectors, dict) else {}
        have = (
            {n: v.size for n, v in dense.items()},
            sorted(params.sparse_vectors or {}),
        )
        if have != (spec.dense, spec.sparse):
            raise StoreError(
                f"{self.where}: the collection has no ctkb spec and its vectors (dense {have[0]}, sparse {have[1]}) "
                f"are not ctkb's ({spec.dense}, {spec.sparse})",
                hint="set CTKB_COLLECTION to another name, or delete that collection",
            )
        if self.read_only:
            return
        with self._calls():
            self._client.update_collection(self.collection, metadata={SPEC_KEY: spec.model_dump(mode="json")})

    def _ensure_indexes(self) -> None:
        if self.local or self.read_only:
            # Local mode scans and only warns about payload indexes; nothing to gain.
            return
        with self._calls():
            have = set(self._client.get_collection(self.collection).payload_schema)
            for key in KEYWORD_INDEXES:
                if key not in have:
                    self._client.create_payload_index(self.collection, key, qm.PayloadSchemaType.KEYWORD, wait=True)
            for key in INTEGER_INDEXES:
                if key not in have:
                    self._client.create_payload_index(self.collection, key, qm.PayloadSchemaType.INTEGER, wait=True)

    def drop(self) -> None:
        """Delete the whole collection (tests, and `reindex from scratch`)."""
        if self.read_only:
            raise StoreError(f"{self.where}: opened read-only")
        with self._calls():
            self._client.delete_collection(self.collection)
        self._spec = None

    def _checked_spec(self) -> CollectionSpec:
        if self._spec is None:
            self._spec = self.spec()
        if self._spec is None:
            raise StoreError(f"{self.where}: no collection", hint="index some documents first (`ctkb index`)")
        return self._spec

    # -- writes ------------------------------------------------------------------------------------

    def replace_document(self, doc_id: str, points: list[ChunkPoint]) -> None:
        """Write ``points`` and remove every other point of ``doc_id``.

        New points are upserted first and the old ones pruned after (doc_id and not one of
        the new ids), so concurrent searches never see the document vanish, and a re-run
        after a failure converges. Every request waits for the write to be applied.
        """
        if self.read_only:
            raise StoreError(f"{self.where}: opened read-only")
        spec = self._checked_spec()
        for p in points:
            check_point(p, doc_id, spec, self.where)
        with self._calls():
            for start in range(0, len(points), self.batch):
                chunk = points[start:start + self.batch]
                self._client.upsert(self.collection, [_to_struct(p) for p in chunk], wait=True)
            prune = qm.Filter(
                must=[qm.FieldCondition(key="doc_id", match=qm.MatchAny(any=[doc_id]))],
                must_not=[qm.HasIdCondition(has_id=[p.id for p in points])] if points else None,
            )
            self._client.delete(self.collection, qm.FilterSelector(filter=prune), wait=True)

    def delete_document(self, doc_id: str) -> None:
        if self.read_only:
            raise StoreError(f"{self.where}: opened read-only")
        with self._calls():
            self._client.delete(self.collection, qm.FilterSelector(filter=_doc_filter(doc_id)), wait=True)

    # -- reads -------------------------------------------------------------------------------------

    def count(self, doc_id: str | None = None) -> int:
        if not self._exists():
            return 0
        with self._calls():
            flt = _doc_filter(doc_id) if doc_id is not None else None
            return self._client.count(self.collection, count_filter=flt, exact=True).count

    def document_ids(self) -> set[str]:
        """Ids of the documents that have points (a facet over the doc_id index)."""
        total = self.count()
        if total == 0:
            return set()
        with self._calls():
            facet = self._client.facet(self.collection, key="doc_id", limit=total, exact=True)
        return {str(hit.value) for hit in facet.hits if hit.count > 0}

    def query(self, query: StoreQuery) -> list[StoreHit]:
        """Nearest neighbours for one named vector, or Qdrant's RRF over one prefetch per
        named vector (weights from ``query.weights``, default 1)."""
        spec = self._checked_spec()
        flt = server_filter(query.filter)
        sources = [(n, _vector(v), w) for n, v, w in query_sources(query, spec, self.where)]
        if not sources:
            return []
        with self._calls():
            if len(sources) == 1:
                name, vector, _ = sources[0]
                found = self._client.query_points(
                    self.collection, query=vector, using=name, query_filter=flt, limit=query.limit,
                    with_payload=query.with_payload,
                ).points
            else:
                prefetch_limit = max(query.prefetch_limit, query.limit)
                weights = [w for _, _, w in sources]
                found = self._client.query_points(
                    self.collection,
                    # The filter goes on every prefetch: fusion only ranks what they return.
                    prefetch=[qm.Prefetch(query=v, using=n, filter=flt, limit=prefetch_limit) for n, v, _ in sources],
                    # RrfQuery rather than FusionQuery: it carries k (the server default is 2)
                    # and the weights (weighted RRF, Qdrant >= 1.17).
                    query=qm.RrfQuery(rrf=qm.Rrf(k=self.rrf_k,
                                                 weights=None if all(w == 1.0 for w in weights) else weights)),
                    limit=query.limit,
                    with_payload=query.with_payload,
                ).points
        return [StoreHit(id=str(p.id), score=float(p.score), payload=dict(p.payload or {})) for p in found]

    def scroll(self, batch: int = 256, with_vectors: bool = True, *, doc_id: str | None = None) -> Iterator[ChunkPoint]:
        """Every point (or every point of ``doc_id``), with its vectors, in id order."""
        if not self._exists():
            return
        flt = _doc_filter(doc_id) if doc_id is not None else None
        offset = None
        while True:
            with self._calls():
                records, offset = self._client.scroll(
                    self.collection, scroll_filter=flt, limit=batch, offset=offset, with_payload=True,
                    with_vectors=with_vectors,
                )
            for rec in records:
                yield _from_record(rec.id, rec.vector if with_vectors else None, rec.payload)
            if offset is None or not records:
                return


def _vector(v: list[float] | SparseVec) -> list[float] | qm.SparseVector:
    return qm.SparseVector(indices=list(v.indices), values=list(v.values)) if isinstance(v, SparseVec) else v


def _to_struct(p: ChunkPoint) -> qm.PointStruct:
    vectors: dict[str, Any] = {name: list(vec) for name, vec in p.dense.items()}
    for name, sv in p.sparse.items():
        vectors[name] = qm.SparseVector(indices=list(sv.indices), values=list(sv.values))
    return qm.PointStruct(id=p.id, vector=vectors, payload=p.payload)


def _from_record(pid: Any, vector: Any, payload: Any) -> ChunkPoint:
    dense: dict[str, list[float]] = {}
    sparse: dict[str, SparseVec] = {}
    for name, vec in (vector or {}).items():
        if isinstance(vec, qm.SparseVector):
            pairs = sorted(zip(vec.indices, vec.values))
            sparse[name] = SparseVec(indices=[i for i, _ in pairs], values=[float(v) for _, v in pairs])
        else:
            dense[name] = [float(x) for x in vec]
    return ChunkPoint(id=str(pid), dense=dense, sparse=sparse, payload=dict(payload or {}))
