"""Signals: what each provision of a document shows for each criterion of a rubric.

Per document, computed once for every criterion:

- **cues**: the rubric's positive, heading, negative and partial cue patterns (spaCy
  ``Matcher``, one pass over the document);
- **similarity**: cosine of the provision's stored chunk vectors (USE, multilingual) to the
  criterion's queries and exemplars in the document's language and English;
- **lexical**: the BM25 score of the provision for the criterion's queries (Qdrant sparse
  query, filtered to the document);
- **hybrid rank**: the provision's place in Qdrant's fused hybrid search for the criterion
  (the same retrieval as ``ctkb search``, filtered to the document);
- **modality**: duty ("shall") or power ("may") words;
- **penalty**: the maximum imprisonment in the provision and its subsections.

No provision is embedded here: chunk vectors come from the store, rubric texts from the
:class:`~kb.scoring.vectors.TextVectors` cache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from kb.cues import CueMatcher
from kb.models import DocumentRecord, Provision
from kb.rubric import Criterion, Rubric
from kb.scoring.vectors import TextVectors
from kb.store.base import SearchFilter, SparseVec, Store, StoreQuery

SIMILARITY_ENCODER = "use"  # multilingual, so one scale for every language
HYBRID_DEPTH = 20  # provisions taken from the fused search per criterion
LIFE_YEARS = 99.0  # life imprisonment, as a number of years for comparisons


@dataclass
class ProvisionSignals:
    """One provision's signals for one criterion."""

    index: int
    positive: set[str] = field(default_factory=set)
    heading: set[str] = field(default_factory=set)
    negative: set[str] = field(default_factory=set)
    partial: set[str] = field(default_factory=set)
    sim_query: float = 0.0
    sim_exemplar: float = 0.0
    bm25: float = 0.0
    hybrid_rank: int | None = None
    duty: bool = False
    power: bool = False
    penalty_years: float | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def cued(self) -> bool:
        return bool(self.positive or self.heading)


@dataclass
class PairSignals:
    """All signals of one (document, criterion) pair; ``provisions`` indexes ``DocContext.tops``."""

    doc_id: str
    criterion: Criterion
    language: str
    cues_in_language: bool
    provisions: list[ProvisionSignals]

    def candidates(self) -> list[ProvisionSignals]:
        """Provisions worth ranking as evidence: cue hits and the hybrid search's top."""
        return [p for p in self.provisions if p.cued or p.partial or p.hybrid_rank is not None]


@dataclass
class DocContext:
    record: DocumentRecord
    tops: list[Provision]
    pairs: dict[str, PairSignals]


def _roots(provisions: list[Provision]) -> dict[str, str]:
    """Provision id -> id of its top-level ancestor."""
    parent = {p.id: p.parent_id for p in provisions}
    out = {}
    for pid in parent:
        root = pid
        while parent.get(root):
            root = parent[root]
        out[pid] = root
    return out


def _penalties(provisions: list[Provision], tops: list[Provision]) -> list[float | None]:
    roots = _roots(provisions)
    best: dict[str, float] = {}
    for p in provisions:
        for pen in p.penalties:
            years = LIFE_YEARS if (pen.life or pen.death) else pen.imprisonment_max_years
            if years is not None:
                best[roots[p.id]] = max(best.get(roots[p.id], 0.0), years)
    return [best.get(t.id) for t in tops]


def _cues_in_language(criterion: Criterion, language: str) -> bool:
    kinds = (criterion.cues.positive, criterion.cues.negative, criterion.cues.partial)
    return any(language in cue.languages for cues in kinds for cue in cues)


class SignalExtractor:
    """Computes :class:`PairSignals` for documents of one knowledge base and one rubric.

    Args:
        store: The vector store (chunk vectors and Qdrant queries).
        vectors: Rubric text vectors (cached).
        sparse: The sparse encoder (query term vectors).
        encoder_names: Dense vector names in the store.
        rubric: The rubric to score against.
        prefetch_limit: Per-vector candidates for the fused query.
    """

    def __init__(self, store: Store, vectors: TextVectors, sparse, encoder_names: list[str], rubric: Rubric,
                 prefetch_limit: int = 50) -> None:
        self.store = store
        self.vectors = vectors
        self.sparse = sparse
        self.encoder_names = encoder_names
        self.rubric = rubric
        self.matcher = CueMatcher(rubric)
        self.prefetch_limit = prefetch_limit
        self._sparse_cache: dict[tuple, SparseVec | None] = {}
        self._vector_cache: dict[tuple, np.ndarray] = {}
        if SIMILARITY_ENCODER not in encoder_names:
            from kb.errors import CtkbError

            raise CtkbError(f"scoring needs the {SIMILARITY_ENCODER!r} encoder's vectors in the store "
                            f"(configured: {', '.join(encoder_names)})",
                            hint="set CTKB_ENCODERS=minilm,use and re-index")

    def _chunk_matrix(self, doc_id: str, tops: list[Provision]
                      ) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, int]]:
        """Chunk vectors per encoder, the top-provision index of each chunk, and point id -> index."""
        where = {t.id: i for i, t in enumerate(tops)}
        owners, rows, points = [], {name: [] for name in self.encoder_names}, {}
        for point in self.store.scroll(doc_id=doc_id):
            owner = where.get(point.payload["provision_id"])
            if owner is None:
                continue
            points[point.id] = owner
            owners.append(owner)
            for name in self.encoder_names:
                rows[name].append(point.dense[name])
        mats = {name: np.asarray(r, dtype=np.float32).reshape(len(owners), -1) if owners else np.zeros((0, 1), np.float32)
                for name, r in rows.items()}
        return mats, np.asarray(owners, dtype=np.int64), points

    @staticmethod
    def _per_provision(chunk_scores: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
        out = np.full(n, -1.0, dtype=np.float32)
        if len(owners):
            np.maximum.at(out, owners, chunk_scores)
        return np.where(out < -0.5, 0.0, out)

    def _sparse_query(self, texts: list[str], language: str) -> SparseVec | None:
        key = (tuple(texts), language)
        if key not in self._sparse_cache:
            vec = self.sparse.encode_query(" ".join(texts), language)
            self._sparse_cache[key] = vec if vec.indices else None
        return self._sparse_cache[key]

    def _rubric_vectors(self, name: str, texts: list[str], role: str) -> np.ndarray:
        key = (name, tuple(texts), role)
        if key not in self._vector_cache:
            self._vector_cache[key] = self.vectors.get(name, texts, role)  # type: ignore[arg-type]
        return self._vector_cache[key]

    def _provision_hits(self, query: StoreQuery, points: dict[str, int]) -> list[tuple[int, float]]:
        """(top index, score) best first, one per provision (points mapped by id: no payloads)."""
        out, seen = [], set()
        for hit in self.store.query(query):
            i = points.get(hit.id)
            if i is not None and i not in seen:
                seen.add(i)
                out.append((i, hit.score))
        return out

    def document(self, record: DocumentRecord, provisions: list[Provision]) -> DocContext:
        """Signals of every criterion for one document."""
        tops = sorted((p for p in provisions if p.parent_id is None), key=lambda p: p.ordinal)
        lang = record.language
        hits = self.matcher.match([t.text for t in tops], [t.heading for t in tops], lang)
        penalties = _penalties(provisions, tops)
        mats, owners, points = self._chunk_matrix(record.id, tops)
        flt = SearchFilter(doc_ids=[record.id])
        n_chunks = len(owners)
        pairs: dict[str, PairSignals] = {}
        for c in self.rubric.criteria:
            queries, exemplars = c.queries_for(lang), c.exemplars_for(lang)
            q_use = self._rubric_vectors(SIMILARITY_ENCODER, queries, "query")
            use = mats[SIMILARITY_ENCODER]
            sim_q = self._per_provision((use @ q_use.T).max(axis=1) if n_chunks else np.zeros(0), owners, len(tops))
            if exemplars:
                x_use = self._rubric_vectors(SIMILARITY_ENCODER, exemplars, "document")
                sim_x = self._per_provision((use @ x_use.T).max(axis=1) if n_chunks else np.zeros(0), owners,
                                            len(tops))
            else:
                sim_x = np.zeros(len(tops), dtype=np.float32)
            bm25 = np.zeros(len(tops), dtype=np.float32)
            ranks: dict[int, int] = {}
            own_queries = c.queries.get(lang) or c.queries.get("en", [])
            sparse = self._sparse_query(own_queries, lang) if n_chunks else None
            if sparse is not None:
                lexical = StoreQuery(sparse={self.sparse.name: sparse}, filter=flt, limit=min(1000, n_chunks),
                                     prefetch_limit=self.prefetch_limit, with_payload=False)
                for i, score in self._provision_hits(lexical, points):
                    bm25[i] = score
            if n_chunks:
                dense = {SIMILARITY_ENCODER: _unit(q_use.mean(axis=0))}
                if lang == "en" and "minilm" in self.encoder_names:
                    dense["minilm"] = _unit(self._rubric_vectors("minilm", queries, "query").mean(axis=0))
                fused = StoreQuery(dense={k: v.tolist() for k, v in dense.items()},
                                   sparse={self.sparse.name: sparse} if sparse is not None else {},
                                   filter=flt, limit=min(1000, HYBRID_DEPTH * 3), prefetch_limit=self.prefetch_limit,
                                   with_payload=False)
                for rank, (i, _) in enumerate(self._provision_hits(fused, points)[:HYBRID_DEPTH]):
                    ranks[i] = rank
            heading_ids = {cue.id for cue in c.cues.positive if cue.heading}
            signals = []
            for i in range(len(tops)):
                h = hits[i]
                signals.append(ProvisionSignals(
                    index=i, positive=set(h.of(c.id, "positive")), negative=set(h.of(c.id, "negative")),
                    partial=set(h.of(c.id, "partial")), heading=set(h.of(c.id, "positive")) & heading_ids,
                    sim_query=float(sim_q[i]), sim_exemplar=float(sim_x[i]), bm25=float(bm25[i]),
                    hybrid_rank=ranks.get(i), duty=h.duty, power=h.power,
                    penalty_years=penalties[i], spans=list(h.spans.get(c.id, [])),
                ))
            pairs[c.id] = PairSignals(doc_id=record.id, criterion=c, language=lang,
                                      cues_in_language=_cues_in_language(c, lang), provisions=signals)
        return DocContext(record=record, tops=tops, pairs=pairs)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n and not math.isnan(n) else v
