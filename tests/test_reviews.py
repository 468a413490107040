"""Advisor reviews in a real catalogue, on synthetic machine rows.

Every row here is hand-made (countries ``XAA``/``XBB``, criteria ``TST-01``..., provisions
``doc-a-p1``..., reviewers ``Advisor One``...): the tests exercise storage, the audit log and
how reviews meet later runs, not the scorer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kb.reviews as reviews_module
from kb.catalog import Catalog
from kb.errors import CtkbError, NotFoundError
from kb.reviews import Review, ReviewStore, apply_reviews
from kb.scoring.models import CountryScore, Evidence


def _evidence(number: str, doc_id: str = "doc-a") -> Evidence:
    return Evidence(
        provision_id=f"{doc_id}-p{number}", doc_id=doc_id, number=number, citation=f"Section {number}",
        snippet="synthetic passage", probability=0.9,
    )


def _row(country: str = "XAA", criterion: str = "TST-01", level: str = "present",
         evidence: list[str] | None = None) -> CountryScore:
    if evidence is None:
        evidence = [] if level == "absent" else ["1"]
    return CountryScore(
        country=country, criterion=criterion, pillar="prevention", title="Synthetic criterion", level=level,
        confidence=0.8, language="en", best_doc_id=None if level == "absent" else "doc-a",
        evidence=[_evidence(n) for n in evidence], rests_on=["doc-a"],
    )


def _save(store: ReviewStore, machine: CountryScore, level: str | None = None, evidence: list[str] | None = None,
          reviewer: str = "Advisor One", comment: str = "Checked against the synthetic text.",
          run_id: str = "r-synthetic-1") -> Review:
    return store.save(
        machine.country, machine.criterion, machine=machine, run_id=run_id, reviewer=reviewer, comment=comment,
        level=machine.level if level is None else level,
        evidence=[e.provision_id for e in machine.evidence] if evidence is None else evidence,
    )


def _count(store: ReviewStore, table: str) -> int:
    return store._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    return ReviewStore(Catalog(tmp_path / "catalog.sqlite"))


# -- confirm, override, audit --------------------------------------------------------


def test_a_review_equal_to_the_machine_is_a_confirmation(store: ReviewStore) -> None:
    review = _save(store, _row(evidence=["1", "2"]), evidence=["doc-a-p2", "doc-a-p1"])
    assert review.action == "confirm"
    assert review.machine_level == "present" and review.machine_evidence == ["doc-a-p1", "doc-a-p2"]


def test_a_different_level_or_different_evidence_is_an_override(store: ReviewStore) -> None:
    by_level = _save(store, _row(criterion="TST-01"), level="partial")
    by_evidence = _save(store, _row(criterion="TST-02"), evidence=["doc-a-p9"])
    assert by_level.action == "override" and by_level.level == "partial"
    assert by_evidence.action == "override" and by_evidence.evidence == ["doc-a-p9"]


def test_the_comment_and_reviewer_are_stored_stripped(store: ReviewStore) -> None:
    review = _save(store, _row(), reviewer="  Advisor One ", comment="\tSection 1 covers it.\n")
    assert (review.reviewer, review.comment) == ("Advisor One", "Section 1 covers it.")


def test_the_audit_log_says_who_when_what_before_and_after(store: ReviewStore) -> None:
    review = _save(store, _row(), level="partial", comment="Only part of the measure.")
    [entry] = store.audit()
    assert (entry.reviewer, entry.country, entry.criterion) == ("Advisor One", "XAA", "TST-01")
    assert entry.action == "override"
    assert entry.at == review.created_at and entry.at.endswith("+00:00")
    assert entry.before is None and entry.after == review.model_dump()
    assert entry.comment == "Only part of the measure."


def test_a_second_review_records_the_first_as_before_and_replaces_it(store: ReviewStore) -> None:
    machine = _row()
    first = _save(store, machine, level="partial")
    second = _save(store, machine, reviewer="Advisor Two", comment="Section 1 does cover it.")
    newest, oldest = store.audit()
    assert newest.before == first.model_dump() and newest.after == second.model_dump()
    assert oldest.after == first.model_dump()
    assert store.current() == {("XAA", "TST-01"): second}


def test_withdrawing_a_review_removes_it_and_logs_what_it_was(store: ReviewStore) -> None:
    review = _save(store, _row())
    store.withdraw("XAA", "TST-01", reviewer="Advisor Two", comment="Reviewed the wrong law.")
    assert store.current() == {}
    entry = store.audit()[0]
    assert (entry.action, entry.reviewer, entry.before, entry.after) == (
        "withdraw", "Advisor Two", review.model_dump(), None)


def test_withdrawing_a_cell_with_no_review_is_not_found_and_lists_the_reviewed_cells(store: ReviewStore) -> None:
    _save(store, _row(criterion="TST-02"))
    with pytest.raises(NotFoundError, match="TST-01") as caught:
        store.withdraw("XAA", "TST-01", reviewer="Advisor One", comment="Nothing to withdraw.")
    assert caught.value.options == ["XAA TST-02"]
    with pytest.raises(NotFoundError, match="nothing to withdraw"):
        store.withdraw("XBB", "TST-01", reviewer="Advisor One", comment="Nothing to withdraw.")
    assert _count(store, "review_audit") == 1


def test_current_and_audit_filter_by_country_and_criterion(store: ReviewStore) -> None:
    _save(store, _row(country="XAA", criterion="TST-01"))
    _save(store, _row(country="XAA", criterion="TST-02"))
    _save(store, _row(country="XBB", criterion="TST-01"))
    assert list(store.current("XAA")) == [("XAA", "TST-01"), ("XAA", "TST-02")]
    assert [(e.country, e.criterion) for e in store.audit(criterion="TST-01")] == [("XBB", "TST-01"), ("XAA", "TST-01")]
    assert [e.criterion for e in store.audit(country="XAA", criterion="TST-02")] == ["TST-02"]


def test_the_audit_log_cannot_be_rewritten(store: ReviewStore) -> None:
    _save(store, _row())
    with pytest.raises(Exception, match="append-only"):
        store._db.execute("UPDATE review_audit SET reviewer='someone else'")
    with pytest.raises(Exception, match="append-only"):
        store._db.execute("DELETE FROM review_audit")


# -- transactions and persistence ----------------------------------------------------


def _failing(*args: object) -> tuple:
    """Stands in for the audit row, which is built after the review is written."""
    raise RuntimeError("synthetic failure after the review was written")


def test_a_failure_mid_save_leaves_no_review_and_no_audit_row(
    store: ReviewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reviews_module, "_audit_row", _failing)
    with pytest.raises(RuntimeError, match="synthetic failure"):
        _save(store, _row())
    assert _count(store, "reviews") == 0 and _count(store, "review_audit") == 0


def test_a_failed_second_save_keeps_the_first_review_whole(
    store: ReviewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _save(store, _row())
    monkeypatch.setattr(reviews_module, "_audit_row", _failing)
    with pytest.raises(RuntimeError, match="synthetic failure"):
        _save(store, _row(), level="absent", evidence=[])
    assert store.current() == {("XAA", "TST-01"): first}
    assert len(store.audit()) == 1


def test_reviews_read_back_the_same_after_reopening_the_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path)
    store = ReviewStore(catalog)
    _save(store, _row(criterion="TST-01"), level="partial")
    _save(store, _row(criterion="TST-02"))
    store.withdraw("XAA", "TST-02", reviewer="Advisor One", comment="Withdrawn.")
    before, log = store.current(), store.audit()
    catalog.close()

    reopened = ReviewStore(Catalog(path))
    assert reopened.current() == before and reopened.audit() == log


# -- validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"comment": "   "}, "comment"),
        ({"reviewer": ""}, "reviewer"),
        ({"level": "mostly"}, "level"),
        ({"level": "absent", "evidence": ["doc-a-p1"]}, "evidence"),
    ],
)
def test_an_invalid_review_names_the_field_and_writes_nothing(
    store: ReviewStore, change: dict, field: str
) -> None:
    args = {"level": "present", "evidence": ["doc-a-p1"], "comment": "Fine.", "reviewer": "Advisor One"} | change
    with pytest.raises(CtkbError, match=rf"TST-01: {field}: ") as caught:
        store.save("XAA", "TST-01", machine=_row(), run_id="r-synthetic-1", **args)
    assert caught.value.hint
    assert _count(store, "reviews") == 0 and _count(store, "review_audit") == 0


def test_a_machine_row_of_another_cell_is_refused(store: ReviewStore) -> None:
    with pytest.raises(CtkbError, match="machine row"):
        store.save("XAA", "TST-02", machine=_row(criterion="TST-01"), run_id="r", level="present",
                   evidence=[], comment="Fine.", reviewer="Advisor One")
    assert _count(store, "reviews") == 0


def test_a_withdrawal_without_a_comment_is_refused_and_keeps_the_review(store: ReviewStore) -> None:
    _save(store, _row())
    with pytest.raises(CtkbError, match="comment"):
        store.withdraw("XAA", "TST-01", reviewer="Advisor One", comment=" ")
    assert len(store.current()) == 1 and len(store.audit()) == 1


# -- reviews meet a new run ----------------------------------------------------------


def test_an_override_survives_a_new_run_with_the_same_machine_score(store: ReviewStore) -> None:
    _save(store, _row(), level="partial", run_id="r-synthetic-1")
    [cell] = apply_reviews([_row()], store.current())  # rescored: a fresh but equal row
    assert cell.level == "partial" and cell.reviewed and not cell.needs_rereview
    assert cell.machine.level == "present" and cell.review is not None and cell.review.run_id == "r-synthetic-1"


def test_a_new_run_that_changes_the_machine_level_flags_the_cell_for_rereview(store: ReviewStore) -> None:
    _save(store, _row(), level="partial")
    [cell] = apply_reviews([_row(level="absent")], store.current())
    assert cell.level == "partial" and cell.needs_rereview


def test_a_new_run_that_changes_the_machine_evidence_flags_the_cell_for_rereview(store: ReviewStore) -> None:
    _save(store, _row(evidence=["1"]))
    [cell] = apply_reviews([_row(evidence=["2"])], store.current())
    assert cell.level == "present" and cell.needs_rereview


def test_reordered_machine_evidence_is_not_a_change(store: ReviewStore) -> None:
    _save(store, _row(evidence=["1", "2"]))
    [cell] = apply_reviews([_row(evidence=["2", "1"])], store.current())
    assert not cell.needs_rereview


def test_an_unreviewed_cell_shows_the_machine_level(store: ReviewStore) -> None:
    _save(store, _row(criterion="TST-01"), level="absent", evidence=[])
    cells = apply_reviews([_row(criterion="TST-01"), _row(criterion="TST-02", level="partial")], store.current())
    assert [(c.criterion, c.level, c.reviewed, c.needs_rereview) for c in cells] == [
        ("TST-01", "absent", True, False), ("TST-02", "partial", False, False)]
    assert cells[1].review is None


# -- property: the log and the current reviews agree with the operations ------------

CELLS = [("XAA", "TST-01"), ("XAA", "TST-02"), ("XBB", "TST-01")]
save_op = st.tuples(
    st.just("save"), st.sampled_from(CELLS), st.sampled_from(["absent", "partial", "present"]),
    st.lists(st.sampled_from(["1", "2", "3"]), max_size=3, unique=True),
    st.sampled_from(["Advisor One", "Advisor Two"]),
)
withdraw_op = st.tuples(st.just("withdraw"), st.sampled_from(CELLS))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.one_of(save_op, withdraw_op), max_size=12))
def test_the_audit_log_counts_every_change_and_current_is_the_last_save_per_cell(ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "catalog.sqlite")
        store = ReviewStore(catalog)
        expected: dict[tuple[str, str], Review] = {}
        applied = 0
        for op in ops:
            cell = op[1]
            if op[0] == "save":
                _, _, level, numbers, reviewer = op
                machine = _row(*cell, level="present", evidence=["1"])
                evidence = [] if level == "absent" else [f"doc-a-p{n}" for n in numbers]
                expected[cell] = _save(store, machine, level=level, evidence=evidence, reviewer=reviewer)
                applied += 1
            elif cell in expected:
                store.withdraw(*cell, reviewer="Advisor One", comment="Withdrawn.")
                del expected[cell]
                applied += 1
            else:  # nothing to withdraw: refused, and the log does not grow
                with pytest.raises(NotFoundError):
                    store.withdraw(*cell, reviewer="Advisor One", comment="Withdrawn.")

        log = store.audit()
        assert len(log) == applied
        assert store.current() == dict(sorted(expected.items()))
        # Oldest first, each entry's before is the cell's previous after: the log is a chain.
        last: dict[tuple[str, str], dict | None] = {}
        for entry in reversed(log):
            key = (entry.country, entry.criterion)
            assert entry.before == last.get(key)
            last[key] = entry.after
        catalog.close()
