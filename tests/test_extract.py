"""Tests for indexing.extract: every format on small FICTIONAL fixtures built in tmp_path,
every bad-input case, and the real corpus PDFs (needs $CTKB_CORPUS)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
import yaml
from fixtures.minipdf import pdf_bytes, write_pdf
from pypdf import PdfReader, PdfWriter
from pypdf.errors import DependencyError

from indexing.extract import VERSION, detect_format, extract
from indexing.extract_markup import BOLD_LEVEL
from kb.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncodingError,
    EncryptedDocumentError,
    NeedsOcrError,
    UnsupportedFormatError,
)

FICTION = "FICTIONAL TEST DOCUMENT. Republic of Nowhere, Anti-Trafficking (Fictional) Act."


def hint_texts(raw, page=0):
    """(text under the hint, level) for every hint of a page."""
    text = raw.pages[page].text
    return [(text[h.start:h.end], h.level) for h in raw.pages[page].headings]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# ----------------------------------------------------------------- format detection


def test_version_names_the_stage():
    assert VERSION.startswith("extract@")


def test_content_sniffing_beats_a_misleading_extension(tmp_path):
    assert detect_format(write(tmp_path, "law.txt", pdf_bytes([["FICTIONAL"]]))) == "pdf"
    assert detect_format(write(tmp_path, "law.md", "<!DOCTYPE html><html><body>x</body></html>")) == "html"


def test_docx_is_recognised_by_its_zip_content_without_an_extension(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph(FICTION)
    path = tmp_path / "download"
    document.save(str(path))
    assert detect_format(path) == "docx"


def test_extension_decides_when_content_says_nothing(tmp_path):
    assert detect_format(write(tmp_path, "a.md", "# Title")) == "md"
    assert detect_format(write(tmp_path, "a.txt", "Title")) == "txt"
    assert detect_format(write(tmp_path, "a.htm", "<p>x</p>")) == "html"


def test_unknown_extension_and_content_is_unsupported_and_names_the_file(tmp_path):
    path = write(tmp_path, "law.xyz", "some text")
    with pytest.raises(UnsupportedFormatError) as info:
        detect_format(path)
    assert str(path) in str(info.value)


def test_zip_without_word_document_is_unsupported(tmp_path):
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", FICTION)
    with pytest.raises(UnsupportedFormatError, match="not a DOCX"):
        extract(path)


def test_legacy_word_doc_is_unsupported_with_advice_to_save_as_docx(tmp_path):
    path = write(tmp_path, "law.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(UnsupportedFormatError, match="docx") as info:
        extract(path)
    assert str(path) in str(info.value)


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  "])
@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.pdf", "empty.html", "empty.docx"])
def test_empty_or_whitespace_file_raises_empty_document_error_naming_the_file(tmp_path, name, content):
    path = write(tmp_path, name, content)
    with pytest.raises(EmptyDocumentError) as info:
        extract(path)
    assert str(path) in str(info.value)


def test_markdown_with_only_front_matter_and_comments_is_empty(tmp_path):
    path = write(tmp_path, "a.md", "---\ntitle: Fictional\n---\n<!-- nothing -->\n")
    with pytest.raises(EmptyDocumentError):
        extract(path)


def test_missing_file_raises_a_document_error_naming_it(tmp_path):
    path = tmp_path / "nowhere.pdf"
    with pytest.raises(DocumentError, match="not found") as info:
        extract(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("name", ["latin1.txt", "latin1.md"])
def test_non_utf8_text_raises_encoding_error_with_the_line_of_the_first_bad_byte(tmp_path, name):
    path = write(tmp_path, name, "Line one\nLine two\nArt\xedculo 3 (ficticio)\n".encode("latin-1"))
    with pytest.raises(EncodingError) as info:
        extract(path)
    assert info.value.line == 3
    assert str(path) in str(info.value)
    assert "line 3" in str(info.value)
    assert "\n" not in str(info.value)


def test_utf8_byte_order_mark_is_accepted_and_dropped(tmp_path):
    raw = extract(write(tmp_path, "bom.txt", b"\xef\xbb\xbfFictional text"))
    assert raw.pages[0].text == "Fictional text"


def test_utf16_with_byte_order_mark_is_decoded(tmp_path):
    raw = extract(write(tmp_path, "u16.txt", "Fictional \u00e9\n".encode("utf-16")))
    assert raw.pages[0].text.startswith("Fictional \u00e9")


def test_password_protected_pdf_raises_encrypted_document_error(tmp_path):
    path = _encrypted_pdf(tmp_path, user_password="secret")
    with pytest.raises(EncryptedDocumentError) as info:
        extract(path)
    assert str(path) in str(info.value)
    assert "unencrypted" in str(info.value)


def test_pdf_encrypted_with_an_empty_user_password_opens(tmp_path):
    path = _encrypted_pdf(tmp_path, user_password="")
    raw = extract(path)
    assert raw.page_count == 2
    assert "Fictional Act" in raw.pages[0].text


def test_aes_pdf_without_crypto_dependency_raises_encrypted_document_error(tmp_path, monkeypatch):
    path = _encrypted_pdf(tmp_path, user_password="")

    def no_crypto(self, password):
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(PdfReader, "decrypt", no_crypto)
    with pytest.raises(EncryptedDocumentError, match="cryptography") as info:
        extract(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\nthis is not really a PDF\n",
        pdf_bytes([["FICTIONAL ACT, section 1 of Nowhere"] * 5] * 3)[:300],
        b"%PDF-1.7\n" + bytes(range(256)) * 4,
    ],
    ids=["garbage-after-header", "truncated", "binary-noise"],
)
def test_corrupt_pdf_raises_corrupt_document_error_naming_the_file(tmp_path, data):
    path = write(tmp_path, "broken.pdf", data)
    with pytest.raises(CorruptDocumentError) as info:
        extract(path)
    assert str(path) in str(info.value)


def test_pdf_extension_on_a_non_pdf_is_corrupt(tmp_path):
    path = write(tmp_path, "law.pdf", "This is an HTML error page saved as PDF (fictional).")
    with pytest.raises(CorruptDocumentError):
        extract(path)


def test_pdf_without_text_layer_needs_ocr_with_its_page_count(tmp_path):
    path = write_pdf(tmp_path / "scan.pdf", [[], [], ["7"], []])
    with pytest.raises(NeedsOcrError) as info:
        extract(path)
    assert info.value.page_count == 4
    assert str(path) in str(info.value)
    assert "ocr" in str(info.value).lower()


def test_damaged_docx_is_corrupt(tmp_path):
    path = write(tmp_path, "law.docx", b"PK\x03\x04" + b"not really a zip" * 20)
    with pytest.raises(CorruptDocumentError) as info:
        extract(path)
    assert str(path) in str(info.value)


def test_password_protected_docx_is_encrypted(tmp_path):
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100
    path = write(tmp_path, "secret.docx", body)
    with pytest.raises(EncryptedDocumentError):
        extract(path)


def test_error_messages_are_one_line_with_what_to_do(tmp_path):
    path = write(tmp_path, "broken.pdf", b"%PDF-1.4\ngarbage\n")
    with pytest.raises(CorruptDocumentError) as info:
        extract(path)
    message = str(info.value)
    assert "\n" not in message
    assert " — " in message  # the hint follows the dash


# ------------------------------------------------------------------------------- PDF


def test_pdf_pages_are_numbered_from_one_in_order(tmp_path):
    path = write_pdf(tmp_path / "act.pdf", [
        ["FICTIONAL ACT OF NOWHERE", "1. This Act may be cited as the Fictional Act."],
        ["2. Trafficking in fictional persons is an offence."],
    ])
    raw = extract(path)
    assert raw.format == "pdf"
    assert raw.page_count == 2
    assert [p.number for p in raw.pages] == [1, 2]
    assert "Fictional Act" in raw.pages[0].text
    assert "offence" in raw.pages[1].text


def test_pdf_latin_text_round_trips(tmp_path):
    path = write_pdf(tmp_path / "ley.pdf", [["Art\u00edculo 1\u00ba \u2014 Ley ficticia de trata de personas."] * 2])
    assert "Art\u00edculo 1\u00ba \u2014 Ley ficticia" in extract(path).pages[0].text


def test_pdf_with_a_blank_page_among_text_pages_is_not_a_scan(tmp_path):
    path = write_pdf(tmp_path / "act.pdf", [["FICTIONAL ACT: the long title of a fictional law"] * 3, []])
    raw = extract(path)
    assert raw.page_count == 2
    assert raw.pages[1].text.strip() == ""


def test_page_that_fails_to_extract_is_corrupt_and_names_the_page(tmp_path, monkeypatch):
    path = write_pdf(tmp_path / "act.pdf", [["FICTIONAL ACT page one text"] * 3] * 3)
    from pypdf import PageObject

    original = PageObject.extract_text
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyError("/Font")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PageObject, "extract_text", flaky)
    with pytest.raises(CorruptDocumentError) as info:
        extract(path)
    assert info.value.page == 2
    assert "(page 2)" in str(info.value)


# -------------------------------------------------------------------------- Markdown

MARKDOWN = """---
title: "Ley Ficticia N&ordm; 1 de Nowhere"
identifier: FICT-1
---
<!-- FICTIONAL test document: not a real law. -->
# LEY FICTICIA

## TITULO I

####Disposiciones generales

**ARTICULO 1º**— Objeto. La presente ley *ficticia* tiene

por objeto [prevenir](http://example.invalid/x) la trata. ![sello](sello.png)

**ARTICULO 2º.** Definiciones con \\*asterisco\\* y guion\\_bajo.

***

| Col A | Col B |
| --- | --- |
| uno | dos |

     **I. OBJETIVO:  
**

   Texto sangrado con __negrita__ en medio y snake_case_name intacto.
"""


def test_markdown_front_matter_title_goes_to_metadata_and_leaves_the_text(tmp_path):
    raw = extract(write(tmp_path, "ley.md", MARKDOWN))
    assert raw.metadata["title"] == "Ley Ficticia Nº 1 de Nowhere"
    assert "identifier" not in raw.pages[0].text
    assert "FICTIONAL test document" not in raw.pages[0].text


def test_markdown_headings_become_hints_with_their_level(tmp_path):
    raw = extract(write(tmp_path, "ley.md", MARKDOWN))
    hints = hint_texts(raw)
    assert ("LEY FICTICIA", 1) in hints
    assert ("TITULO I", 2) in hints
    assert ("Disposiciones generales", 4) in hints  # malformed "####Foo" without a space


def test_markdown_bold_paragraph_start_becomes_level_7_hint(tmp_path):
    raw = extract(write(tmp_path, "ley.md", MARKDOWN))
    hints = hint_texts(raw)
    assert ("ARTICULO 1º", BOLD_LEVEL) in hints
    assert ("ARTICULO 2º.", BOLD_LEVEL) in hints
    assert ("I. OBJETIVO:", BOLD_LEVEL) in hints  # bold closed alone on the next line


def test_markdown_inline_markup_is_stripped_and_text_kept(tmp_path):
    text = extract(write(tmp_path, "ley.md", MARKDOWN)).pages[0].text
    assert "ARTICULO 1º— Objeto. La presente ley ficticia tiene" in text
    assert "por objeto prevenir la trata." in text
    assert "sello" not in text and "http" not in text
    assert "Definiciones con *asterisco* y guion_bajo." in text
    assert "uno | dos" in text and "---" not in text
    assert "Texto sangrado con negrita en medio y snake_case_name intacto." in text
    for marker in ("**", "#", "<!--"):
        assert marker not in text


def test_markdown_bullet_markers_are_stripped_but_item_numbers_kept(tmp_path):
    source = "- (1) First fictional recital.\n* second item\n+ third item\n1. Numbered item\n- - -\n"
    text = extract(write(tmp_path, "a.md", source)).pages[0].text
    assert text.split("\n") == ["(1) First fictional recital.", "second item", "third item", "1. Numbered item", "", ""]


def test_markdown_keeps_line_structure(tmp_path):
    source = "# A\n\nline one\nline two\n\n### B\n"
    text = extract(write(tmp_path, "a.md", source)).pages[0].text
    assert text.split("\n") == ["A", "", "line one", "line two", "", "B", ""]


def test_markdown_hint_offsets_point_at_the_heading_words(tmp_path):
    raw = extract(write(tmp_path, "a.md", "intro\n\n### Section 3. Fictional offences ###\n\nbody\n"))
    text = raw.pages[0].text
    (hint,) = raw.pages[0].headings
    assert text[hint.start:hint.end] == "Section 3. Fictional offences"
    assert hint.level == 3


def test_markdown_link_wrapped_across_lines_keeps_its_text(tmp_path):
    raw = extract(write(tmp_path, "a.md", "derogado por la*[Ley\n\nN° 1](http://example.invalid)*x\n"))
    assert "[" not in raw.pages[0].text and "N° 1" in raw.pages[0].text


def test_markdown_quoted_amendment_is_not_a_bold_hint(tmp_path):
    raw = extract(write(tmp_path, "a.md", '"**SEC. 2. Fictional.** — Text quoted by an amending act."\n'))
    assert raw.pages[0].headings == []


# ------------------------------------------------------------------------------ HTML


def test_html_declared_latin1_is_read_as_windows_1252(tmp_path):
    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
            "<title>Lei fict\xedcia</title></head><body><p>\x93Tr\xe1fico\x94 \x96 fict\xedcio</p></body></html>")
    raw = extract(write(tmp_path, "lei.html", page.encode("latin-1")))
    assert raw.pages[0].text == "\u201cTr\u00e1fico\u201d \u2013 fict\u00edcio"
    assert raw.metadata["title"] == "Lei fict\u00edcia"


def test_html_meta_charset_utf8_is_honoured(tmp_path):
    page = '<html><head><meta charset="utf-8"></head><body><p>Tr\u00e1fico de pessoas (fict\u00edcio)</p></body></html>'
    raw = extract(write(tmp_path, "lei.html", page.encode("utf-8")))
    assert raw.pages[0].text == "Tr\u00e1fico de pessoas (fict\u00edcio)"


HTML = """<html><head><title>T</title><style>p { color: red }</style>
<script>var x = "not law";</script></head>
<body>
<!-- FICTIONAL test document -->
<h4>CAP\u00cdTULO VI</h4>
<p>DOS CRIMES FICT\u00cdCIOS</p>
<div class="artigo"><p><strong>Art. 149-A: </strong>Agenciar,   aliciar
 pessoa fict\u00edcia<br>segunda linha</p>
<div class="inciso"><p>I - remover <b>\u00f3rg\u00e3os</b>;</p></div></div>
<table><tr><td>c\u00e9lula 1</td><td>c\u00e9lula 2</td></tr></table>
</body></html>"""


def test_html_blocks_become_lines_and_scripts_styles_head_are_dropped(tmp_path):
    raw = extract(write(tmp_path, "lei.html", HTML))
    lines = raw.pages[0].text.split("\n")
    assert lines == [
        "CAP\u00cdTULO VI",
        "DOS CRIMES FICT\u00cdCIOS",
        "Art. 149-A: Agenciar, aliciar pessoa fict\u00edcia",
        "segunda linha",
        "I - remover \u00f3rg\u00e3os;",
        "c\u00e9lula 1",
        "c\u00e9lula 2",
    ]


def test_html_headings_and_leading_bold_give_hints(tmp_path):
    raw = extract(write(tmp_path, "lei.html", HTML))
    hints = hint_texts(raw)
    assert ("CAP\u00cdTULO VI", 4) in hints
    assert ("Art. 149-A:", BOLD_LEVEL) in hints
    assert all(text != "\u00f3rg\u00e3os" for text, _ in hints)  # bold mid-paragraph is not a heading


# ------------------------------------------------------------------------------- TXT


def test_txt_is_kept_as_is_with_newlines_normalised(tmp_path):
    raw = extract(write(tmp_path, "a.txt", b"FICTIONAL ACT\r\n\r\n1. Short title.\rEnd  \n"))
    assert raw.format == "txt"
    assert raw.pages[0].text == "FICTIONAL ACT\n\n1. Short title.\nEnd  \n"
    assert raw.pages[0].number is None


# ------------------------------------------------------------------------------ DOCX


def test_docx_paragraphs_tables_and_heading_styles(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.core_properties.title = "Fictional Act"
    document.add_heading("FICTIONAL ACT OF NOWHERE", level=1)
    document.add_heading("Part II \u2014 Offences", level=2)
    para = document.add_paragraph()
    para.add_run("Section 4.").bold = True
    para.add_run(" Trafficking in fictional persons is an offence.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Offence"
    table.cell(0, 1).text = "Penalty: 10 fictional years"
    document.add_paragraph("After the table.")
    path = tmp_path / "act.docx"
    document.save(str(path))

    raw = extract(path)
    assert raw.format == "docx"
    assert raw.pages[0].number is None
    assert raw.metadata["title"] == "Fictional Act"
    assert raw.pages[0].text.split("\n") == [
        "FICTIONAL ACT OF NOWHERE",
        "Part II \u2014 Offences",
        "Section 4. Trafficking in fictional persons is an offence.",
        "Offence",
        "Penalty: 10 fictional years",
        "After the table.",
    ]
    assert hint_texts(raw) == [
        ("FICTIONAL ACT OF NOWHERE", 1),
        ("Part II \u2014 Offences", 2),
        ("Section 4.", BOLD_LEVEL),
    ]


# ------------------------------------------------------------------------ real corpus


def corpus_entries(corpus_dir: Path, fmt: str | None = None) -> list[dict]:
    entries = yaml.safe_load((corpus_dir / "manifest.yaml").read_text(encoding="utf-8"))
    return [e for e in entries if fmt is None or Path(e["path"]).suffix.lstrip(".") == fmt]


@pytest.mark.corpus
def test_every_corpus_pdf_extracts_with_pypdf_page_count_or_needs_ocr(corpus_dir):
    pdfs = corpus_entries(corpus_dir, "pdf")
    assert len(pdfs) >= 5
    for entry in pdfs:
        path = corpus_dir / entry["path"]
        expected_pages = len(PdfReader(str(path)).pages)
        if path.parent.name == "pak":
            with pytest.raises(NeedsOcrError) as info:
                extract(path)
            assert info.value.page_count == 5 == expected_pages
            continue
        raw = extract(path)
        assert raw.page_count == expected_pages == len(raw.pages), entry["path"]
        assert [p.number for p in raw.pages] == list(range(1, expected_pages + 1))
        with_text = [p for p in raw.pages if p.text.strip()]
        assert all(p.text for p in raw.pages), entry["path"]
        # A blank closing page is allowed (gbr toolkit); otherwise every page has text.
        assert len(with_text) >= expected_pages - 1, entry["path"]


@pytest.mark.corpus
def test_every_corpus_markup_document_extracts_with_heading_hints(corpus_dir):
    entries = [e for e in corpus_entries(corpus_dir) if Path(e["path"]).suffix in (".md", ".html", ".txt", ".docx")]
    assert entries
    for entry in entries:
        raw = extract(corpus_dir / entry["path"])
        text = raw.pages[0].text
        assert text.strip(), entry["path"]
        assert raw.pages[0].headings, entry["path"]
        for hint in raw.pages[0].headings:
            assert 0 <= hint.start < hint.end <= len(text)
        for marker in ("<!--", "](http"):
            assert marker not in text, (entry["path"], marker)
        # Escaped "(\*\*)" notes legitimately leave "(**)"; bold markup does not remain.
        assert not re.search(r"\*\*[^\W\d_]|[^\W\d_]\*\*", text), entry["path"]


@pytest.mark.corpus
def test_corpus_markdown_front_matter_title_is_read(corpus_dir):
    raw = extract(corpus_dir / "per" / "ds-001-2016-in-reglamento-ley-28950.md")
    assert raw.metadata["title"].startswith("Decreto Supremo que aprueba el Reglamento de la Ley N\u00ba 28950")


# ----------------------------------------------------------------------------- helpers


def _encrypted_pdf(tmp_path: Path, user_password: str) -> Path:
    source = pdf_bytes([["Fictional Act of Nowhere, section 1."] * 3, ["Section 2 of the fictional act."] * 3])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    writer.encrypt(user_password=user_password, owner_password="owner-fictional", algorithm="RC4-128")
    path = tmp_path / f"encrypted-{user_password or 'empty'}.pdf"
    writer.write(path)
    return path
