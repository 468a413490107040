"""Rubric loading: strict validation with the place of each problem, and cue matching."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb.cues import CueMatcher
from kb.rubric import RubricError, load_rubric

# A fictional two-criterion rubric, written for these tests.
BASE = {
    "version": 1,
    "name": "fictional",
    "pillars": {"protection": "Protection", "prosecution": "Prosecution"},
    "criteria": [
        {
            "id": "PRT-03", "pillar": "protection", "title": "Non-punishment", "present": "p", "partial": "q",
            "queries": {"en": ["victims not punished"], "es": ["no punibilidad de las víctimas"]},
            "exemplars": {"en": ["A victim shall not be punished for offences committed as a consequence."]},
            "cues": {"positive": [{"id": "not punished", "phrases": ["victim* ~ not ~ punish*", "no son punible*"]}],
                     "negative": [{"id": "purpose", "languages": ["en"], "phrases": ["objects of this act"]}]},
        },
        {
            "id": "PRS-05", "pillar": "prosecution", "title": "Penalties", "present": "p", "partial": "q",
            "queries": {"en": ["imprisonment for trafficking"]},
            "signals": {"modality": False, "penalty": {"min_max_years": 5}},
        },
    ],
}


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def variant(**changes) -> dict:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    for dotted, value in changes.items():
        target = data
        *parents, last = dotted.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is None:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return data


def test_a_valid_rubric_loads_with_its_checksum(tmp_path: Path) -> None:
    rubric = load_rubric(write(tmp_path, BASE))
    assert rubric.ids == ["PRT-03", "PRS-05"]
    assert len(rubric.checksum) == 64
    assert rubric.criterion("PRS-05").signals.penalty.min_max_years == 5


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        ({"criteria__0__colour": "red"}, "criteria -> 0 -> colour", "Extra inputs are not permitted"),
        ({"criteria__1__id": None}, "criteria -> 1 -> id", "Field required"),
        ({"criteria__1__id": "PRT-03"}, "criteria -> 1 -> id", "already used by criteria -> 0"),
        ({"criteria__1__pillar": "policy"}, "criteria -> 1 -> pillar", "not one of"),
        ({"criteria__0__cues__positive__0__languages": ["english"]},
         "criteria -> 0 -> cues -> positive -> 0 -> languages", "not language codes"),
        ({"criteria__0__cues__positive__0__pattern": [{"LOWR": "x"}]},
         "criteria -> 0 -> cues -> positive -> 0 -> pattern", "bad cue pattern"),
        ({"criteria__0__queries": {"english": ["x"]}}, "criteria -> 0 -> queries", "not a language code"),
    ],
)
def test_a_malformed_rubric_is_rejected_with_the_place_of_the_problem(tmp_path, changes, where, message) -> None:
    with pytest.raises(RubricError) as info:
        load_rubric(write(tmp_path, variant(**changes)))
    assert f"[{where}]" in str(info.value)
    assert message in str(info.value)
    assert info.value.where == where


def test_a_rubric_missing_a_criterion_of_the_standard_is_rejected(tmp_path: Path) -> None:
    standard = tmp_path / "standard.yaml"
    standard.write_text(yaml.safe_dump({"criteria": [{"id": "PRT-03", "pillar": "protection"},
                                                      {"id": "PRS-05", "pillar": "prosecution"},
                                                      {"id": "PRN-01", "pillar": "partnerships"}]}))
    with pytest.raises(RubricError, match="missing criteria of the standard: PRN-01"):
        load_rubric(write(tmp_path, BASE), standard=standard)


def test_cues_match_folded_words_prefixes_and_gaps(tmp_path: Path) -> None:
    rubric = load_rubric(write(tmp_path, BASE))
    texts = ["A victim shall not be punished for it.", "Las victimas no son punibles.", "The objects of this Act."]
    en = CueMatcher(rubric).match(texts, [None] * 3, "en")
    es = CueMatcher(rubric).match(texts, [None] * 3, "es")
    assert en[0].of("PRT-03", "positive") == {"not punished"}
    assert es[1].of("PRT-03", "positive") == {"not punished"}  # "víctima" folded, "punible*" prefix
    assert en[2].of("PRT-03", "negative") == {"purpose"}
    assert es[2].of("PRT-03", "negative") == set()  # an English-only cue does not apply to Spanish


def test_a_phrase_wrapped_over_two_lines_still_matches_with_offsets_into_the_original(tmp_path: Path) -> None:
    rubric = load_rubric(write(tmp_path, BASE))
    text = "Section 9.\nA victim shall\n   not  be\tpunished for it."
    hit = CueMatcher(rubric).match([text], [None], "en")[0]
    assert hit.of("PRT-03", "positive") == {"not punished"}
    (start, end), = hit.spans["PRT-03"]
    assert text[start:end].startswith("victim") and text[start:end].endswith("punished")


REPO = Path(__file__).resolve().parent.parent
CORE_LANGUAGES = {"en", "es", "fr", "pt", "ar"}


@pytest.fixture(scope="module")
def shipped(corpus_dir: Path):
    standard = corpus_dir.parent / "rubric" / "4p-criteria.yaml"
    assert standard.is_file(), f"the criteria standard is expected at {standard}"
    return load_rubric(REPO / "rubrics" / "4p.yaml", standard=standard), yaml.safe_load(standard.read_text())


def test_the_shipped_rubric_implements_every_criterion_of_the_standard_with_its_meaning(shipped) -> None:
    rubric, standard = shipped
    assert rubric.ids == [c["id"] for c in standard["criteria"]]
    for c, s in zip(rubric.criteria, standard["criteria"]):
        assert (c.pillar, c.title, c.present, c.partial, c.legal_basis) == (
            s["pillar"], s["title"], s["present"], s["partial"], s["legal_basis"])


def test_every_criterion_has_queries_exemplars_and_positive_cues_in_the_core_languages(shipped) -> None:
    rubric, _ = shipped
    for c in rubric.criteria:
        assert CORE_LANGUAGES <= set(c.queries), c.id
        assert CORE_LANGUAGES <= set(c.exemplars), c.id
        cue_langs = {lang for cue in c.cues.positive for lang in cue.languages}
        assert "any" in cue_langs or CORE_LANGUAGES <= cue_langs, (c.id, cue_langs)
