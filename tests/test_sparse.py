"""BM25-style sparse vectors.

Every text in this file is FICTIONAL, written for the tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kb.sparse import AVGDL, K1, B, SparseEncoder, fold, term_index


@pytest.fixture(scope="module")
def bm25() -> SparseEncoder:
    return SparseEncoder()


def test_accents_and_case_fold_so_victima_matches_victima_with_accent(bm25):
    assert bm25.terms("La VÍCTIMA y la víctima", "es") == ["victima", "victima"]
    assert bm25.encode_query("victima").indices == bm25.encode_query("Víctima", "es").indices
    assert fold("Ação Penal") == "acao penal"


def test_stopwords_and_punctuation_are_dropped(bm25):
    assert bm25.terms("The victim of the offence, and the child.", "en") == ["victim", "offence", "child"]
    assert bm25.terms("¿Quién es la víctima de este delito?", "es") == ["victima", "delito"]


def test_numbers_are_kept_even_beside_stopwords(bm25):
    terms = bm25.terms("Under section 1591 or § 273f, as amended in 2008 (Ley 26.364).", "en")
    for number in ("1591", "273f", "2008", "26.364"):
        assert number in terms
    assert "under" not in terms and "§" not in terms


def test_trafficking_words_spacy_lists_as_stopwords_are_kept(bm25):
    assert bm25.terms("La trata de personas menores", "es") == ["trata", "personas", "menores"]


def test_spanish_text_tokenises_into_words(bm25):
    terms = bm25.terms("El que captare, transportare o acogiere a una persona con fines de explotación…", "es")
    assert terms == ["captare", "transportare", "acogiere", "persona", "fines", "explotacion"]


def test_arabic_text_tokenises_and_folds_short_vowels_and_hamza_seats(bm25):
    terms = bm25.terms("يُعاقَب كلُّ من ارتكب جريمةَ الاتجار بالأشخاص، وفقاً للمادة 3.", "ar")
    assert "جريمة" in terms and "الاتجار" in terms and "3" in terms
    assert "بالاشخاص" in terms  # أ folds to ا
    assert all("،" not in t and "ُ" not in t for t in terms)


def test_bengali_conjuncts_keep_their_virama(bm25):
    assert fold("প্রতিরোধ") == "প্রতিরোধ"
    assert "প্রতিরোধ" in bm25.terms("মানব পাচার প্রতিরোধ আইন, ২০১২", "bn")


def test_an_unknown_language_uses_the_multilanguage_tokenizer(bm25):
    assert bm25.terms("Fictional trafficking text 42", "qq") == bm25.terms("Fictional trafficking text 42")


def test_term_spans_point_at_the_original_words(bm25):
    text = "Víctima: 1591."
    assert [(text[s:e], term) for s, e, term in bm25.term_spans(text, "es")] == [("Víctima", "victima"),
                                                                                  ("1591", "1591")]


def test_document_values_are_bm25_saturated_term_frequencies(bm25):
    text = "victim victim victim child"
    (vector,) = bm25.encode_documents([text], "en")
    dl = 4
    norm = K1 * (1 - B + B * dl / AVGDL)
    expected = {term_index("victim"): 3 * (K1 + 1) / (3 + norm), term_index("child"): 1 * (K1 + 1) / (1 + norm)}
    assert dict(zip(vector.indices, vector.values)) == pytest.approx(expected)
    assert vector.indices == sorted(set(vector.indices))


def test_a_longer_document_weighs_each_occurrence_less(bm25):
    short, long = bm25.encode_documents(["victim child", "victim child " + "labour " * 200], "en")
    assert dict(zip(long.indices, long.values))[term_index("victim")] < short.values[0]


def test_queries_weigh_each_distinct_term_once(bm25):
    query = bm25.encode_query("victim VICTIM child of trafficking", "en")
    assert query.values == [1.0, 1.0, 1.0]
    assert query.indices == sorted({term_index(t) for t in ("victim", "child", "trafficking")})


def test_empty_or_stopword_only_text_gives_an_empty_vector(bm25):
    assert bm25.encode_documents(["", "of the"], "en")[0].indices == []
    assert bm25.encode_query("of the", "en").indices == []


def test_a_query_without_language_keeps_words_that_no_document_indexes(bm25):
    # The "xx" tokenizer knows no stopwords; "of" then matches nothing, which is harmless.
    assert bm25.terms("victim of trafficking") == ["victim", "of", "trafficking"]


def test_indices_are_31_bit_and_identical_in_another_process(bm25):
    texts = ["La víctima de trata, artículo 145 bis.", "A child under section 1591."]
    here = [v.indices for v in bm25.encode_documents(texts, "es")]
    assert all(0 <= i < 2**31 for row in here for i in row)
    code = ("import json, sys; from kb.sparse import SparseEncoder; "
            "print(json.dumps([v.indices for v in SparseEncoder().encode_documents(json.loads(sys.argv[1]), 'es')]))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(texts)], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "12345", "PATH": ""})
    assert json.loads(out.stdout) == here


def test_version_names_the_parameters(bm25):
    assert bm25.name == "bm25"
    assert f"k{K1}" in bm25.version and "spacy" in bm25.version
