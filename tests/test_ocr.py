"""OCR of scanned PDFs: the corpus's gazette scan, an image-only copy of a text PDF, the
modes, the cache, and the messages when Tesseract cannot help. Real Tesseract, real pdfium."""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import yaml
from conftest import run_ctkb
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from indexing.manifest import Entry
from indexing.ocr import OcrOptions, OcrUnavailableError, fix_labels, ocr_pages, tesseract_language, usable_layer
from indexing.pipeline import Indexer
from kb.catalog import Catalog
from kb.errors import DocumentError
from kb.models import DocumentMeta
from kb.ocr_quality import character_error_rate, normalise

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from minipdf import write_pdf  # noqa: E402

GAZETTE = "pak/prevention-of-trafficking-in-persons-act-2018.pdf"
TRANSCRIPT = "pak/prevention-of-trafficking-in-persons-act-2018.md"


def _top_numbers(cat: Catalog, doc_id: str) -> list[str]:
    return [p.number for p in cat.provisions(doc_id) if p.parent_id is None]


def _index(home: Path, file: Path, doc_id: str, *, ocr: str = "auto", force: bool = False, on_page=None,
           language: str = "en"):
    cat = Catalog(home / "catalog.sqlite")
    meta = DocumentMeta(id=doc_id, path=str(file), country="XAA", title=f"{doc_id} (test)", language=language)
    indexer = Indexer(cat, None, force=force, ocr=ocr)
    indexer.on_page = on_page
    return cat, indexer.index_one(Entry(meta=meta, file=file))


# ------------------------------------------------------------------ acceptance on the real corpus


@pytest.mark.corpus
def test_the_gazette_scan_is_indexed_with_at_least_15_of_its_16_sections(real_home: Path) -> None:
    cat = Catalog(real_home / "catalog.sqlite")
    record = cat.find_document("pak-ptpa-2018-gazette")
    assert record is not None and record.status == "indexed", record
    numbers = _top_numbers(cat, "pak-ptpa-2018-gazette")
    found = sorted({str(n) for n in range(1, 17)} & set(numbers), key=int)
    print(f"\ngazette scan: sections found {len(found)} of 16: {', '.join(found)}; top level {numbers}; "
          f"{record.ocr_pages} pages from OCR, mean confidence {record.ocr_confidence}")
    assert len(found) >= 15
    assert record.ocr_pages == 5 and record.ocr_mode == "auto"
    # Every provision carries the OCR flag and a plausible confidence, and keeps its pages.
    provisions = cat.provisions("pak-ptpa-2018-gazette")
    assert all(p.ocr_confidence is not None and 0.5 < p.ocr_confidence <= 1 for p in provisions)
    assert all(p.page_start is not None and 1 <= p.page_start <= 5 for p in provisions)
    by_number = {p.number: p for p in provisions if p.parent_id is None}
    assert "trafficking in persons" in by_number["3"].text.lower() and by_number["3"].page_start == 2
    # The running header, garbled differently by OCR on each page, is not left inside provisions.
    assert not [p.citation for p in provisions if "GAZETTE OF PAKISTAN" in p.text.upper()]


@pytest.mark.corpus
def test_the_gazette_ocr_text_has_a_character_error_rate_under_5_percent(corpus_dir: Path, tmp_path: Path) -> None:
    pages = ocr_pages(corpus_dir / GAZETTE, [1, 2, 3, 4, 5], OcrOptions(language="en", cache_dir=str(tmp_path)))
    text = "\n\n".join(page.text for page in pages.values())
    cer = character_error_rate((corpus_dir / TRANSCRIPT).read_text(encoding="utf-8"), text)
    print(f"\ngazette OCR: CER {cer.content:.2%} on content ({cer.reference_chars} reference characters), "
          f"{cer.layout:.2%} as printed; {sum(p.seconds for p in pages.values()):.1f} s for 5 pages; "
          f"mean confidence {sum(p.confidence for p in pages.values()) / 5:.2f}")
    assert cer.content < 0.05
    assert cer.layout < 0.10  # the transcript drops most enumerators, which the scan prints
    assert [p.cached for p in pages.values()] == [False] * 5


@pytest.mark.corpus
def test_an_image_only_copy_of_a_text_pdf_gets_the_same_top_level_provisions(real_home: Path, corpus_dir: Path,
                                                                            tmp_path: Path) -> None:
    entries = {e["id"]: e for e in yaml.safe_load((corpus_dir / "manifest.yaml").read_text(encoding="utf-8"))}
    source = corpus_dir / entries["lka-saarc-trafficking-act-2005"]["path"]
    original = _top_numbers(Catalog(real_home / "catalog.sqlite"), "lka-saarc-trafficking-act-2005")
    # Render every page to an image and rebuild a PDF of images only: a scan of the act.
    pdf = pdfium.PdfDocument(str(source))
    images = [pdf[i].render(scale=200 / 72, grayscale=True).to_pil() for i in range(len(pdf))]
    pdf.close()
    scan = tmp_path / "lka-scan.pdf"
    images[0].save(scan, "PDF", resolution=200, save_all=True, append_images=images[1:])
    assert not any(usable_layer(page.extract_text() or "") for page in PdfReader(scan).pages)

    pages_seen: list[tuple[int, int]] = []
    cat, outcome = _index(tmp_path / "home", scan, "lka-scan", on_page=lambda _e, done, total: pages_seen.append(
        (done, total)))
    assert outcome.status == "indexed", outcome.message
    rebuilt = _top_numbers(cat, "lka-scan")
    print(f"\nimage-only copy of {source.name} ({len(images)} pages): original {original}, after OCR {rebuilt}")
    assert rebuilt == original and len(original) >= 5
    assert pages_seen == [(k, len(images)) for k in range(1, len(images) + 1)]  # progress, page by page


@pytest.mark.corpus
def test_reindexing_a_scan_reads_every_page_from_the_ocr_cache(corpus_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    cat, first = _index(home, corpus_dir / GAZETTE, "gazette")
    assert first.status == "indexed" and "from the OCR cache" not in first.message, first.message
    cached_files = sorted((home / "ocr-cache").rglob("*.json"))
    assert len(cached_files) == 5
    before = _top_numbers(cat, "gazette")
    _, again = _index(home, corpus_dir / GAZETTE, "gazette", force=True)
    assert again.status == "indexed"
    assert "5 from the OCR cache" in again.message, again.message
    assert _top_numbers(cat, "gazette") == before


@pytest.mark.corpus
def test_ocr_never_leaves_the_scan_needing_ocr_and_auto_then_indexes_it(corpus_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    cat, never = _index(home, corpus_dir / GAZETTE, "gazette", ocr="never")
    assert never.status == "needs_ocr" and "needs OCR" in never.message and never.pages == 5
    # Same bytes, but now OCR is allowed: not skipped as unchanged.
    _, auto = _index(home, corpus_dir / GAZETTE, "gazette", ocr="auto")
    assert auto.status == "indexed" and auto.provisions >= 15
    assert cat.find_document("gazette").ocr_mode == "auto"
    # And an unchanged re-run in the same mode is skipped.
    _, again = _index(home, corpus_dir / GAZETTE, "gazette", ocr="auto")
    assert again.status == "skipped"


def test_ocr_always_reads_a_text_pdf_through_ocr_and_flags_it(tmp_path: Path) -> None:
    file = write_pdf(tmp_path / "fictional.pdf", [
        ["FICTIONAL REPUBLIC OF ARCADIA (fictional, for tests)", "",
         "Section 1. Short title", "This Act may be cited as the Fictional Anti-Trafficking Act.", "",
         "Section 2. Offence", "Whoever recruits a person for exploitation commits an offence."],
    ])
    cat, auto = _index(tmp_path / "home", file, "fictional")
    assert auto.status == "indexed" and cat.find_document("fictional").ocr_pages == 0
    assert all(p.ocr_confidence is None for p in cat.provisions("fictional"))
    _, always = _index(tmp_path / "home", file, "fictional", ocr="always")
    assert always.status == "indexed", always.message  # re-read: the mode changed
    record = cat.find_document("fictional")
    assert record.ocr_pages == 1 and record.ocr_mode == "always"
    assert _top_numbers(cat, "fictional") == ["1", "2"]
    assert all(p.ocr_confidence is not None for p in cat.provisions("fictional"))


def test_a_missing_language_pack_says_which_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(OcrUnavailableError) as info:
        tesseract_language("de", tmp_path / "scan.pdf")  # German: not a corpus language, not installed
    message = str(info.value)
    assert "scan.pdf" in message and "'deu'" in message and "apt-get install tesseract-ocr-deu" in message
    assert "installed: " in message and "eng" in message


def test_an_unknown_ocr_mode_is_refused_with_the_valid_ones() -> None:
    result = run_ctkb("index", "--ocr", "sometimes", "nothing-here", home=Path("/nonexistent-ctkb-home"))
    assert result.returncode != 0
    assert "auto" in result.stderr and "always" in result.stderr and "never" in result.stderr


def test_the_cli_documents_the_ocr_option() -> None:
    result = run_ctkb("index", "--help", home=Path("/nonexistent-ctkb-home"), env={"COLUMNS": "200"})
    assert "--ocr" in result.stdout and "auto" in result.stdout


# ------------------------------------------------------------------ pure logic


@pytest.mark.parametrize(("ocr", "mended"), [
    ("{1) This Act", "(1) This Act"),
    ("(2} It extends", "(2) It extends"),
    ("{c} permit evidence", "(c) permit evidence"),
    ("(!) Any person", "(1) Any person"),
    ("16. Repeal—{I) The", "16. Repeal—(1) The"),
    ("i. Short title, extent and commencement.—(1) This", "1. Short title, extent and commencement.—(1) This"),
    ("ll. Safety of victims.—(1) The", "11. Safety of victims.—(1) The"),
    ("9, Cognizance.—An offence", "9. Cognizance.—An offence"),
    ("7. _ Presumption in case", "7. Presumption in case"),
])
def test_misread_enumerators_are_mended(ocr: str, mended: str) -> None:
    assert fix_labels(ocr) == mended


@pytest.mark.parametrize("text", [
    "(l) the twelfth item of a list", "(I) a roman numeral", "i. the person concerned", "see section 9, and",
    "PART I. GENERAL", "(a) a person",
])
def test_real_enumerators_and_prose_are_left_alone(text: str) -> None:
    assert fix_labels(text) == text


@given(st.text(alphabet=st.sampled_from(list("({1)}il|!.,—- aAbT9\n")), max_size=80))
def test_mending_enumerators_is_idempotent(text: str) -> None:
    once = fix_labels(text)
    assert fix_labels(once) == once


def test_a_page_of_stray_marks_is_not_a_text_layer() -> None:
    assert not usable_layer("")
    assert not usable_layer("  700  \n Price 5.00 ")
    assert not usable_layer("~~~~ ---- ==== //// **** ^^^^ ))))")
    assert usable_layer("1. Short title.—This Act may be called the Fictional Act.")


def test_character_error_rate_counts_edits_against_the_reference_length() -> None:
    assert character_error_rate("The Act applies.", "The Act applies.").layout == 0
    cer = character_error_rate("abcdefghij", "abcdefghiX")
    assert cer.layout == pytest.approx(0.1) and cer.content == pytest.approx(0.1)


def test_content_cer_ignores_enumerators_case_and_punctuation_but_not_words() -> None:
    reference = "# Power to Make Rules\n\nThe Government may make rules."
    ocr = "15. Power to make rules.—(1) The Government may make rules;"
    assert character_error_rate(reference, ocr).content == 0
    assert character_error_rate(reference, ocr).layout > 0
    assert character_error_rate(reference, "15. Power to make rulez.—(1) The Government may make rules").content > 0
    assert normalise("(a) “child” means", "content") == "child means"


def test_ocr_pages_need_no_work_for_no_pages(tmp_path: Path) -> None:
    assert ocr_pages(tmp_path / "absent.pdf", [], OcrOptions()) == {}


@pytest.mark.corpus
def test_reindexing_unchanged_text_keeps_its_stored_points_exactly(real_home: Path, corpus_dir: Path,
                                                                  tmp_path: Path) -> None:
    import shutil

    from kb.settings import Settings
    from kb.store.factory import open_store

    def stored(home: Path) -> dict:
        store = open_store(Settings(home=home))
        try:  # vectors and payloads are all a search reads: equal points give equal hits
            return {p.id: (p.dense, p.sparse, p.payload) for p in store.scroll(doc_id="pak-ptpa-2018-gazette")}
        finally:
            store.close()

    home = tmp_path / "home"
    shutil.copytree(real_home, home)
    entries = [e for e in yaml.safe_load((corpus_dir / "manifest.yaml").read_text(encoding="utf-8"))
               if e["id"] == "pak-ptpa-2018-gazette"]
    entries[0]["path"] = str(corpus_dir / entries[0]["path"])
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(entries), encoding="utf-8")
    before = stored(home)
    result = run_ctkb("index", "--force", "--manifest", str(manifest), home=home, env={"COLUMNS": "300"}, check=True)
    assert "5 from the OCR cache" in result.stdout and "unchanged chunk(s) kept" in result.stdout, result.stdout
    after = stored(home)
    assert len(before) >= 10 and after == before


def test_a_scan_with_more_pages_than_the_ocr_limit_fails_alone_saying_so(tmp_path: Path) -> None:
    from PIL import Image

    images = [Image.new("L", (300, 400), 255) for _ in range(4)]
    scan = tmp_path / "blank-scan.pdf"
    images[0].save(scan, "PDF", resolution=72, save_all=True, append_images=images[1:])
    with pytest.raises(DocumentError) as info:
        ocr_pages(scan, [1, 2, 3, 4], OcrOptions(max_pages=3))
    assert "4 pages to OCR, more than the limit of 3" in str(info.value) and "CTKB_OCR_MAX_PAGES" in str(info.value)


def test_without_tesseract_the_error_says_how_to_install_it(tmp_path: Path, monkeypatch) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract-here"))
    with pytest.raises(OcrUnavailableError) as info:
        tesseract_language("es", tmp_path / "gaceta.pdf")
    message = str(info.value)
    assert "gaceta.pdf" in message and "Tesseract is not installed" in message
    assert "apt-get install tesseract-ocr tesseract-ocr-spa" in message and "--ocr never" in message


def test_a_blank_page_read_by_ocr_is_not_counted_as_text_from_ocr(tmp_path: Path) -> None:
    from PIL import Image

    from indexing.extract_pdf import extract_pdf

    file = write_pdf(tmp_path / "fictional.pdf", [
        ["FICTIONAL REPUBLIC OF ARCADIA (fictional, for tests)", "Section 1. Short title",
         "This Act may be cited as the Fictional Act."],
    ])
    blank = tmp_path / "blank.pdf"
    Image.new("L", (600, 800), 255).save(blank, "PDF", resolution=72)
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.append(str(file))
    writer.append(str(blank))
    both = tmp_path / "with-blank-page.pdf"
    writer.write(both)
    raw = extract_pdf(both, OcrOptions(mode="auto"))
    assert [p.ocr_confidence for p in raw.pages] == [None, None]
    assert "Fictional Act" in raw.pages[0].text and not raw.pages[1].text.strip()
