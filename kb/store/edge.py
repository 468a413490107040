"""The embedded engine: one Qdrant Edge shard under ``$CTKB_HOME/vectors/``.

Layout (``root`` is ``$CTKB_HOME/vectors``)::

    root/<collection>/            the shard (segments, WAL, edge_config.json)
    root/<collection>.spec.json   the CollectionSpec it was built with
    root/<collection>.lock        who holds the shard: {"pid", "command", "since"}

What qdrant-edge does (0.9.0, tested): ``EdgeShard.load``/``create`` take an exclusive
``flock`` on the shard's ``wal/`` directory and hold it until ``close()`` or process exit.
A second opener -- another process, or the same process through a second ``load`` --
fails at once with ``Service runtime error: failed to open WAL ...: Can't init WAL:
Kind(WouldBlock)``; it does not wait, and readers are not exempt. The kernel drops the
lock when the holder dies, so a crashed process never leaves a stale lock. That message
says neither who holds the shard nor what to do, so ctkb takes its own ``flock`` on
``<collection>.lock`` first (same semantics, one level up), writes its pid and command
line into it, and reports them to the next opener. Within one process all
:class:`EdgeStore` objects share one open shard (reference counted), so the app and the
indexer in one process never lock each other out.

Durability: every update goes to the WAL first, and a process killed without
``flush()`` loses nothing (replayed on the next load; tested). ``flush()`` writes the
segments and lets the WAL be truncated; we flush after each document so the WAL stays
short and reopening stays fast (a flush costs ~0.1-0.3 s on the 2-core box).

Fusion: ``Fusion.Rrf(k, weights)`` runs inside the shard over the prefetches, with the
same weighted formula as the server and qdrant-client 1.20's local mode,
``1 / (k + (rank + 1) / weight - 1)`` (rank from 0), so both engines fuse alike.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator

from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    FacetRequest,
    FieldCondition,
    Filter,
    Fusion,
    HasIdCondition,
    MatchAny,
    Modifier,
    PayloadSchemaType,
    Point,
    Prefetch,
    Query,
    QueryRequest,
    RangeFloat,
    ScrollRequest,
    SparseVector,
    UpdateOperation,
)

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

_SERVER_HINT = (
    "an embedded store serves one process at a time; close the other one, or run a Qdrant server "
    "and set CTKB_QDRANT_URL so that several processes can share the index"
)


def _edge_config(spec: CollectionSpec) -> EdgeConfig:
    return EdgeConfig(
        vectors={name: EdgeVectorParams(size=dim, distance=Distance.Cosine) for name, dim in spec.dense.items()},
        # IDF is applied by Qdrant at query time over the whole shard, so documents
        # carry plain term weights and never need re-weighting as the corpus grows.
        sparse_vectors={name: EdgeSparseVectorParams(modifier=Modifier.Idf) for name in spec.sparse},
    )


def edge_filter(flt: SearchFilter) -> Filter | None:
    """The Qdrant Edge filter for ``flt``: one MatchAny per field (OR within a field,
    AND across fields), the year as an inclusive range."""
    if flt.empty:
        return None
    must: list[Any] = []
    for key, values in flt.keyword_conditions():
        must.append(FieldCondition(key, match=MatchAny(values)))
    if flt.year_min is not None or flt.year_max is not None:
        must.append(FieldCondition("year", range=RangeFloat(gte=flt.year_min, lte=flt.year_max)))
    return Filter(must=must)


def _doc_filter(doc_id: str) -> Filter:
    return Filter(must=[FieldCondition("doc_id", match=MatchAny([doc_id]))])


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temp file and ``os.replace`` so a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass
class _Shared:
    """One open shard per process, shared by every EdgeStore on the same path."""

    lock_file: IO[str]
    shard: EdgeShard | None = None
    users: int = 0
    write_lock: threading.RLock = field(default_factory=threading.RLock)


_OPEN: dict[Path, _Shared] = {}
_OPEN_LOCK = threading.Lock()


def _holder(lock_path: Path) -> str:
    """Who holds the lock file, as recorded by that process (best effort)."""
    try:
        info = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info.get("pid"):
        return "another process"
    command = info.get("command") or "?"
    return f"process {info['pid']} ({command}, since {info.get('since', '?')})"


def _acquire(shard: Path, lock_path: Path) -> IO[str]:
    """Take the process-level lock on ``shard`` or raise a StoreError naming the holder."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(lock_path, "a+", encoding="utf-8")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise StoreError(f"{shard}: the vector store is in use by {_holder(lock_path)}", hint=_SERVER_HINT)
    fh.seek(0)
    fh.truncate()
    fh.write(json.dumps({
        "pid": os.getpid(),
        "command": " ".join(getattr(sys, "orig_argv", sys.argv))[:300],
        "since": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }))
    fh.flush()
    return fh


def _release(shared: _Shared) -> None:
    if shared.shard is not None:
        shared.shard.flush()
        shared.shard.close()
        shared.shard = None
    # Empty the file before unlocking so nobody reads a stale holder.
    shared.lock_file.seek(0)
    shared.lock_file.truncate()
    shared.lock_file.flush()
    fcntl.flock(shared.lock_file.fileno(), fcntl.LOCK_UN)
    shared.lock_file.close()


def _edge_error(where: Path, exc: Exception) -> StoreError:
    """Turn qdrant-edge's untyped exceptions into StoreErrors that say what to do."""
    text = str(exc)
    if "WouldBlock" in text:
        # Someone opened the shard without going through ctkb's lock file.
        return StoreError(f"{where}: the shard is open in another process ({text})", hint=_SERVER_HINT)
    return StoreError(f"{where}: {text}")


class EdgeStore:
    """A :class:`~kb.store.base.Store` on a Qdrant Edge shard, in process.

    Args:
        root: Folder holding the shard (``$CTKB_HOME/vectors``).
        collection: Shard directory name.
        rrf_k: Reciprocal-rank-fusion constant.
        read_only: Refuse writes and never create the shard. The shard is still locked
            (qdrant-edge locks it on load whatever one does with it).
        batch: Points per upsert.

    Raises:
        StoreError: The shard is held by another process (the message names it).
    """

    name = "edge"

    def __init__(
        self, root: Path, *, collection: str = "ctkb_chunks", rrf_k: int = 60, read_only: bool = False,
        batch: int = 256,
    ) -> None:
        self.root = Path(root)
        self.path = (self.root / collection).resolve()
        self.spec_path = self.root / f"{collection}.spec.json"
        self.lock_path = self.root / f"{collection}.lock"
        self.rrf_k = rrf_k
        self.read_only = read_only
        self.batch = batch
        self._closed = False
        with _OPEN_LOCK:
            shared = _OPEN.get(self.path)
            if shared is None:
                shared = _Shared(lock_file=_acquire(self.path, self.lock_path))
                _OPEN[self.path] = shared
            shared.users += 1
        self._shared = shared
        try:
            # Without a recorded spec the shard is loaded by ensure_collection, with the
            # wanted config, so that qdrant-edge checks the two are compatible.
            if self.spec_path.is_file() and self._has_segments():
                self._load(None)
        except BaseException:
            self.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> "EdgeStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release this handle; the last one in the process flushes and closes the shard."""
        if self._closed:
            return
        self._closed = True
        with _OPEN_LOCK:
            self._shared.users -= 1
            if self._shared.users == 0:
                _OPEN.pop(self.path, None)
                _release(self._shared)

    def _has_segments(self) -> bool:
        segments = self.path / "segments"
        return segments.is_dir() and any(segments.iterdir())

    def _load(self, spec: CollectionSpec | None) -> EdgeShard:
        with self._shared.write_lock:
            if self._shared.shard is None:
                try:
                    # With a config, qdrant-edge checks it against the stored segments.
                    self._shared.shard = EdgeShard.load(str(self.path), _edge_config(spec) if spec else None)
                except Exception as exc:  # qdrant-edge raises bare Exception
                    raise _edge_error(self.path, exc) from exc
            return self._shared.shard

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.path}: the store was closed")

    @property
    def _shard(self) -> EdgeShard:
        self._check_open()
        if self._shared.shard is None:
            raise StoreError(f"{self.path}: no vector index yet", hint="index some documents first (`ctkb index`)")
        return self._shared.shard

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")

    # -- collection --------------------------------------------------------------------------------

    def spec(self) -> CollectionSpec | None:
        """The recorded spec, or None when there is no collection yet."""
        if not self.spec_path.is_file():
            return None
        try:
            return CollectionSpec.model_validate_json(self.spec_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise StoreError(
                f"{self.spec_path}: unreadable collection spec ({exc})",
                hint=f"delete {self.root} and re-index (`ctkb index --reembed`)",
            ) from exc

    def ensure_collection(self, spec: CollectionSpec) -> None:
        """Create the shard for ``spec`` with its payload indexes, or check the existing one.

        Raises:
            SpecMismatchError: The shard was built with other vectors or encoders.
            StoreError: Read-only and there is no shard, or the shard cannot be opened.
        """
        wanted = normalised_spec(spec)
        self._check_open()
        stored = self.spec()
        if stored is not None:
            if normalised_spec(stored) != wanted:
                raise SpecMismatchError(str(self.path), stored, wanted)
            if not self._has_segments():
                raise StoreError(f"{self.path}: the spec is recorded but the shard is missing",
                                 hint=f"delete {self.spec_path} and re-index (`ctkb index --reembed`)")
            self._load(None)
            self._ensure_indexes()
            return
        if self.read_only:
            raise StoreError(f"{self.path}: no vector index yet", hint="index some documents first (`ctkb index`)")
        with self._shared.write_lock:
            if self._has_segments():
                # A shard without a recorded spec (a crash between creating and recording):
                # adopt it if its vectors fit, which qdrant-edge checks on load.
                self._load(wanted)
            elif self._shared.shard is None:
                self.path.mkdir(parents=True, exist_ok=True)
                try:
                    self._shared.shard = EdgeShard.create(str(self.path), _edge_config(wanted))
                except Exception as exc:
                    raise _edge_error(self.path, exc) from exc
            self._ensure_indexes()
            self._shard.flush()
            # Recorded last: a spec file always describes a complete, usable shard.
            _write_atomically(self.spec_path, wanted.model_dump_json(indent=2))

    def _ensure_indexes(self) -> None:
        existing = set(self._shard.info().payload_schema)
        if self.read_only:
            return
        with self._shared.write_lock:
            for key in KEYWORD_INDEXES:
                if key not in existing:
                    self._shard.update(UpdateOperation.create_field_index(key, PayloadSchemaType.Keyword))
            for key in INTEGER_INDEXES:
                if key not in existing:
                    self._shard.update(UpdateOperation.create_field_index(key, PayloadSchemaType.Integer))

    # -- writes ------------------------------------------------------------------------------------

    def replace_document(self, doc_id: str, points: list[ChunkPoint]) -> None:
        """Write ``points`` and remove every other point of ``doc_id``, then flush.

        New points are upserted first and the old ones pruned after (by filter: doc_id and
        not one of the new ids), so the document never disappears from search midway and
        re-running after a crash converges. Point ids are deterministic, so an unchanged
        chunk is overwritten in place.
        """
        self._writable()
        spec = self._checked_spec()
        for p in points:
            check_point(p, doc_id, spec, self.path)
        shard = self._shard
        with self._shared.write_lock:
            try:
                for start in range(0, len(points), self.batch):
                    chunk = points[start:start + self.batch]
                    shard.update(UpdateOperation.upsert_points([_to_edge(p) for p in chunk]))
                prune = Filter(
                    must=[FieldCondition("doc_id", match=MatchAny([doc_id]))],
                    must_not=[HasIdCondition({p.id for p in points})] if points else None,
                )
                shard.update(UpdateOperation.delete_points_by_filter(prune))
                shard.flush()
            except Exception as exc:
                raise _edge_error(self.path, exc) from exc

    def delete_document(self, doc_id: str) -> None:
        self._writable()
        with self._shared.write_lock:
            try:
                self._shard.update(UpdateOperation.delete_points_by_filter(_doc_filter(doc_id)))
                self._shard.flush()
            except Exception as exc:
                raise _edge_error(self.path, exc) from exc

    def _checked_spec(self) -> CollectionSpec:
        spec = self.spec()
        if spec is None:
            raise StoreError(f"{self.path}: no collection", hint="call ensure_collection first")
        return spec

    # -- reads -------------------------------------------------------------------------------------

    def count(self, doc_id: str | None = None) -> int:
        self._check_open()
        if self._shared.shard is None:
            return 0
        flt = _doc_filter(doc_id) if doc_id is not None else None
        return self._shard.count(CountRequest(exact=True, filter=flt))

    def document_ids(self) -> set[str]:
        """Ids of the documents that have points (a facet over the doc_id index)."""
        self._check_open()
        if self._shared.shard is None:
            return set()
        total = self.count()
        if total == 0:
            return set()
        facet = self._shard.facet(FacetRequest(key="doc_id", limit=total, exact=True))
        # qdrant-edge 0.9.0's exact facet still lists values whose points were all deleted
        # (with count 0) until the shard is reloaded, hence the count check.
        return {str(hit.value) for hit in facet.hits if hit.count > 0}

    def query(self, query: StoreQuery) -> list[StoreHit]:
        """Nearest neighbours for one named vector, or Qdrant's RRF over one prefetch per
        named vector (weights from ``query.weights``, default 1)."""
        spec = self._checked_spec()
        flt = edge_filter(query.filter)
        sources = [(n, SparseVector(v.indices, v.values) if isinstance(v, SparseVec) else v, w)
                   for n, v, w in query_sources(query, spec, self.path)]
        if not sources:
            return []
        try:
            if len(sources) == 1:
                name, vector, _ = sources[0]
                request = QueryRequest(
                    limit=query.limit, query=Query.Nearest(vector, using=name), filter=flt,
                    with_payload=query.with_payload,
                )
            else:
                prefetch_limit = max(query.prefetch_limit, query.limit)
                weights = [w for _, _, w in sources]
                request = QueryRequest(
                    limit=query.limit,
                    # The filter goes on every prefetch: fusion only ranks what they return.
                    prefetches=[Prefetch(limit=prefetch_limit, query=Query.Nearest(v, using=n), filter=flt)
                                for n, v, _ in sources],
                    query=Fusion.Rrf(k=self.rrf_k, weights=None if all(w == 1.0 for w in weights) else weights),
                    with_payload=query.with_payload,
                )
            found = self._shard.query(request)
        except StoreError:
            raise
        except Exception as exc:
            raise _edge_error(self.path, exc) from exc
        return [StoreHit(id=str(p.id), score=float(p.score), payload=dict(p.payload or {})) for p in found]

    def scroll(self, batch: int = 256, with_vectors: bool = True, *, doc_id: str | None = None) -> Iterator[ChunkPoint]:
        """Every point (or every point of ``doc_id``), with its vectors, in id order."""
        self._check_open()
        if self._shared.shard is None:
            return
        flt = _doc_filter(doc_id) if doc_id is not None else None
        offset = None
        while True:
            records, offset = self._shard.scroll(ScrollRequest(
                offset=offset, limit=batch, filter=flt, with_payload=True, with_vector=with_vectors,
            ))
            for rec in records:
                yield _from_edge(rec.id, rec.vector if with_vectors else None, rec.payload)
            if offset is None or not records:
                return


def _to_edge(p: ChunkPoint) -> Point:
    vectors: dict[str, Any] = {name: list(vec) for name, vec in p.dense.items()}
    for name, sv in p.sparse.items():
        vectors[name] = SparseVector(list(sv.indices), list(sv.values))
    return Point(p.id, vectors, p.payload)


def _from_edge(pid: Any, vector: Any, payload: Any) -> ChunkPoint:
    dense: dict[str, list[float]] = {}
    sparse: dict[str, SparseVec] = {}
    for name, vec in (vector or {}).items():
        if isinstance(vec, SparseVector):
            pairs = sorted(zip(vec.indices, vec.values))
            sparse[name] = SparseVec(indices=[i for i, _ in pairs], values=[float(v) for _, v in pairs])
        else:
            dense[name] = [float(x) for x in vec]
    return ChunkPoint(id=str(pid), dense=dense, sparse=sparse, payload=dict(payload or {}))
