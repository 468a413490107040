"""Tests for indexing.clean: page furniture, hyphenation, normalisation and exact offsets.

Documents are FICTIONAL and built in memory (RawDocument) or in tmp_path; the corpus
tests need $CTKB_CORPUS.
"""

from __future__ import annotations

import unicodedata

import pytest
from fixtures.minipdf import write_pdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexing.clean import VERSION, clean, is_page_number, prepare
from indexing.clean_edits import apply_edits
from indexing.types import RawDocument, RawPage
from kb.errors import NeedsOcrError
from kb.models import HeadingHint


def pdf_doc(*pages: str, hints: dict[int, list[tuple[str, int]]] | None = None) -> RawDocument:
    """A fictional PDF-like RawDocument; ``hints`` maps page index to (substring, level)."""
    raw_pages = []
    for i, text in enumerate(pages):
        page_hints = []
        for needle, level in (hints or {}).get(i, []):
            start = text.index(needle)
            page_hints.append(HeadingHint(start=start, end=start + len(needle), level=level))
        raw_pages.append(RawPage(number=i + 1, text=text, headings=page_hints))
    return RawDocument(path="fictional.pdf", format="pdf", pages=raw_pages, page_count=len(pages))


def body(n: int) -> str:
    """Fictional page body; its numbers do not follow the page number (n * n + 40)."""
    k = n * n + 40
    return f"Section {k}. The fictional Minister shall act on matter {k}.\nIt is an offence under section {k}."


def hinted(doc) -> list[tuple[str, int]]:
    return [(doc.text[h.start:h.end], h.level) for h in doc.headings]


def test_version_names_the_stage():
    assert VERSION.startswith("clean@")


# ------------------------------------------------------------------- page furniture


def test_running_footer_repeated_on_every_page_is_removed():
    footer = "Dokumen fiktif ini ditandatangani secara elektronik oleh Nowhere"
    doc = clean(pdf_doc(*[f"{body(i)}\n{footer}" for i in range(1, 6)]))
    assert footer not in doc.text
    assert doc.removed["footer"] == 5
    assert all(body(i) in doc.text for i in range(1, 6))


def test_running_header_with_a_glued_page_number_is_removed():
    pages = [f"{i}Fictional Trafficking Act, No. 9 of 2099\n{body(i)}" for i in range(1, 5)]
    pages[2] = pages[2].replace("3Fictional", "3 Fictional")  # spacing varies between pages
    doc = clean(pdf_doc(*pages))
    assert "Fictional Trafficking Act" not in doc.text
    assert doc.removed["header"] == 4


def test_a_repeated_line_in_the_body_is_not_a_running_header():
    # The same sentence recurs, but deep inside each page, not at its edge.
    repeated = "The fictional Minister may make regulations."
    topics = ["ports", "fishing", "farms"]
    pages = []
    for topic in topics:
        filler = "\n".join(f"Filler line {k} of the fictional text on {topic}." for k in range(8))
        pages.append(f"About {topic}\n{filler}\n{repeated}\n{filler}\nEnd of {topic}")
    doc = clean(pdf_doc(*pages))
    assert doc.text.count(repeated) == 3
    assert "header" not in doc.removed and "footer" not in doc.removed


def test_provision_heading_atop_each_page_is_not_a_running_header():
    # One fictional section per page, numbered like the pages: content, not furniture.
    pages = [f"Section {i}\nThe fictional rule number {i * i + 40} applies." for i in range(1, 6)]
    doc = clean(pdf_doc(*pages))
    assert all(f"Section {i}" in doc.text for i in range(1, 6))
    assert "header" not in doc.removed


def test_running_headers_need_at_least_three_pages():
    doc = clean(pdf_doc(f"Fictional Gazette\n{body(1)}", f"Fictional Gazette\n{body(2)}"))
    assert doc.text.count("Fictional Gazette") == 2


@pytest.mark.parametrize("number", ["3", "- 3 -", "-3-", "\u2013 3 \u2013", "Page 3", "Page 3 of 10", "3/10",
                                    "p. 3", "Halaman 3 dari 10", "P\u00e1gina 3 de 10", "- iii -"])
def test_bare_page_numbers_are_recognised(number):
    assert is_page_number(number)


@pytest.mark.parametrize("line", ["3. Definitions", "(3)", "Section 3", "149-A", "2003-2005 budget", "i"])
def test_numbered_text_is_not_a_page_number(line):
    assert not is_page_number(line)


def test_bare_page_numbers_at_page_edges_are_removed():
    doc = clean(pdf_doc(f"{body(1)}\n1", f"- 2 -\n{body(2)}", f"{body(3)}\nPage 3 of 3"))
    assert doc.removed["page_number"] == 3
    for line in doc.text.split("\n"):
        assert not is_page_number(line)


def test_number_alone_in_the_middle_of_a_page_is_kept():
    filler = "\n".join(f"Line {k} of the fictional schedule." for k in range(6))
    doc = clean(pdf_doc(f"{filler}\n42\n{filler}"))
    assert "\n42\n" in doc.text
    assert "page_number" not in doc.removed


def test_boilerplate_stamp_repeated_mid_page_is_removed():
    stamp = "FICTIONAL WATERMARK - UNOFFICIAL COPY - DO NOT CITE"
    pages = []
    for topic in ["ports", "fishing", "farms", "mines", "homes"]:
        top = "\n".join(f"Clause {k} of the fictional law on {topic} says something." for k in range(6))
        pages.append(f"{top}\n{stamp}\n{top}")
    doc = clean(pdf_doc(*pages))
    assert stamp not in doc.text
    assert doc.removed["boilerplate"] == 5


def test_non_paged_documents_keep_their_numbers_and_repeats():
    raw = RawDocument(path="f.md", format="md", pages=[RawPage(text="Intro\n3\nText\n3\n")])
    doc = clean(raw)
    assert doc.text == "Intro\n3\nText\n3"
    assert doc.pages == []


# --------------------------------------------------------------------- hyphenation


def test_word_hyphenated_across_a_line_is_joined():
    doc = clean(pdf_doc("The offence of traf-\nficking in fictional persons.\nTrafficking is defined."))
    assert "The offence of trafficking in fictional persons." in doc.text
    assert doc.removed["hyphenation"] == 1


def test_hyphen_before_an_uppercase_line_start_is_kept():
    doc = clean(pdf_doc("Section 149-\nA of the fictional code."))
    assert "Section 149-\nA of the fictional code." in doc.text


def test_compound_found_elsewhere_keeps_its_hyphen_and_loses_the_break():
    doc = clean(pdf_doc("A child-centred approach.\nAll work must be child-\ncentred and fictional."))
    assert "must be child-centred and fictional." in doc.text
    assert "hyphenation" not in doc.removed


def test_known_prefix_keeps_its_hyphen():
    doc = clean(pdf_doc("Fictional anti-\ntrafficking measures."))
    assert "Fictional anti-trafficking measures." in doc.text


def test_word_hyphenated_across_a_page_break_is_joined_and_pages_stay_ordered():
    doc = clean(pdf_doc("The fictional conven-", "tion applies. The convention is fictional."))
    assert "The fictional convention applies." in doc.text
    first, second = doc.pages
    assert first.end <= second.start
    # The joined word straddles the page boundary: each page keeps its own letters.
    assert doc.text[first.start:first.end] == "The fictional conven"
    assert doc.text[second.start:].startswith("tion applies.")


def test_paragraph_break_after_a_hyphen_is_not_crossed():
    raw = RawDocument(path="f.txt", format="txt", pages=[RawPage(text="A list item ends with a dash -\n\nnext para")])
    assert clean(raw).text == "A list item ends with a dash -\n\nnext para"


def test_soft_hyphen_is_removed_and_joins_a_line_it_ends():
    doc = clean(pdf_doc("com\u00admencement and traf\u00ad\nficking"))
    assert doc.text == "commencement and trafficking"
    assert doc.removed["soft_hyphen"] == 1
    assert doc.removed["hyphenation"] == 1


# ------------------------------------------------------------------- normalisation


def test_nbsp_tabs_and_whitespace_runs_are_normalised_but_line_breaks_kept():
    doc = clean(pdf_doc("  Article\u00a01\t\u2014   Fictional  \nSecond\u2003line   "))
    assert doc.text == "Article 1 \u2014 Fictional\nSecond line"


def test_text_is_nfc_and_hints_still_cover_their_words():
    text = "Cafe\u0301 fictif\nArticle e\u0301te\u0301 1\nSuite"
    doc = clean(pdf_doc(text, hints={0: [("Article e\u0301te\u0301 1", 7)]}))
    assert unicodedata.is_normalized("NFC", doc.text)
    assert hinted(doc) == [("Article \u00e9t\u00e9 1", 7)]


def test_bengali_vowel_signs_compose_under_nfc():
    decomposed = "\u0995\u09c7\u09be"  # KA + E sign + AA sign -> KA + O sign
    doc = clean(RawDocument(path="f.md", format="md", pages=[RawPage(text=f"{decomposed} ধারা")]))
    assert doc.text == "\u0995\u09cb ধারা"


def test_zero_width_joiners_are_kept_but_zero_width_spaces_dropped():
    doc = clean(RawDocument(path="f.txt", format="txt", pages=[RawPage(text="a\u200cb\u200bc")]))
    assert doc.text == "a\u200cbc"


def test_symbol_font_bullets_become_bullets():
    doc = clean(pdf_doc("\uf0a8 England\n\uf0b7 Wales"))
    assert doc.text == "\u2022 England\n\u2022 Wales"


def test_excess_blank_lines_collapse_to_one_blank_line():
    raw = RawDocument(path="f.txt", format="txt", pages=[RawPage(text="\n\nA\n\n\n\n\nB\n\n")])
    assert clean(raw).text == "A\n\nB"


# ------------------------------------------------------------------------- offsets


def test_pages_are_joined_with_a_blank_line_and_spans_locate_them():
    doc = clean(pdf_doc(body(1), body(2), body(3)))
    assert doc.text == "\n\n".join([body(1), body(2), body(3)])
    assert [p.number for p in doc.pages] == [1, 2, 3]
    for page, expected in zip(doc.pages, [body(1), body(2), body(3)]):
        assert doc.text[page.start:page.end] == expected
    assert doc.page_at(doc.text.index("matter 44")) == 2
    assert doc.page_count == 3


def test_heading_hints_survive_furniture_removal_and_normalisation():
    numbers = [3, 8, 12, 20]
    pages = [f"Fictional Gazette of Nowhere {i}\n  Section\u00a0{k}.   Title  {k}\nText of section {k}."
             for i, k in enumerate(numbers, start=1)]
    hints = {i: [(f"Section\u00a0{k}.   Title  {k}", 2)] for i, k in enumerate(numbers)}
    doc = clean(pdf_doc(*pages, hints=hints))
    assert hinted(doc) == [(f"Section {k}. Title {k}", 2) for k in numbers]
    assert "Fictional Gazette" not in doc.text


def test_hint_over_removed_text_is_dropped():
    pages = [f"Fictional Gazette\n{body(i)}" for i in range(1, 4)]
    doc = clean(pdf_doc(*pages, hints={0: [("Fictional Gazette", 1)], 1: [("Section 44.", 7)]}))
    assert hinted(doc) == [("Section 44.", 7)]


def test_apply_edits_maps_offsets_around_and_inside_edits():
    text, remap = apply_edits("abcdefghij", [(2, 4, ""), (6, 7, "XYZ")])
    assert text == "abefXYZhij"
    assert [remap(i) for i in (0, 2, 3, 4, 6, 7, 10)] == [0, 2, 2, 2, 4, 7, 10]
    assert remap(3, right=True) == 2 and remap(6, right=True) == 4


# --------------------------------------------------------------------------- property


_ALPHABET = st.sampled_from(list("abcXY 12-\n\n\t") + ["\u00ad", "\u00a0", "e\u0301", "\r\n", "\u200b", "\uf0b7"])
_PAGE_TEXT = st.lists(_ALPHABET, max_size=60).map("".join)


@st.composite
def raw_documents(draw):
    texts = draw(st.lists(_PAGE_TEXT, min_size=1, max_size=6))
    paged = draw(st.booleans())
    pages = []
    for i, text in enumerate(texts):
        hints = []
        for _ in range(draw(st.integers(0, 3))):
            if not text:
                break
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            hints.append(HeadingHint(start=start, end=end, level=draw(st.integers(1, 7))))
        pages.append(RawPage(number=i + 1 if paged else None, text=text, headings=hints))
    return RawDocument(path="fictional", format="pdf" if paged else "txt", pages=pages)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_documents())
def test_spans_and_hints_always_lie_inside_the_text_and_pages_are_ordered(raw):
    doc = clean(raw)
    n = len(doc.text)
    for hint in doc.headings:
        assert 0 <= hint.start < hint.end <= n
    previous_end = 0
    for page in doc.pages:
        assert previous_end <= page.start <= page.end <= n
        previous_end = page.end
    assert [p.number for p in doc.pages] == sorted(p.number for p in doc.pages)
    assert "\r" not in doc.text and "\u00ad" not in doc.text and "\u00a0" not in doc.text
    assert unicodedata.is_normalized("NFC", doc.text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab -\n", max_size=30), min_size=1, max_size=4))
def test_only_blank_lines_joining_pages_lie_outside_the_page_spans(texts):
    doc = clean(RawDocument(path="f.pdf", format="pdf",
                            pages=[RawPage(number=i + 1, text=t) for i, t in enumerate(texts)]))
    outside, pos = [], 0
    for page in doc.pages:
        outside.append(doc.text[pos:page.start])
        pos = max(pos, page.end)
    outside.append(doc.text[pos:])
    assert set("".join(outside)) <= {"\n"}


# ------------------------------------------------------------------------- prepare


def test_prepare_extracts_and_cleans_a_fictional_pdf(tmp_path):
    splits = [("num", "ber"), ("traf", "ficking"), ("exploi", "tation"), ("protec", "tion")]
    pages = [[f"- {i + 1} -", f"Section {i * 7 + 3}. Fictional {head}-", f"{tail} clause.",
              "Fictional Gazette of Nowhere, Extraordinary"] for i, (head, tail) in enumerate(splits)]
    raw, doc = prepare(write_pdf(tmp_path / "act.pdf", pages))
    assert raw.page_count == 4
    assert "Section 3. Fictional number clause." in doc.text
    assert "Section 24. Fictional protection clause." in doc.text
    assert "Gazette" not in doc.text and "- 2 -" not in doc.text
    assert doc.removed == {"footer": 4, "hyphenation": 4, "page_number": 4}
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]


def test_prepare_markdown_gives_hints_over_clean_text(tmp_path):
    path = tmp_path / "act.md"
    path.write_text("# FICTIONAL ACT\n\n**Section 1.**\u00a0Short  title.\n", encoding="utf-8")
    raw, doc = prepare(path)
    assert doc.text == "FICTIONAL ACT\n\nSection 1. Short title."
    assert hinted(doc) == [("FICTIONAL ACT", 1), ("Section 1.", 7)]
    assert doc.pages == [] and doc.page_count is None


# ---------------------------------------------------------------------- real corpus


@pytest.mark.corpus
def test_corpus_idn_signature_footer_and_page_numbers_are_removed(corpus_dir):
    (path,) = sorted((corpus_dir / "idn").glob("*.pdf"))
    _, doc = prepare(path)
    assert doc.removed["footer"] >= 2 * 38
    assert doc.removed["page_number"] >= 37
    assert "ditandatangani secara elektronik" not in doc.text
    assert "Sertikasi Elektronik" not in doc.text
    assert "perundang-undangan" in doc.text and "perundangundangan" not in doc.text
    assert len(doc.pages) == 38


@pytest.mark.corpus
def test_corpus_lka_running_header_is_removed_and_hyphenation_joined(corpus_dir):
    (path,) = sorted((corpus_dir / "lka").glob("*.pdf"))
    _, doc = prepare(path)
    assert doc.removed["header"] >= 27
    for page in doc.pages[1:]:
        assert not doc.text[page.start:page.end].lstrip().startswith(("Convention on Preventing", "Trafficking in Women"))
    assert "conven-" not in doc.text


@pytest.mark.corpus
def test_corpus_gbr_page_numbers_are_removed_and_compounds_kept(corpus_dir):
    for path in sorted((corpus_dir / "gbr").glob("*.pdf")):
        raw, doc = prepare(path)
        assert doc.removed["page_number"] >= raw.page_count - 4, path.name
        assert "best-practice" in doc.text or "best-\npractice" not in doc.text


@pytest.mark.corpus
def test_corpus_scanned_pdf_needs_ocr(corpus_dir):
    with pytest.raises(NeedsOcrError) as info:
        prepare(corpus_dir / "pak" / "prevention-of-trafficking-in-persons-act-2018.pdf")
    assert info.value.page_count == 5


@pytest.mark.corpus
def test_every_corpus_document_prepares_with_valid_offsets(corpus_dir):
    files = [p for p in sorted(corpus_dir.glob("*/*")) if p.suffix in (".md", ".html", ".pdf", ".txt", ".docx")]
    assert len(files) >= 25
    for path in files:
        try:
            raw, doc = prepare(path)
        except NeedsOcrError:
            continue
        assert doc.text.strip(), path.name
        assert unicodedata.is_normalized("NFC", doc.text), path.name
        for hint in doc.headings:
            assert doc.text[hint.start:hint.end].strip() == doc.text[hint.start:hint.end], path.name
        if raw.format == "pdf":
            assert len(doc.pages) == raw.page_count
