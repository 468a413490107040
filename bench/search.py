"""Search and indexing benchmark (``make bench``): ratios against references measured in the same run.

1. Indexing the real corpus: first run, then an unchanged re-run (ratio of times, vectors rewritten).
2. Embedding throughput: chunks embedded and stored per second by the pipeline, against the bare
   models' ``encode`` on the same chunk texts.
3. Search latency with the real corpus replicated to >= 50,000 points: a country-filtered hybrid
   query through ctkb's store against the bare Qdrant Edge query with the same vectors (p95 ratio),
   and end-to-end ``KnowledgeBase.search`` including the query embedding (p95).

Run: ``CTKB_CORPUS=../shared/corpus python -m bench.search``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from indexing.manifest import load_manifest
from indexing.pipeline import Indexer
from kb.knowledge import KnowledgeBase
from kb.retrieval_eval import load_queries
from kb.settings import Settings
from kb.store.base import ChunkPoint, SearchFilter

TARGET_POINTS = 50_000
QUERIES = Path(__file__).resolve().parent.parent / "tests" / "retrieval_queries.yaml"


def p95(samples: list[float]) -> float:
    return float(np.percentile(np.asarray(samples), 95))


def ms(value: float) -> str:
    return f"{value * 1000:.2f} ms"


class CountingStore:
    """Wraps a store to count the points written."""

    def __init__(self, inner) -> None:
        self.inner, self.written = inner, 0

    def replace_document(self, doc_id, points):
        self.written += len(points)
        return self.inner.replace_document(doc_id, points)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def bench_indexing(corpus: Path, home: Path) -> KnowledgeBase:
    entries, _ = load_manifest(corpus / "manifest.yaml")
    kb = KnowledgeBase.open(Settings(home=home))
    writer = kb.vector_writer()
    counting = CountingStore(writer.store)
    writer.store = counting
    t0 = time.perf_counter()
    Indexer(kb.catalog, writer).run(entries)
    first = time.perf_counter() - t0
    written_first = counting.written
    counting.written = 0
    t0 = time.perf_counter()
    report = Indexer(kb.catalog, writer).run(entries)
    second = time.perf_counter() - t0
    print("== indexing the real corpus")
    print(f"first run: {first:.1f} s, {len(entries)} documents, {written_first} chunks written")
    print(f"unchanged re-run: {second:.2f} s, {counting.written} chunks written, "
          f"{len(report.by_status('skipped'))} skipped")
    print(f"ratio re-run / first run: {second / first:.3%}  (target < 5%)")
    return kb


def bench_throughput(kb: KnowledgeBase) -> None:
    from kb.chunking import chunk_provisions

    docs = [r for r in kb.catalog.documents() if r.status == "indexed"]
    provisions = {r.id: kb.catalog.provisions(r.id) for r in docs}
    texts = [c.embed_text for r in docs for c in chunk_provisions(provisions[r.id], r.title, kb.encoders)]
    for encoder in kb.encoders:  # warm up: model loading is not throughput
        encoder.encode(texts[:8])
    t0 = time.perf_counter()
    for encoder in kb.encoders:
        encoder.encode(texts)
    bare = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        other = KnowledgeBase.open(Settings(home=Path(tmp)))
        writer = other.vector_writer()
        writer.encoders = kb.encoders  # the same loaded models
        writer.ensure()
        t0 = time.perf_counter()
        for r in docs:
            writer.write(r, provisions[r.id])
        pipeline = time.perf_counter() - t0
        other.close()
    bare_cps, pipe_cps = len(texts) / bare, len(texts) / pipeline
    names = "+".join(e.name for e in kb.encoders)
    print("== embedding throughput")
    print(f"{len(texts)} chunks; bare encode ({names}): {bare_cps:.1f} chunks/s; "
          f"pipeline (chunk, encode, sparse, store): {pipe_cps:.1f} chunks/s")
    print(f"ratio pipeline / bare: {pipe_cps / bare_cps:.2f}  (target >= 0.80)")


def replicate(kb: KnowledgeBase, home: Path) -> tuple[KnowledgeBase, list[str]]:
    """A new store holding the real corpus's points copied until there are TARGET_POINTS."""
    base = list(kb.store.scroll(with_vectors=True))
    copies = -(-TARGET_POINTS // len(base))
    big = KnowledgeBase.open(Settings(home=home))
    big.store.ensure_collection(kb.store.spec())
    countries = sorted({p.payload["country"] for p in base})
    for i in range(copies):
        by_doc: dict[str, list[ChunkPoint]] = {}
        for p in base:
            payload = {**p.payload, "doc_id": f"{p.payload['doc_id']}~{i}",
                       "provision_id": f"{p.payload['provision_id']}~{i}"}
            if i:  # spread copies over many synthetic countries so a filter selects a realistic share
                payload["country"] = f"X{chr(65 + i % 26)}{chr(65 + (i // 26) % 26)}"
            point = ChunkPoint(id=_shifted(p.id, i), dense=p.dense, sparse=p.sparse, payload=payload)
            by_doc.setdefault(payload["doc_id"], []).append(point)
        for doc_id, points in by_doc.items():
            big.store.replace_document(doc_id, points)
    print(f"replicated {len(base)} real points x {copies} = {big.store.count()} points")
    return big, countries


def _shifted(point_id: str, i: int) -> str:
    import uuid

    return str(uuid.uuid5(uuid.UUID(point_id), str(i))) if i else point_id


def bench_latency(kb: KnowledgeBase, big: KnowledgeBase, countries: list[str]) -> None:
    from bench.bare import bare_query

    queries = [q.query for q in load_queries(QUERIES)]
    rounds = max(1, 300 // len(queries))
    planned = []
    for i, text in enumerate(queries):
        flt = SearchFilter(countries=[countries[i % len(countries)]])
        planned.append(big.build_query(text, "hybrid", flt, 10))
    for q in planned[:5]:  # warm caches
        big.store.query(q)
        bare_query(big.store, q)
    ours, bare = [], []
    for _ in range(rounds):
        for q in planned:
            t0 = time.perf_counter()
            bare_query(big.store, q)
            bare.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            big.store.query(q)
            ours.append(time.perf_counter() - t0)
    e2e = []
    for _ in range(rounds):
        for i, text in enumerate(queries):
            t0 = time.perf_counter()
            big.search(text, countries=[countries[i % len(countries)]], limit=10)
            e2e.append(time.perf_counter() - t0)
    print("== search latency, country-filtered hybrid query, "
          f"{big.store.count()} points, {len(ours)} queries")
    print(f"bare Qdrant Edge query: p50 {ms(statistics.median(bare))}, p95 {ms(p95(bare))}")
    print(f"ctkb store query:       p50 {ms(statistics.median(ours))}, p95 {ms(p95(ours))}")
    print(f"ratio ctkb / bare p95: {p95(ours) / p95(bare):.2f}  (target <= 3)")
    print(f"end-to-end KnowledgeBase.search incl. query embedding: p50 {ms(statistics.median(e2e))}, "
          f"p95 {ms(p95(e2e))}  (target p95 < 60 ms)")


def main() -> int:
    corpus = Path(os.environ.get("CTKB_CORPUS", "../shared/corpus")).resolve()
    if not (corpus / "manifest.yaml").is_file():
        print(f"error: no manifest.yaml in {corpus}; set CTKB_CORPUS to the real corpus", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        kb = bench_indexing(corpus, Path(tmp) / "home")
        bench_throughput(kb)
        big, countries = replicate(kb, Path(tmp) / "big")
        bench_latency(kb, big, countries)
        big.close()
        kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
