"""Moving a real index from the embedded engine to a server (local mode here) keeps every
point and answers the sample queries alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_store_congruence import DENSE, FILTERS, QUERIES, SPARSE, make_query, real_index

from kb.store.base import ChunkPoint, CollectionSpec, SearchFilter, SpecMismatchError, StoreError, StoreHit
from kb.store.edge import EdgeStore
from kb.store.migrate import migrate, ranking_difference
from kb.store.server import ServerStore

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="session")
def index(corpus_dir: Path) -> tuple[CollectionSpec, dict[str, list[ChunkPoint]]]:
    return real_index(str(corpus_dir))


@pytest.fixture(scope="module")
def edge(tmp_path_factory, index):
    """The source: every test only reads it."""
    spec, by_doc = index
    store = EdgeStore(tmp_path_factory.mktemp("migrate") / "vectors")
    store.ensure_collection(spec)
    for doc_id, points in by_doc.items():
        store.replace_document(doc_id, points)
    yield store
    store.close()


def sample_queries():
    # Dense and sparse queries, filtered and not (fused ones can differ on tied sparse
    # scores, see test_store_congruence; migration checks what must be identical).
    return [make_query(text, mode, FILTERS[i % len(FILTERS)] if i % 2 else SearchFilter())
            for i, text in enumerate(QUERIES) for mode in ("dense", "sparse")]


def test_migrating_edge_to_a_server_copies_every_point_and_answers_alike(edge, index):
    spec, by_doc = index
    dst = ServerStore(":memory:")
    report = migrate(edge, dst, batch=50, sample_queries=sample_queries())
    assert report.ok, report.summary()
    assert report.points_copied == report.src_count == report.dst_count == sum(len(p) for p in by_doc.values())
    assert report.documents == len(by_doc)
    assert {d: dst.count(d) for d in by_doc} == {d: edge.count(d) for d in by_doc}
    assert dst.spec() == spec
    assert len(report.queries) == 2 * len(QUERIES) and all(q.same for q in report.queries)
    assert sum(len(q.src_ids) == 10 for q in report.queries) >= len(QUERIES)  # not a vacuous comparison
    # The copy carries the vectors themselves, not just the payloads.
    copied = {p.id: p for p in dst.scroll()}
    for p in edge.scroll():
        assert copied[p.id].dense[DENSE] == pytest.approx(p.dense[DENSE], abs=1e-6)
        assert copied[p.id].sparse[SPARSE].indices == p.sparse[SPARSE].indices
    dst.close()


def extra_document(index) -> list[ChunkPoint]:
    """One point of a document the source does not have."""
    _, by_doc = index
    p = by_doc["pak-ptpa-2018"][0]
    return [p.model_copy(update={"id": "00000000-0000-4000-8000-000000000001",
                                 "payload": {**p.payload, "doc_id": "not-in-source"}})]


def test_migrating_again_is_idempotent_and_prunes_documents_the_source_lacks(edge, index):
    dst = ServerStore(":memory:")
    migrate(edge, dst, sample_queries=[])
    dst.replace_document("not-in-source", extra_document(index))
    report = migrate(edge, dst, sample_queries=[])
    assert report.ok, report.summary()
    assert report.pruned_documents == ["not-in-source"]
    assert dst.count() == edge.count() and dst.document_ids() == edge.document_ids()
    dst.close()


def test_a_migration_into_a_store_with_another_spec_is_refused(edge, index):
    spec, _ = index
    dst = ServerStore(":memory:")
    dst.ensure_collection(spec.model_copy(update={"encoders": {DENSE: "other@1"}}))
    with pytest.raises(SpecMismatchError):
        migrate(edge, dst, sample_queries=[])
    dst.close()


def test_a_migration_from_an_empty_store_is_refused(tmp_path: Path):
    with EdgeStore(tmp_path / "vectors") as src, pytest.raises(StoreError, match="no collection"):
        migrate(src, ServerStore(":memory:"), sample_queries=[])


def test_the_report_flags_a_destination_that_is_not_a_copy(edge, index):
    spec, by_doc = index
    dst = ServerStore(":memory:")
    dst.ensure_collection(spec)
    dst.replace_document("not-in-source", extra_document(index))
    report = migrate(edge, dst, sample_queries=[make_query("trafficking in persons", "dense", SearchFilter())],
                     prune=False)
    assert not report.ok
    assert report.count_mismatches == {"not-in-source": (0, 1)}
    assert report.dst_count == report.src_count + 1
    assert "DIFFER" in report.summary()
    dst.close()


def hits(*pairs: tuple[str, float]) -> list[StoreHit]:
    return [StoreHit(id=i, score=s) for i, s in pairs]


def test_rankings_may_swap_tied_hits_but_nothing_else():
    a = hits(("x", 0.9), ("y", 0.8), ("z", 0.8), ("w", 0.7))
    assert ranking_difference(a, hits(("x", 0.9), ("z", 0.8), ("y", 0.8), ("w", 0.7)), limit=10) is None
    assert ranking_difference(a, hits(("x", 0.9), ("y", 0.8), ("z", 0.8), ("v", 0.7)), limit=10) is not None
    assert ranking_difference(a, hits(("y", 0.9), ("x", 0.8), ("z", 0.8), ("w", 0.7)), limit=10) is not None
    assert ranking_difference(a, hits(("x", 0.9), ("y", 0.8), ("z", 0.8), ("w", 0.6)), limit=10) is not None
    assert ranking_difference(a, a[:3], limit=10) is not None


def test_a_tie_cut_by_the_limit_may_keep_different_members():
    a = hits(("x", 0.9), ("y", 0.5), ("z", 0.5))
    b = hits(("x", 0.9), ("y", 0.5), ("q", 0.5))
    assert ranking_difference(a, b, limit=3) is None  # "z" and "q" tie, the cut kept one each
    assert ranking_difference(a, b, limit=10) is not None  # nothing was cut: they must agree
