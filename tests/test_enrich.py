"""Tests for indexing.enrich: definitions, penalties and cross-references.

Unit tests use short FICTIONAL texts written for these tests (no corpus excerpts).
The acceptance tests read the real corpus from $CTKB_CORPUS through
prepare() + segment() and compare extracted maxima with values read by hand.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from indexing.enrich import VERSION, Enricher
from kb.models import Penalty, Provision, Segmentation

ENRICHER = Enricher()


def provision(text: str, *, language: str = "en", number: str = "1", offset: int = 0,
              pid: str = "p", parent: str | None = None) -> Provision:
    return Provision(
        id=pid, doc_id="fictional", kind="section" if parent is None else "subsection",
        label=number, number=number, citation=f"Section {number}", text=text,
        start=offset, end=offset + len(text), language=language, parent_id=parent,
    )


def enrich_one(text: str, language: str = "en", number: str = "1") -> Provision:
    seg = Segmentation(provisions=[provision(text, language=language, number=number)])
    return ENRICHER.enrich(seg, language).provisions[0]


def only_penalty(text: str, language: str = "en") -> Penalty:
    penalties = enrich_one(text, language).penalties
    assert len(penalties) == 1, penalties
    return penalties[0]


# --- API -----------------------------------------------------------------------
def test_version_names_the_stage():
    assert VERSION == "enrich@1"


def test_constructing_an_enricher_builds_no_pipeline():
    assert Enricher()._rules == {}


def test_pipelines_are_built_once_per_language_and_cached():
    enricher = Enricher()
    assert enricher.rules("en") is enricher.rules("en")


def test_a_language_spacy_lacks_falls_back_to_the_multilingual_tokenizer():
    assert Enricher().rules("zz").nlp.lang == "xx"


def test_enrich_returns_a_copy_and_leaves_the_input_untouched():
    seg = Segmentation(provisions=[provision("Fictional: liable to imprisonment for 3 years.")])
    out = ENRICHER.enrich(seg, "en")
    assert seg.provisions[0].penalties == []
    assert out.provisions[0].penalties[0].imprisonment_max_years == 3


def test_offsets_are_absolute_and_slice_the_document_text():
    doc_text = "Front matter. " + 'Fictional. "child" means a young person. See section 4. Liable to a fine of 500 dollars.'
    start = len("Front matter. ")
    p = provision(doc_text[start:], offset=start)
    out = ENRICHER.enrich(Segmentation(provisions=[p]), "en").provisions[0]
    for item in [*out.definitions, *out.penalties, *out.cross_refs]:
        assert item.start >= start
        assert doc_text[item.start:item.end].startswith(item.text if hasattr(item, "text") else "\"child\"")
    assert doc_text[out.cross_refs[0].start:out.cross_refs[0].end] == "section 4"
    assert doc_text[out.penalties[0].start:out.penalties[0].end] == out.penalties[0].text


def test_a_parent_lists_the_items_of_its_children_and_a_child_only_its_own():
    text = "5. Fictional offence. (1) Liable to imprisonment for 2 years. (2) Liable to imprisonment for 9 years."
    parent = provision(text, number="5", pid="s5")
    i1, i2 = text.index("(1)"), text.index("(2)")
    c1 = provision(text[i1:i2 - 1], number="5", offset=i1, pid="s5-1", parent="s5")
    c2 = provision(text[i2:], number="5", offset=i2, pid="s5-2", parent="s5")
    out = ENRICHER.enrich(Segmentation(provisions=[parent, c1, c2]), "en").provisions
    assert [x.imprisonment_max_years for x in out[0].penalties] == [2, 9]
    assert [x.imprisonment_max_years for x in out[1].penalties] == [2]
    assert [x.imprisonment_max_years for x in out[2].penalties] == [9]


# --- penalties ------------------------------------------------------------------
@pytest.mark.parametrize("text, low, high", [
    ("Fictional: liable on conviction to imprisonment for fourteen years.", None, 14),
    ("Fictional: imprisoned not more than 20 years, or both.", None, 20),
    ("Fictional: liable to imprisonment for a term of not more than 14 years.", None, 14),
    ("Fictional: imprisonment for a term of not less than five years and not more than fifteen years.", 5, 15),
    ("Fictional: imprisonment for a term of not less than twenty-five years and not exceeding thirty-five years.", 25, 35),
    ("Fictional: punished with imprisonment which may extend to ten years and which shall not be less than two years.", 2, 10),
    ("Fictional: imprisonment for a term not exceeding six months.", None, 0.5),
    ("Fictional: the penalty of six (6) years and one (1) day to twelve (12) years of imprisonment.", 6.0027, 12),
])
def test_english_imprisonment_terms_become_years(text, low, high):
    p = only_penalty(text)
    assert p.imprisonment_min_years == low
    assert p.imprisonment_max_years == high


@pytest.mark.parametrize("text", [
    "Fictional: liable to imprisonment for life.",
    "Fictional: liable to life imprisonment.",
    "Fictional: imprisoned for any term of years or life, or both.",
    "Fictional: rigorous imprisonment for not less than seven years but may extend to life.",
])
def test_life_imprisonment_is_flagged(text):
    assert only_penalty(text).life


def test_a_minimum_without_a_unit_after_term_of_years_is_read():
    p = only_penalty("Fictional: a fine and imprisonment for any term of years not less than 15 or for life.")
    assert (p.imprisonment_min_years, p.life, p.fine) == (15, True, True)


def test_the_death_penalty_is_flagged_but_a_death_resulting_is_not():
    assert only_penalty("Fictional: the offender shall be punished with death or imprisonment for life.").death
    p = only_penalty("Fictional: if death results, the offender is liable to imprisonment for 30 years.")
    assert not p.death and p.imprisonment_max_years == 30


def test_an_age_is_not_a_term_of_imprisonment():
    p = only_penalty("Fictional: if the victim is under 16 years of age, to imprisonment for 12 years.")
    assert p.imprisonment_max_years == 12 and p.imprisonment_min_years is None


def test_fines_keep_the_largest_amount_and_the_currency():
    p = only_penalty("Fictional: liable to a fine of not less than two million shillings but not more than "
                     "fifty million shillings or to imprisonment for seven years or to both.")
    assert (p.fine, p.fine_amount_max, p.currency, p.imprisonment_max_years) == (True, 50_000_000, "shillings", 7)


def test_a_currency_mark_glued_to_the_amount_is_the_currency():
    p = only_penalty("Fictional: liable to a fine of K500,000 and to imprisonment for one year.")
    assert (p.fine_amount_max, p.currency, p.imprisonment_max_years) == (500_000, "K", 1)


def test_a_fine_with_only_a_minimum_has_no_maximum_amount():
    p = only_penalty("Fictional: a fine of not less than one thousand dollars.")
    assert p.fine and p.fine_amount_max is None


def test_without_the_option_of_a_fine_is_not_a_fine():
    p = only_penalty("Fictional: liable to imprisonment for five years without the option of a fine.")
    assert not p.fine and p.imprisonment_max_years == 5


def test_fined_under_this_title_is_a_fine_without_amount():
    p = only_penalty("Fictional: shall be fined under this title or imprisoned not more than 2 years, or both.")
    assert p.fine and p.fine_amount_max is None


def test_each_clause_is_its_own_penalty():
    penalties = enrich_one("Fictional: (a) to imprisonment for life; or (b) to imprisonment for a term of not "
                           "more than 10 years and to a minimum punishment of imprisonment for a term of 3 years.").penalties
    assert [(p.life, p.imprisonment_min_years, p.imprisonment_max_years) for p in penalties] == [
        (True, None, None), (False, 3, 10)]


@pytest.mark.parametrize("language, text, low, high", [
    ("es", "Ficticio: será reprimido con prisión de cuatro (4) a ocho (8) años.", 4, 8),
    ("es", "Ficticio: la pena será de SEIS (6) a DOCE (12) años de prisión cuando concurran agravantes.", 6, 12),
    ("pt", "Fictício: Pena - reclusão, de 4 (quatro) a 8 (oito) anos, e multa.", 4, 8),
    ("pt", "Fictício: Pena - detenção, de três meses a um ano, ou multa.", 0.25, 1),
    ("fr", "Fictif : est puni d’un emprisonnement de dix à vingt ans.", 10, 20),
    ("nl", "Fictief: wordt gestraft met gevangenisstraf van ten hoogste twaalf jaren.", None, 12),
    ("nl", "Fictief: wordt gestraft met gevangenisstraf van ten hoogste zes maanden.", None, 0.5),
    ("ar", "نص خيالي: يعاقب بالسجن مدة لا تزيد على (خمس عشرة) سنة.", None, 15),
    ("ar", "نص خيالي: يعاقب بالسجن مدة لا تزيد على (سنتين).", None, 2),
])
def test_imprisonment_in_other_languages(language, text, low, high):
    p = only_penalty(text, language)
    assert (p.imprisonment_min_years, p.imprisonment_max_years) == (low, high)


def test_dutch_life_sentence_and_fine_category():
    p = only_penalty("Fictief: wordt levenslange gevangenisstraf of tijdelijke van ten hoogste dertig jaren "
                     "of geldboete van de vijfde categorie opgelegd.", "nl")
    assert (p.life, p.imprisonment_max_years, p.fine, p.fine_amount_max) == (True, 30, True, None)


def test_french_fine_range_keeps_its_upper_bound():
    p = only_penalty("Fictif : emprisonnement de cinq à dix ans et amende de 10 000 à 500 000 francs.", "fr")
    assert (p.fine_amount_max, p.currency) == (500_000, "francs")


def test_spanish_fines_of_purpose_are_not_fines():
    assert enrich_one("Ficticio: a los fines de esta ley se entiende por víctima la persona.", "es").penalties == []


def test_hard_wrapped_spanish_range_is_read_across_blank_lines():
    p = only_penalty("Ficticio: será reprimido con prisión de TRES\n\n(3) a\n\nSEIS (6) años.", "es")
    assert (p.imprisonment_min_years, p.imprisonment_max_years) == (3, 6)


# --- definitions ----------------------------------------------------------------
def test_english_quoted_definitions_split_at_the_next_term():
    p = enrich_one('Fictional. In this Act— "child" means a person below the age of ten years; '
                   '“exploitation” in relation to this Act includes forced labour; '
                   '"care" has the meaning given in section 9; The term “coercion” means threats.')
    assert [(d.term, d.definition) for d in p.definitions] == [
        ("child", "a person below the age of ten years"),
        ("exploitation", "forced labour"),
        ("care", "given in section 9"),
        ("coercion", "threats"),
    ]


def test_definition_offsets_cover_term_and_text():
    text = 'Fictional. "vessel" means a boat.'
    d = enrich_one(text).definitions[0]
    assert text[d.start:d.end] == '"vessel" means a boat'


@pytest.mark.parametrize("language, text, term, start_of_definition", [
    ("es", "Ficticio. A los fines de esta ley, se entiende por trata de personas el ofrecimiento de personas.",
     "trata de personas", "el ofrecimiento"),
    ("es", "Ficticio. Por explotación se entiende como mínimo el trabajo forzoso.", "explotación", "como mínimo"),
    ("fr", "Fictif. Au sens de la présente loi, on entend par enfant toute personne de moins de 18 ans.",
     "enfant", "toute personne"),
    ("fr", "Fictif. Au sens de la présente loi : a) enfant : désigne toute personne mineure ; "
     "b) le trafic : désigne le déplacement.", "enfant", "toute personne"),
    ("nl", "Fictief. In deze wet wordt verstaan onder uitbuiting: ten minste gedwongen arbeid.", "uitbuiting", "ten minste"),
    ("pt", "Fictício. Para os fins desta Lei, considera-se vítima a pessoa lesada.", "vítima", "a pessoa"),
    ("id", "Fiktif. Dalam Peraturan ini yang dimaksud dengan: 1. Korban adalah seseorang yang menderita.",
     "Korban", "seseorang"),
    ("ar", "نص خيالي. يقصد بالمصطلحات الآتية المعاني المبينة أمامها: 1 الضحية : الشخص المتضرر.", "الضحية", "الشخص"),
])
def test_definitions_in_other_languages(language, text, term, start_of_definition):
    definitions = enrich_one(text, language).definitions
    assert definitions, "no definition found"
    assert definitions[0].term == term
    assert definitions[0].definition.startswith(start_of_definition)


def test_french_definition_list_yields_one_definition_per_item():
    p = enrich_one("Fictif. Au sens de la présente loi : a) enfant : désigne toute personne mineure ; "
                   "b) le trafic : désigne le déplacement.", "fr")
    assert [d.term for d in p.definitions] == ["enfant", "trafic"]
    assert p.definitions[0].definition == "toute personne mineure"


# --- cross-references ----------------------------------------------------------------
def refs(text: str, language: str = "en", number: str = "99"):
    return [(r.kind, r.target, r.external) for r in enrich_one(text, language, number).cross_refs]


def test_section_references_with_lists_letters_and_brackets():
    assert refs("Fictional: under section 3, sections 42 and 43, section 22A and subsection 12.01(1)(a).") == [
        ("section", "3", False), ("section", "42", False), ("section", "43", False),
        ("section", "22A", False), ("subsection", "12.01(1)(a)", False),
    ]


def test_bracketed_subsection_and_paragraph_references():
    assert refs("Fictional: despite subsection (2) and paragraph (a).") == [
        ("subsection", "(2)", False), ("paragraph", "(a)", False)]


def test_references_naming_another_act_are_external():
    assert refs("Fictional: as in sections 10, 11 and 12A respectively, of the Penal Code; "
                "section 5 of Republic Act No. 1234; section 7 of this Act.") == [
        ("section", "10", True), ("section", "11", True), ("section", "12A", True),
        ("section", "5", True), ("section", "7", False)]


def test_paragraph_sign_and_abbreviated_article():
    assert refs("Fictional: see § 1589 and art. 273f.") == [("section", "1589", False), ("article", "273f", False)]


def test_spanish_article_with_bis_and_external_law():
    assert refs("Ficticio: incorpórase el artículo 145 bis del Código Penal; véase el artículo 5 de la "
                "Ley N° 12.345 y el artículo 3 de la presente ley.", "es") == [
        ("article", "145bis", True), ("article", "5", True), ("article", "3", False)]


def test_dutch_article_reference():
    assert refs("Fictief: bedoeld in artikel 250a.", "nl") == [("article", "250a", False)]


def test_a_provision_heading_is_not_a_reference_to_itself():
    assert refs("Section 7. Fictional heading. See section 8.", number="7") == [("section", "8", False)]


# --- acceptance on the real corpus -------------------------------------------------
def corpus_dir() -> Path:
    value = os.environ.get("CTKB_CORPUS")
    if not value:
        pytest.fail("CTKB_CORPUS is not set: point it at the corpus directory (with manifest.yaml), "
                    "e.g. CTKB_CORPUS=/work/shared/corpus")
    path = Path(value)
    if not (path / "manifest.yaml").is_file():
        pytest.fail(f"CTKB_CORPUS={value} has no manifest.yaml")
    return path


@lru_cache(maxsize=None)
def manifest() -> dict[str, dict]:
    entries = yaml.safe_load((corpus_dir() / "manifest.yaml").read_text(encoding="utf-8"))
    return {entry["id"]: entry for entry in entries}


@lru_cache(maxsize=None)
def enriched(doc_id: str) -> Segmentation:
    from indexing.clean import prepare
    from indexing.segment import segment

    entry = manifest()[doc_id]
    _, clean = prepare(corpus_dir() / entry["path"])
    seg = segment(clean, doc_id=doc_id, doc_sha256=entry["sha256"], language=entry["language"])
    return ENRICHER.enrich(seg, entry["language"])


def top_level(doc_id: str, number: str) -> Provision:
    seg = enriched(doc_id)
    found = [p for p in seg.top_level if p.number == number]
    assert found, f"{doc_id}: no top-level provision numbered {number!r}; have {[p.number for p in seg.top_level]}"
    return found[0]


def maximum(penalties: list[Penalty]) -> float | str | None:
    """"life" if any penalty allows life, else the largest maximum in years."""
    if any(p.life for p in penalties):
        return "life"
    highs = [p.imprisonment_max_years for p in penalties if p.imprisonment_max_years is not None]
    return max(highs) if highs else None


def basic_maximum(penalties: list[Penalty]) -> float | None:
    """The first stated maximum term in text order (the basic offence in these provisions)."""
    return next((p.imprisonment_max_years for p in penalties if p.imprisonment_max_years is not None), None)


# (doc id, top-level number, first maximum, overall maximum): read by hand in the text.
TRAFFICKING_OFFENCES = [
    # Criminal Code s. 279.01: (1)(b) "not more than 14 years"; (1)(a) "imprisonment for life".
    ("can-criminal-code-279", "279.01", 14, "life"),
    # 18 U.S.C. § 1590(a): "imprisoned not more than 20 years"; if death results, "any term of years or life".
    ("usa-18usc-ch77", "1590", 20, "life"),
    # Wetboek van Strafrecht art. 273f lid 1: "ten hoogste twaalf jaren"; lid 5: "levenslange gevangenisstraf".
    ("nld-sr-titel-xviii-273f", "273f", 12, "life"),
    # Trafficking in Persons Act 2015 s. 14(1): "imprisonment for fourteen years".
    ("mwi-tip-act-2015", "14", 14, 14),
    # Anti-Trafficking in Persons Act 2008 s. 4(5): "not less than two years and not more than ten years".
    ("tza-atip-act-2008", "4", 10, 10),
    # Anti-Human Trafficking Act 2008 s. 3(1): "not exceeding thirty years"; (2),(4),(8): "imprisonment for life".
    ("zmb-ahta-2008", "3", 30, "life"),
    # Ley 26.364 art. 10 (CP art. 145 bis): "prisión de TRES (3) a SEIS (6) años"; aggravated "CUATRO (4) a DIEZ (10)".
    ("arg-ley-26364", "10", 6, 10),
    # Código Penal art. 149-A: "reclusão, de 4 (quatro) a 8 (oito) anos".
    ("bra-codigo-penal-149a", "149-A", 8, 8),
    # SAARC Convention Act No. 30 of 2005 s. 2(3)(a): "not less than three years and not exceeding fifteen years".
    ("lka-saarc-trafficking-act-2005", "2", 15, 15),
    # Loi 2005/015 art. 4: "emprisonnement de dix à vingt ans".
    ("cmr-loi-2005-015", "4", 20, 20),
    # Nizam 1430H art. 3 (المادة الثالثة): "بالسجن مدة لا تزيد على (خمس عشرة) سنة".
    ("sau-atip-law-2009", "3", 15, 15),
]


@pytest.mark.corpus
@pytest.mark.parametrize("doc_id, number, first_max, overall_max", TRAFFICKING_OFFENCES,
                         ids=[case[0] for case in TRAFFICKING_OFFENCES])
def test_trafficking_offence_maximum_matches_the_text(doc_id, number, first_max, overall_max):
    penalties = top_level(doc_id, number).penalties
    assert basic_maximum(penalties) == first_max, [p.text for p in penalties]
    assert maximum(penalties) == overall_max, [p.text for p in penalties]


@pytest.mark.corpus
def test_at_least_five_documents_have_the_right_trafficking_maximum():
    right = []
    for doc_id, number, first_max, overall_max in TRAFFICKING_OFFENCES:
        try:
            penalties = top_level(doc_id, number).penalties
        except AssertionError:
            continue  # a segmentation hiccup: counted as wrong
        if basic_maximum(penalties) == first_max and maximum(penalties) == overall_max:
            right.append(doc_id)
    assert len(right) >= 5, right


@pytest.mark.corpus
@pytest.mark.slow
def test_enriching_the_whole_corpus_takes_seconds_and_keeps_offsets_exact():
    from indexing.clean import prepare
    from indexing.segment import segment

    enricher = Enricher()
    work = []
    for doc_id, entry in manifest().items():
        try:
            _, clean = prepare(corpus_dir() / entry["path"])
        except Exception:  # scans needing OCR are the extractor's business, not ours
            continue
        seg = segment(clean, doc_id=doc_id, doc_sha256=entry["sha256"], language=entry["language"])
        enricher.rules(entry["language"])  # pipeline construction is not enrichment time
        work.append((clean.text, seg, entry["language"]))
    began = time.perf_counter()
    results = [(text, enricher.enrich(seg, language)) for text, seg, language in work]
    elapsed = time.perf_counter() - began
    assert elapsed < 20, f"enrichment took {elapsed:.1f}s"
    for text, seg in results:
        for p in seg.provisions:
            for item in [*p.penalties, *p.cross_refs]:
                assert text[item.start:item.end] == item.text
            for d in p.definitions:
                assert p.start <= d.start < d.end <= p.end
