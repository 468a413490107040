"""Scoring runs in a real catalogue, and the country view, on synthetic scores.

Every score here is hand-made (documents ``doc-a``..., countries ``XAA``/``XBB``, criteria
``TST-01``...): the tests exercise storage and aggregation, not the scorer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kb.scoring.runs as runs_module
from kb.catalog import Catalog
from kb.errors import CtkbError, NotFoundError
from kb.scoring.country import country_view, pillar_summary
from kb.scoring.models import LEVELS, NOT_PROOF_OF_ABSENCE, CountryScore, Evidence, Run, Score
from kb.scoring.runs import RunStore, new_run_id

CRITERIA = [("TST-01", "prevention", "Synthetic one"), ("TST-02", "protection", "Synthetic two")]


def _evidence(doc_id: str, number: str) -> Evidence:
    return Evidence(
        provision_id=f"{doc_id}-p{number}", doc_id=doc_id, number=number, citation=f"Section {number}",
        snippet="synthetic passage", probability=0.9,
    )


def _score(
    doc_id: str = "doc-a", criterion: str = "TST-01", level: str = "present", confidence: float = 0.8,
    country: str = "XAA", evidence: list[str] | None = None,
) -> Score:
    if evidence is None:
        evidence = [] if level == "absent" else ["1"]
    pillar = dict((c, p) for c, p, _ in CRITERIA).get(criterion, "prevention")
    return Score(
        doc_id=doc_id, country=country, language="en", criterion=criterion, pillar=pillar, level=level,
        confidence=confidence, p_addressed=confidence, evidence=[_evidence(doc_id, n) for n in evidence],
    )


def _run(created_at: str = "2026-11-29T15:30:12+00:00", name: str | None = None, salt: str = "s") -> Run:
    return Run(
        id=new_run_id(created_at, salt), name=name, created_at=created_at, rubric_path="rubric.yaml",
        rubric_name="synthetic", rubric_checksum="r", criteria_checksum="c", calibration_checksum="k",
        models={"dense": "synthetic"}, pipeline_version="test",
    )


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(Catalog(tmp_path / "catalog.sqlite"))


def _count(store: RunStore, table: str) -> int:
    return store._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- ids ----------------------------------------------------------------------------


def test_a_run_id_reads_as_its_time_and_differs_by_salt() -> None:
    a = new_run_id("2026-11-29T15:30:12+00:00", "one")
    b = new_run_id("2026-11-29T15:30:12+00:00", "two")
    assert a.startswith("r20261129-153012-") and len(a) == len("r20261129-153012-3fa2")
    assert a != b
    assert a == new_run_id("2026-11-29T15:30:12+00:00", "one")


def test_a_run_time_that_is_not_iso_is_refused() -> None:
    with pytest.raises(CtkbError, match="ISO"):
        new_run_id("yesterday", "s")


# -- save, list, get ----------------------------------------------------------------


def test_a_saved_run_counts_its_scores_and_documents(store: RunStore) -> None:
    scores = [_score("doc-a", "TST-01"), _score("doc-a", "TST-02"), _score("doc-b", "TST-01")]
    saved = store.save(_run(name="baseline"), scores)
    assert (saved.scores, saved.documents) == (3, 2)
    assert store.get(saved.id) == saved
    assert store.scores(saved.id) == scores


def test_a_run_is_found_by_id_by_name_and_as_latest(store: RunStore) -> None:
    old = store.save(_run("2026-11-29T10:00:00+00:00", name="first"), [_score()])
    new = store.save(_run("2026-11-29T11:00:00+00:00", name="second"), [_score()])
    assert store.get(old.id) == old
    assert store.get("first") == old
    assert store.get("second") == new
    assert store.get("latest") == new
    assert [r.id for r in store.runs()] == [new.id, old.id]


def test_a_name_that_is_another_runs_id_does_not_hide_that_run(store: RunStore) -> None:
    first = store.save(_run("2026-11-29T10:00:00+00:00"), [_score()])
    impostor = store.save(_run("2026-11-29T11:00:00+00:00", name=first.id), [_score()])
    assert store.get(first.id) == first
    assert store.get(impostor.id) == impostor

def test_runs_started_in_the_same_second_list_the_last_saved_first(store: RunStore) -> None:
    one = store.save(_run(salt="1"), [_score()])
    two = store.save(_run(salt="2"), [_score()])
    assert [r.id for r in store.runs()] == [two.id, one.id]
    assert store.get("latest") == two


def test_an_unknown_run_names_the_runs_there_are(store: RunStore) -> None:
    saved = store.save(_run(name="baseline"), [_score()])
    with pytest.raises(NotFoundError) as info:
        store.get("nope")
    assert info.value.options == ["baseline", saved.id]
    assert saved.id in str(info.value) and "baseline" in str(info.value)


def test_asking_for_the_latest_run_before_any_says_to_score_first(store: RunStore) -> None:
    with pytest.raises(NotFoundError, match="score the documents first"):
        store.get("latest")


def test_scores_of_an_unknown_run_raise_rather_than_come_back_empty(store: RunStore) -> None:
    with pytest.raises(NotFoundError):
        store.scores("r20260101-000000-dead")


def test_scores_can_be_limited_to_some_documents(store: RunStore) -> None:
    scores = [_score("doc-a"), _score("doc-b"), _score("doc-c")]
    saved = store.save(_run(), scores)
    assert [s.doc_id for s in store.scores(saved.id, ["doc-c", "doc-a"])] == ["doc-a", "doc-c"]
    assert store.scores(saved.id, []) == []


def test_runs_survive_reopening_the_catalogue(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "catalog.sqlite")
    saved = RunStore(cat).save(_run(name="kept"), [_score()])
    cat.close()
    again = RunStore(Catalog(tmp_path / "catalog.sqlite"))
    assert again.get("kept") == saved
    assert again.scores("kept") == [_score()]


# -- refusals and atomicity ---------------------------------------------------------


def test_a_duplicate_name_is_refused_and_nothing_is_written(store: RunStore) -> None:
    store.save(_run("2026-11-29T10:00:00+00:00", name="baseline"), [_score()])
    with pytest.raises(CtkbError) as info:
        store.save(_run("2026-11-29T11:00:00+00:00", name="baseline"), [_score("doc-b"), _score("doc-c")])
    assert "--name" in info.value.hint
    assert (_count(store, "runs"), _count(store, "scores")) == (1, 1)


def test_the_name_latest_is_reserved(store: RunStore) -> None:
    with pytest.raises(CtkbError, match="reserved"):
        store.save(_run(name="latest"), [_score()])
    assert _count(store, "runs") == 0


def test_two_scores_for_the_same_pair_are_refused_before_writing(store: RunStore) -> None:
    with pytest.raises(CtkbError, match="doc-a TST-01"):
        store.save(_run(), [_score(), _score(confidence=0.4)])
    assert (_count(store, "runs"), _count(store, "scores")) == (0, 0)


def test_a_failure_midway_through_saving_leaves_no_partial_run(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = runs_module._score_row
    calls = []

    def failing(run_id: str, score: Score) -> tuple:
        calls.append(score.doc_id)
        if len(calls) == 3:
            raise RuntimeError("simulated crash while writing scores")
        return real(run_id, score)

    monkeypatch.setattr(runs_module, "_score_row", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        store.save(_run(name="broken"), [_score(f"doc-{i}") for i in range(5)])
    assert len(calls) == 3  # two scores had been written inside the transaction
    assert (_count(store, "runs"), _count(store, "scores")) == (0, 0)
    with pytest.raises(NotFoundError):
        store.get("broken")
    monkeypatch.setattr(runs_module, "_score_row", real)
    assert store.save(_run(name="broken"), [_score()]).scores == 1  # the name is free again


def test_a_second_run_leaves_the_first_untouched(store: RunStore) -> None:
    first_scores = [_score("doc-a", level="partial", confidence=0.6), _score("doc-b", level="absent")]
    first = store.save(_run("2026-11-29T10:00:00+00:00", name="first"), first_scores)
    store.save(_run("2026-11-29T11:00:00+00:00"), [_score("doc-a", level="present"), _score("doc-c")])
    assert store.get(first.id) == first
    assert store.scores(first.id) == first_scores


# -- diff ---------------------------------------------------------------------------


def _two_runs(store: RunStore, a: list[Score], b: list[Score]) -> tuple[Run, Run]:
    return (
        store.save(_run("2026-11-29T10:00:00+00:00", name="a"), a),
        store.save(_run("2026-11-29T11:00:00+00:00", name="b"), b),
    )


def test_a_diff_finds_level_changes_with_both_sides(store: RunStore) -> None:
    _two_runs(store, [_score(level="partial", confidence=0.6)], [_score(level="present", evidence=["2"])])
    diff = store.diff("a", "b")
    [change] = diff.changes
    assert change.kind == "level"
    assert (change.level_a, change.level_b) == ("partial", "present")
    assert (change.confidence_a, change.confidence_b) == (0.6, 0.8)
    assert (change.evidence_a, change.evidence_b) == (["Section 1"], ["Section 2"])
    assert diff.unchanged == 0


def test_a_diff_reports_new_evidence_at_the_same_level(store: RunStore) -> None:
    _two_runs(store, [_score(evidence=["1", "2"])], [_score(evidence=["1", "3"])])
    [change] = store.diff("a", "b").changes
    assert change.kind == "evidence"
    assert change.level_a == change.level_b == "present"


def test_a_diff_ignores_confidence_alone_and_evidence_reordering(store: RunStore) -> None:
    _two_runs(store, [_score(confidence=0.7, evidence=["1", "2"])], [_score(confidence=0.9, evidence=["2", "1"])])
    diff = store.diff("a", "b")
    assert diff.changes == [] and diff.unchanged == 1


def test_a_diff_reports_added_and_removed_pairs_and_counts_the_rest(store: RunStore) -> None:
    kept = [_score("doc-a", "TST-01"), _score("doc-a", "TST-02", level="absent")]
    _two_runs(store, [*kept, _score("doc-old")], [*kept, _score("doc-new", level="absent")])
    diff = store.diff("a", "latest")
    assert diff.a.name == "a" and diff.b.name == "b"
    assert [(c.doc_id, c.kind, c.level_a, c.level_b) for c in diff.changes] == [
        ("doc-old", "removed", "present", None),
        ("doc-new", "added", None, "absent"),
    ]
    assert diff.changes[0].evidence_b == [] and diff.changes[1].confidence_a is None
    assert diff.unchanged == 2


def test_a_run_diffed_with_itself_has_no_changes(store: RunStore) -> None:
    saved = store.save(_run(), [_score("doc-a"), _score("doc-b", level="absent")])
    diff = store.diff(saved.id, saved.id)
    assert diff.changes == [] and diff.unchanged == 2


# -- country view -------------------------------------------------------------------


def test_a_country_takes_the_best_level_across_its_documents(store: RunStore) -> None:
    scores = [
        _score("doc-a", "TST-01", level="partial", confidence=0.95),
        _score("doc-b", "TST-01", level="present", confidence=0.55, evidence=["7"]),
        _score("doc-c", "TST-01", level="absent", confidence=0.99),
        _score("doc-x", "TST-01", level="absent", country="XBB"),
    ]
    view = country_view(scores, CRITERIA)
    assert list(view) == ["XAA", "XBB"]
    [row] = view["XAA"]
    assert (row.level, row.best_doc_id, row.confidence) == ("present", "doc-b", 0.55)
    assert [e.citation for e in row.evidence] == ["Section 7"]
    assert row.rests_on == ["doc-a", "doc-b", "doc-c"]
    assert (row.pillar, row.title) == ("prevention", "Synthetic one")
    assert view["XBB"][0].rests_on == ["doc-x"]


def test_a_tie_in_level_goes_to_the_more_confident_document() -> None:
    scores = [
        _score("doc-a", level="partial", confidence=0.6, evidence=["1"]),
        _score("doc-b", level="partial", confidence=0.7, evidence=["2"]),
    ]
    [row] = country_view(scores, CRITERIA)["XAA"]
    assert (row.best_doc_id, row.confidence, row.evidence[0].citation) == ("doc-b", 0.7, "Section 2")


def test_absent_everywhere_names_no_document_and_keeps_the_caveat() -> None:
    scores = [
        _score("doc-a", "TST-02", level="absent", confidence=0.6),
        _score("doc-b", "TST-02", level="absent", confidence=0.9),
        _score("doc-b", "TST-01", level="present"),
    ]
    rows = {r.criterion: r for r in country_view(scores, CRITERIA)["XAA"]}
    assert list(rows) == ["TST-01", "TST-02"]  # rubric order
    absent = rows["TST-02"]
    assert (absent.level, absent.best_doc_id, absent.evidence) == ("absent", None, [])
    assert absent.confidence == 0.9  # the most confident "not found"
    assert absent.caveat == NOT_PROOF_OF_ABSENCE
    assert absent.rests_on == ["doc-a", "doc-b"]


def test_criteria_nobody_scored_are_left_out_not_shown_absent() -> None:
    rows = country_view([_score("doc-a", "TST-02")], CRITERIA)["XAA"]
    assert [r.criterion for r in rows] == ["TST-02"]


def _cs(criterion: str, pillar: str, level: str) -> CountryScore:
    return CountryScore(
        country="XAA", criterion=criterion, pillar=pillar, title=criterion, level=level, confidence=0.5, language="en",
        best_doc_id=None if level == "absent" else "doc-a", rests_on=["doc-a"],
    )


def test_pillar_summary_weighs_present_partial_and_absent() -> None:
    rows = [
        _cs("TST-01", "prevention", "present"),
        _cs("TST-02", "prevention", "partial"),
        _cs("TST-03", "prevention", "absent"),
        _cs("TST-04", "protection", "absent"),
    ]
    summary = pillar_summary(rows, {"TST-01": 1.0, "TST-02": 2.0, "TST-03": 1.0})
    assert summary == {"prevention": pytest.approx((1.0 + 2.0 * 0.5) / 4.0), "protection": 0.0}
    assert pillar_summary(rows, {})["prevention"] == pytest.approx(0.5)  # unlisted criteria weigh 1


def test_pillar_summary_refuses_a_weight_that_is_not_positive() -> None:
    with pytest.raises(CtkbError, match="not positive"):
        pillar_summary([_cs("TST-01", "prevention", "present")], {"TST-01": 0.0})


# -- properties ---------------------------------------------------------------------

_doc_scores = st.lists(
    st.tuples(
        st.sampled_from(["doc-a", "doc-b", "doc-c", "doc-d"]),
        st.sampled_from(["TST-01", "TST-02"]),
        st.sampled_from(LEVELS),
        st.floats(0, 1),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda t: (t[0], t[1]),
)


@given(_doc_scores)
def test_a_country_level_is_never_worse_than_any_of_its_documents(rows: list[tuple]) -> None:
    scores = [_score(doc, crit, level=level, confidence=conf) for doc, crit, level, conf in rows]
    view = {r.criterion: r for r in country_view(scores, CRITERIA)["XAA"]}
    for s in scores:
        row = view[s.criterion]
        assert LEVELS.index(row.level) >= LEVELS.index(s.level)
        if row.level == s.level:
            assert row.confidence >= s.confidence
        assert s.doc_id in row.rests_on
        if row.best_doc_id is not None:
            assert row.best_doc_id in row.rests_on and row.level != "absent"


@given(_doc_scores, st.dictionaries(st.sampled_from(["TST-01", "TST-02"]), st.floats(0.01, 10)))
def test_pillar_coverage_stays_between_zero_and_one(rows: list[tuple], weights: dict[str, float]) -> None:
    scores = [_score(doc, crit, level=level, confidence=conf) for doc, crit, level, conf in rows]
    summary = pillar_summary(country_view(scores, CRITERIA)["XAA"], weights)
    assert summary and all(0.0 <= v <= 1.0 for v in summary.values())
