"""Both store engines keep the Store contract, on real provisions with real vectors.

Every contract test runs against the embedded engine (Qdrant Edge in a temp folder) and
qdrant-client's local mode (the server engine's stand-in). Edge-only behaviour --
persistence, the one-process lock -- has its own tests below.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_store_congruence import DENSE, SPARSE, embed_query, real_index, sparse_query

from kb.settings import Settings
from kb.store.base import (
    ChunkPoint,
    CollectionSpec,
    SearchFilter,
    SparseVec,
    SpecMismatchError,
    Store,
    StoreError,
    StoreQuery,
)
from kb.store.edge import EdgeStore
from kb.store.factory import open_store
from kb.store.server import SPEC_KEY, ServerStore

pytestmark = pytest.mark.corpus
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def index(corpus_dir: Path) -> tuple[CollectionSpec, dict[str, list[ChunkPoint]]]:
    return real_index(str(corpus_dir))


@pytest.fixture(params=["edge", "local"])
def store(request, tmp_path: Path, index):
    spec, _ = index
    s: Store = EdgeStore(tmp_path / "vectors") if request.param == "edge" else ServerStore(":memory:")
    s.ensure_collection(spec)
    yield s
    s.close()


@pytest.fixture(scope="module", params=["edge", "local"])
def filled(request, tmp_path_factory, index):
    """A store holding the whole real sample, shared by the tests that only read."""
    spec, by_doc = index
    s: Store = (EdgeStore(tmp_path_factory.mktemp("filled") / "vectors") if request.param == "edge"
                else ServerStore(":memory:"))
    s.ensure_collection(spec)
    fill(s, by_doc)
    yield s
    s.close()


def fill(s: Store, by_doc: dict[str, list[ChunkPoint]]) -> None:
    for doc_id, points in by_doc.items():
        s.replace_document(doc_id, points)


def everything(flt: SearchFilter = SearchFilter()) -> StoreQuery:
    """A dense query with a limit above the point count: returns every point the filter lets through."""
    return StoreQuery(dense={DENSE: list(embed_query("trafficking in persons"))}, filter=flt, limit=1000)


def test_a_new_store_has_no_spec_and_no_points(tmp_path: Path):
    for s in (EdgeStore(tmp_path / "vectors"), ServerStore(":memory:")):
        assert s.spec() is None
        assert s.count() == 0
        assert s.document_ids() == set()
        assert list(s.scroll()) == []
        s.close()


def test_replacing_a_document_twice_with_the_same_points_keeps_the_same_count(store, index):
    _, by_doc = index
    points = by_doc["tza-atip-act-2008"]
    store.replace_document("tza-atip-act-2008", points)
    store.replace_document("tza-atip-act-2008", points)
    assert store.count("tza-atip-act-2008") == store.count() == len(points)


def test_replacing_a_document_with_fewer_points_leaves_no_orphans(store, index):
    _, by_doc = index
    fill(store, {d: by_doc[d] for d in ("tza-atip-act-2008", "arg-ley-26364")})
    fewer = by_doc["tza-atip-act-2008"][:5]
    store.replace_document("tza-atip-act-2008", fewer)
    assert store.count("tza-atip-act-2008") == 5
    assert {p.id for p in store.scroll() if p.payload["doc_id"] == "tza-atip-act-2008"} == {p.id for p in fewer}
    # The other document is untouched.
    assert store.count("arg-ley-26364") == len(by_doc["arg-ley-26364"])
    store.replace_document("tza-atip-act-2008", [])
    assert store.count("tza-atip-act-2008") == 0
    assert store.document_ids() == {"arg-ley-26364"}


def test_deleting_a_document_removes_only_its_points(store, index):
    _, by_doc = index
    fill(store, {d: by_doc[d] for d in ("pak-ptpa-2018", "cmr-loi-2005-015")})
    store.delete_document("pak-ptpa-2018")
    assert store.document_ids() == {"cmr-loi-2005-015"}
    assert store.count() == len(by_doc["cmr-loi-2005-015"])


def test_points_whose_payload_names_another_document_are_refused(store, index):
    _, by_doc = index
    with pytest.raises(StoreError, match="doc_id"):
        store.replace_document("pak-ptpa-2018", by_doc["cmr-loi-2005-015"][:1])
    assert store.count() == 0


def test_a_collection_built_with_other_encoders_is_refused_with_a_reindex_hint(store, index):
    spec, _ = index
    other = spec.model_copy(update={"encoders": {**spec.encoders, DENSE: "some-other-model@2"}})
    with pytest.raises(SpecMismatchError) as caught:
        store.ensure_collection(other)
    assert "re-index" in str(caught.value) and "ctkb index --reembed" in str(caught.value)
    bigger = spec.model_copy(update={"dense": {DENSE: 768}})
    with pytest.raises(SpecMismatchError):
        store.ensure_collection(bigger)
    # The same spec, sparse names in another order, is accepted.
    store.ensure_collection(spec.model_copy(update={"sparse": list(reversed(spec.sparse))}))


def test_the_server_engine_records_the_spec_in_the_collection_metadata(index):
    spec, _ = index
    s = ServerStore(":memory:")
    s.ensure_collection(spec)
    meta = s._client.get_collection(s.collection).config.metadata
    assert CollectionSpec.model_validate(meta[SPEC_KEY]) == spec
    assert s.spec() == spec
    s.close()


@pytest.mark.parametrize("flt", [
    SearchFilter(countries=["ARG", "CMR"]),
    SearchFilter(languages=["nl"]),
    SearchFilter(kinds=["penal-code-chapter"]),
    SearchFilter(year_min=2008, year_max=2015),
    SearchFilter(year_max=2005),
    SearchFilter(countries=["INTL"], year_min=2010),
    SearchFilter(doc_ids=["pak-ptpa-2018"], numbers=["3", "4"]),
], ids=["countries", "language", "kind", "year-range", "year-max", "country-and-year", "doc-and-numbers"])
def test_payload_filters_select_exactly_the_matching_points(filled, index, flt):
    _, by_doc = index

    def matches(p: dict) -> bool:
        return ((not flt.countries or p["country"] in flt.countries)
                and (not flt.languages or p["language"] in flt.languages)
                and (not flt.kinds or p["kind"] in flt.kinds)
                and (not flt.doc_ids or p["doc_id"] in flt.doc_ids)
                and (not flt.numbers or p["number"] in flt.numbers)
                and (flt.year_min is None or p["year"] >= flt.year_min)
                and (flt.year_max is None or p["year"] <= flt.year_max))

    expected = {p.id for points in by_doc.values() for p in points if matches(p.payload)}
    assert expected, "the filter should select something"
    assert {h.id for h in filled.query(everything(flt))} == expected


def test_a_query_that_matches_nothing_returns_an_empty_list(filled):
    store = filled
    assert store.query(everything(SearchFilter(countries=["ZMB"]))) == []
    unknown_term = StoreQuery(sparse={SPARSE: sparse_query("zzyzzxqv")})
    assert store.query(unknown_term) == []
    no_terms = StoreQuery(sparse={SPARSE: SparseVec(indices=[], values=[])})
    assert store.query(no_terms) == []
    fused = StoreQuery(dense={DENSE: list(embed_query("trafficking"))}, sparse={SPARSE: sparse_query("trafficking")},
                       filter=SearchFilter(year_min=2100))
    assert store.query(fused) == []


def test_queries_naming_unknown_vectors_or_wrong_sizes_are_refused(store):
    with pytest.raises(StoreError, match="unknown vectors"):
        store.query(StoreQuery(dense={"nope": [0.1] * 384}))
    with pytest.raises(StoreError, match="dimensions"):
        store.query(StoreQuery(dense={DENSE: [0.1] * 10}))
    with pytest.raises(StoreError, match="unknown vectors"):
        store.query(StoreQuery(dense={DENSE: [0.1] * 384}, weights={"nope": 2.0}))


def test_scroll_returns_every_point_with_its_vectors_and_payload(store, index):
    _, by_doc = index
    points = by_doc["cmr-loi-2005-015"]
    store.replace_document("cmr-loi-2005-015", points)
    back = {p.id: p for p in store.scroll(batch=5)}
    assert back.keys() == {p.id for p in points}
    for p in points:
        q = back[p.id]
        assert q.payload == p.payload
        assert q.sparse[SPARSE].indices == p.sparse[SPARSE].indices
        assert q.dense[DENSE] == pytest.approx(p.dense[DENSE], abs=1e-6)
    assert all(not p.dense and not p.sparse for p in store.scroll(with_vectors=False))


def test_a_read_only_store_refuses_writes(tmp_path: Path, index):
    spec, by_doc = index
    with EdgeStore(tmp_path / "vectors") as s:
        s.ensure_collection(spec)
        s.replace_document("pak-ptpa-2018", by_doc["pak-ptpa-2018"])
    with EdgeStore(tmp_path / "vectors", read_only=True) as ro:
        assert ro.count() == len(by_doc["pak-ptpa-2018"])
        with pytest.raises(StoreError, match="read-only"):
            ro.delete_document("pak-ptpa-2018")
    with EdgeStore(tmp_path / "empty", read_only=True) as ro, pytest.raises(StoreError, match="no vector index"):
        ro.ensure_collection(spec)


# -- edge only -----------------------------------------------------------------------------------


def test_an_edge_store_reopened_from_disk_keeps_its_points_and_spec(tmp_path: Path, index):
    spec, by_doc = index
    with EdgeStore(tmp_path / "vectors") as s:
        s.ensure_collection(spec)
        fill(s, {d: by_doc[d] for d in ("pak-ptpa-2018", "nld-sr-titel-xviii-273f")})
        before = [h.id for h in s.query(everything())]
    with EdgeStore(tmp_path / "vectors") as s:
        assert s.spec() == spec
        assert s.document_ids() == {"pak-ptpa-2018", "nld-sr-titel-xviii-273f"}
        assert s.count("nld-sr-titel-xviii-273f") == len(by_doc["nld-sr-titel-xviii-273f"])
        assert [h.id for h in s.query(everything())] == before
        other = spec.model_copy(update={"encoders": {DENSE: "another@1"}})
        with pytest.raises(SpecMismatchError):
            s.ensure_collection(other)


def test_edge_stores_in_one_process_share_the_open_shard(tmp_path: Path, index):
    spec, by_doc = index
    a = EdgeStore(tmp_path / "vectors")
    a.ensure_collection(spec)
    b = EdgeStore(tmp_path / "vectors")  # would fail inside qdrant-edge if it loaded the shard again
    a.replace_document("pak-ptpa-2018", by_doc["pak-ptpa-2018"])
    assert b.count() == len(by_doc["pak-ptpa-2018"])
    a.close()
    assert b.count() == len(by_doc["pak-ptpa-2018"])  # still open: b holds it
    b.close()
    with pytest.raises(StoreError, match="closed"):
        b.count("pak-ptpa-2018")


HOLDER = """
import sys
from pathlib import Path
from kb.store.edge import EdgeStore
store = EdgeStore(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.read()
store.close()
"""


def _holder(path: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_second_process_is_told_which_process_holds_the_edge_store(tmp_path: Path, index):
    spec, _ = index
    with EdgeStore(tmp_path / "vectors") as s:
        s.ensure_collection(spec)
    proc = _holder(tmp_path / "vectors")
    try:
        with pytest.raises(StoreError) as caught:
            EdgeStore(tmp_path / "vectors")
        message = str(caught.value)
        assert f"process {proc.pid}" in message
        assert "CTKB_QDRANT_URL" in message
    finally:
        proc.communicate("", timeout=30)
    with EdgeStore(tmp_path / "vectors") as s:  # released on close
        assert s.spec() == spec


def test_the_edge_lock_dies_with_its_process(tmp_path: Path, index):
    spec, by_doc = index
    with EdgeStore(tmp_path / "vectors") as s:
        s.ensure_collection(spec)
        s.replace_document("pak-ptpa-2018", by_doc["pak-ptpa-2018"])
    proc = _holder(tmp_path / "vectors")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with EdgeStore(tmp_path / "vectors") as s:
        assert s.count() == len(by_doc["pak-ptpa-2018"])


# -- choosing the engine ---------------------------------------------------------------------------


def test_open_store_uses_the_server_engine_when_a_url_is_set_and_edge_otherwise(tmp_path: Path):
    server = open_store(Settings(home=tmp_path, qdrant_url=":memory:", collection="c1"))
    assert isinstance(server, ServerStore) and server.collection == "c1"
    server.close()
    edge = open_store(Settings(home=tmp_path))
    assert isinstance(edge, EdgeStore) and edge.path == (tmp_path / "vectors" / "ctkb_chunks").resolve()
    edge.close()


def test_settings_read_the_qdrant_variables_from_the_environment():
    s = Settings.from_env({"CTKB_QDRANT_SHARDS": "3", "CTKB_QDRANT_REPLICATION": "2", "CTKB_COLLECTION": "laws"})
    assert (s.qdrant_shards, s.qdrant_replication, s.collection) == (3, 2, "laws")
    d = Settings.from_env({})
    assert (d.qdrant_shards, d.qdrant_replication, d.collection) == (1, 1, "ctkb_chunks")
