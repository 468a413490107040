"""Provisions side by side (kb.compare) on the fictional sample corpus, indexed and scored by the real CLI.

Which criteria are present where comes from the stored run; each test first states the levels
it relies on, so a change in the scorer shows up as a clear precondition failure.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import REPO

from kb.catalog import Catalog
from kb.compare import CSV_COLUMNS, compare, compare_csv, context, drafting_examples
from kb.cues import CueMatcher
from kb.errors import CtkbError, NotFoundError
from kb.rubric import Rubric, load_rubric
from kb.scoring.country import country_view
from kb.scoring.models import Score
from kb.scoring.runs import RunStore

XAA_DOC = "xaa-tip-act-2021"


@pytest.fixture(scope="module")
def catalog(sample_home: Path):
    cat = Catalog(sample_home / "catalog.sqlite")
    yield cat
    cat.close()


@pytest.fixture(scope="module")
def scores(catalog: Catalog) -> list[Score]:
    return RunStore(catalog).scores("t")


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(REPO / "rubrics" / "4p.yaml")


def _levels(scores: list[Score], criterion: str) -> dict[str, str]:
    return {s.country: s.level for s in scores if s.criterion == criterion}


def _top_level(catalog: Catalog, doc_id: str):
    return [p for p in catalog.provisions(doc_id) if p.parent_id is None]


def test_drafting_examples_leave_out_the_gap_country_and_use_only_present_scores(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    assert _levels(scores, "PRT-07") == {"XAA": "present", "XAB": "present", "XAC": "partial"}
    examples = drafting_examples(catalog, scores, rubric, "PRT-07", exclude_country="XAB")
    assert [e.country for e in examples] == ["XAA"]  # XAB is the gap, XAC only partial
    assert all(e.level == "present" for e in examples)
    best = next(s for s in scores if s.criterion == "PRT-07" and s.country == "XAA")
    assert [e.provision_id for e in examples] == [ev.provision_id for ev in best.evidence]


def test_drafting_examples_come_sorted_by_evidence_probability(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    assert _levels(scores, "PRS-01") == {"XAA": "present", "XAB": "present", "XAC": "present"}
    examples = drafting_examples(catalog, scores, rubric, "PRS-01", exclude_country=None)
    assert sorted(e.country for e in examples) == ["XAA", "XAB", "XAC"]
    probabilities = [e.probability for e in examples]
    assert probabilities == sorted(probabilities, reverse=True)
    assert [e.country for e in drafting_examples(catalog, scores, rubric, "PRS-01", exclude_country="xaa")] \
        == [e.country for e in examples if e.country != "XAA"]


def test_a_country_gives_one_document_first_and_its_other_documents_only_after_every_other_country(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    # The sample has one law per country: XAC's law is relabelled as a second law of XAA,
    # slightly weaker than XAA's own and stronger than XAB's.
    own = {s.country: s for s in scores if s.criterion == "PRS-01"}
    assert own["XAB"].evidence[0].probability < 0.86 < own["XAA"].evidence[0].probability
    second = own["XAC"].model_copy(update={
        "country": "XAA", "evidence": [own["XAC"].evidence[0].model_copy(update={"probability": 0.86})]})
    run = [*scores, second]

    examples = drafting_examples(catalog, run, rubric, "PRS-01", exclude_country="XAC")
    assert [(e.country, e.doc_id) for e in examples] == [
        ("XAA", XAA_DOC), ("XAB", "xab-ley-trata-2019"), ("XAA", "xac-loi-traite-2018")]
    limited = drafting_examples(catalog, run, rubric, "PRS-01", exclude_country="XAC", limit=2)
    assert [e.country for e in limited] == ["XAA", "XAB"]


def test_drafting_examples_are_empty_when_no_other_country_has_the_criterion_present(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    assert _levels(scores, "PRV-01") == {"XAA": "present", "XAB": "absent", "XAC": "absent"}
    assert drafting_examples(catalog, scores, rubric, "PRV-01", exclude_country="XAA") == []


def test_drafting_examples_of_an_unknown_criterion_list_the_rubric_ids(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    with pytest.raises(NotFoundError) as caught:
        drafting_examples(catalog, scores, rubric, "NOPE-01", exclude_country=None)
    assert "PRS-01" in caught.value.options


def test_examples_carry_the_whole_provision_from_the_catalogue_not_the_snippet(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    examples = drafting_examples(catalog, scores, rubric, "PRS-01", exclude_country=None)
    for e in examples:
        stored = next(p for p in _top_level(catalog, e.doc_id) if p.id == e.provision_id)
        assert e.text == stored.text and e.citation == stored.citation and not e.from_snippet
        assert e.title == catalog.document(e.doc_id).title and e.language == catalog.document(e.doc_id).language
    section3 = next(e for e in examples if e.country == "XAA")
    assert section3.citation == "Section 3" and "(3)" in section3.text  # subsections included


def test_highlights_are_spans_inside_the_text_that_match_a_positive_cue_on_their_own(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    columns = compare(catalog, scores, rubric, "PRS-01", ["XAA", "XAB", "XAC"])
    refs = [p for col in columns for p in col.provisions]
    assert {r.language for r in refs} == {"en", "es", "fr"}
    assert all(r.highlights for r in refs), "every language has PRS-01 cue wording in the sample"
    matcher = CueMatcher(rubric)
    for r in refs:
        assert r.highlights == sorted(r.highlights)
        for a, b in r.highlights:
            assert 0 <= a < b <= len(r.text)
            alone = matcher.match([r.text[a:b]], [None], r.language)[0]
            assert alone.spans.get("PRS-01"), f"{r.citation}: {r.text[a:b]!r} is not a cue match"


def test_compare_gives_a_column_per_country_in_the_order_asked_with_the_best_level(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    assert _levels(scores, "PRT-07") == {"XAA": "present", "XAB": "present", "XAC": "partial"}
    columns = compare(catalog, scores, rubric, "PRT-07", ["XAC", "xaa", "XAB"])
    assert [c.country for c in columns] == ["XAC", "XAA", "XAB"]
    view = country_view(scores, [("PRT-07", "protection", "t")])
    for col in columns:
        best = view[col.country][0]
        assert (col.level, col.confidence, col.language) == (best.level, best.confidence, best.language)
        assert col.documents == best.rests_on
        assert [p.provision_id for p in col.provisions] == [e.provision_id for e in best.evidence]
        assert all(p.doc_id == best.best_doc_id and p.level == col.level for p in col.provisions)
    assert columns[0].level == "partial" and columns[0].provisions


def test_compare_shows_no_provisions_for_a_country_where_the_criterion_is_absent(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    assert _levels(scores, "PRV-01")["XAB"] == "absent"
    columns = compare(catalog, scores, rubric, "PRV-01", ["XAA", "XAB"])
    assert columns[1].level == "absent" and columns[1].provisions == []
    assert columns[1].documents == ["xab-ley-trata-2019"]


@pytest.mark.parametrize("countries", [["XAA"], ["XAA", "XAB", "XAC", "XAD", "XAE", "XAF", "XAG"]])
def test_compare_rejects_fewer_than_two_or_more_than_six_countries_with_a_clear_message(
    catalog: Catalog, scores: list[Score], rubric: Rubric, countries: list[str]
) -> None:
    with pytest.raises(CtkbError) as caught:
        compare(catalog, scores, rubric, "PRS-01", countries)
    assert f"2 to 6 countries, not {len(countries)}" in caught.value.message
    assert "between 2 and 6" in caught.value.hint


def test_compare_rejects_a_country_listed_twice(catalog: Catalog, scores: list[Score], rubric: Rubric) -> None:
    with pytest.raises(CtkbError, match="listed twice: XAA"):
        compare(catalog, scores, rubric, "PRS-01", ["XAA", "xaa"])


def test_compare_names_the_countries_with_scores_when_one_has_none(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    with pytest.raises(CtkbError) as caught:
        compare(catalog, scores, rubric, "PRS-01", ["XAA", "ZMB"])
    assert "ZMB" in caught.value.message and caught.value.hint == "countries with scores: XAA, XAB, XAC"


def test_compare_of_an_unknown_criterion_lists_the_rubric_ids(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    with pytest.raises(NotFoundError) as caught:
        compare(catalog, scores, rubric, "PRS-99", ["XAA", "XAB"])
    assert caught.value.options == rubric.ids


def test_the_comparison_csv_round_trips_through_csv_reader_with_the_text_intact(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    columns = compare(catalog, scores, rubric, "PRT-07", ["XAA", "XAC"])
    tricky = 'He said, "stop";\nthen left — 50%, ü, \'quoted\'\r\nlast line,'
    columns[0].provisions[0] = columns[0].provisions[0].model_copy(update={"text": tricky})

    rows = list(csv.reader(io.StringIO(compare_csv(columns, "PRT-07 Assistance, shelter"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    expected = [(c, p) for c in columns for p in c.provisions]
    assert len(body) == len(expected)
    for row, (col, p) in zip(body, expected):
        assert row["criterion"] == "PRT-07 Assistance, shelter"
        assert (row["country"], row["level"], row["language"]) == (col.country, col.level, col.language)
        assert float(row["confidence"]) == pytest.approx(col.confidence)
        assert (row["document"], row["citation"], row["text"]) == (p.title, p.citation, p.text)
    assert body[0]["text"] == tricky


def test_the_comparison_csv_keeps_a_row_for_a_country_without_provisions(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    columns = compare(catalog, scores, rubric, "PRV-01", ["XAB", "XAA"])
    rows = list(csv.DictReader(io.StringIO(compare_csv(columns, "PRV-01"), newline="")))
    assert rows[0]["country"] == "XAB" and rows[0]["level"] == "absent" and rows[0]["text"] == ""
    assert [r["country"] for r in rows[1:]] == ["XAA"] * len(columns[1].provisions)


def test_context_gives_the_provision_with_its_neighbours_in_document_order(catalog: Catalog) -> None:
    tops = _top_level(catalog, XAA_DOC)
    around = context(catalog, tops[4].id)
    assert [r.provision_id for r in around] == [p.id for p in tops[3:6]]
    assert [r.focus for r in around] == [False, True, False]
    assert [r.text for r in around] == [p.text for p in tops[3:6]]
    assert [r.citation for r in context(catalog, tops[4].id, neighbours=2)] == [p.citation for p in tops[2:7]]
    assert [r.citation for r in context(catalog, tops[4].id, neighbours=0)] == [tops[4].citation]


def test_context_at_the_first_and_last_provision_shows_the_neighbours_there_are(catalog: Catalog) -> None:
    tops = _top_level(catalog, XAA_DOC)
    assert [r.provision_id for r in context(catalog, tops[0].id)] == [tops[0].id, tops[1].id]
    assert [r.provision_id for r in context(catalog, tops[-1].id)] == [tops[-2].id, tops[-1].id]
    assert [r.focus for r in context(catalog, tops[-1].id)] == [False, True]


def test_context_of_a_subsection_reads_its_whole_top_level_provision(catalog: Catalog) -> None:
    child = next(p for p in catalog.provisions(XAA_DOC) if p.citation == "Section 3(2)")
    around = context(catalog, child.id)
    assert [(r.citation, r.focus) for r in around] == [("Section 2", False), ("Section 3", True), ("Section 4", False)]


def test_context_highlights_a_criterion_when_asked(catalog: Catalog, rubric: Rubric) -> None:
    section3 = next(p for p in _top_level(catalog, XAA_DOC) if p.citation == "Section 3")
    plain = context(catalog, section3.id)
    marked = context(catalog, section3.id, rubric=rubric, criterion="PRS-01")
    assert all(r.highlights == [] for r in plain)
    assert next(r for r in marked if r.focus).highlights
    with pytest.raises(CtkbError, match="needs its rubric"):
        context(catalog, section3.id, criterion="PRS-01")


def test_context_of_an_unknown_provision_raises_not_found(catalog: Catalog) -> None:
    with pytest.raises(NotFoundError, match="no provision 'nope'"):
        context(catalog, "nope")


def test_evidence_the_catalogue_no_longer_holds_is_shown_from_the_run_snippet(
    catalog: Catalog, scores: list[Score], rubric: Rubric
) -> None:
    # Re-indexing changed content gives new provision ids; the stored run still names the old one.
    xaa = next(s for s in scores if s.criterion == "PRV-01" and s.country == "XAA")
    stale = xaa.model_copy(update={"evidence": [xaa.evidence[0].model_copy(update={"provision_id": "gone"})]})
    columns = compare(catalog, [s for s in scores if s is not xaa] + [stale], rubric, "PRV-01", ["XAA", "XAB"])
    ref = columns[0].provisions[0]
    assert ref.from_snippet and ref.text == xaa.evidence[0].snippet and ref.citation == xaa.evidence[0].citation
