"""Adding, replacing and removing a document (kb.library), as the Documents page does, against
the real catalogue, Qdrant Edge store and encoders; the sample corpus is fictional."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st

from kb.app_data import board, latest_run, library_key
from kb.errors import NotFoundError
from kb.knowledge import KnowledgeBase
from kb.library import UploadError, UploadMeta, add_document, check_upload, detect_format, remove_document
from kb.rubric import load_rubric
from kb.settings import Settings

LAW = (REPO / "tests" / "fixtures" / "xad-upload-act.txt").read_bytes()
META = UploadMeta(country="XAD", title="Human Trafficking Act 2024 (fictional)", year=2024, kind="act")


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory, sample_home: Path):
    home = tmp_path_factory.mktemp("library") / "home"
    shutil.copytree(sample_home, home)
    kb = KnowledgeBase(Settings(home=home, max_upload_mb=1))
    yield kb
    kb.close()


def _countries(kb) -> set[str]:
    run = latest_run(kb.catalog)
    return set(board(kb.catalog, run, load_rubric(run.rubric_path)).countries)


# -- type detection and checks (no engine) ------------------------------------------------

def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("data, name, fmt", [
    (b"%PDF-1.7\n...", "law.txt", "pdf"),
    (_docx(), "law.pdf", "docx"),
    (b"<!DOCTYPE html><html><body><p>Art 1</p></body></html>", "law.txt", "html"),
    (b"# Act\n\n## Part I\n\n### 1. Title\n", "law.txt", "md"),
    (b"1. Short title\nThis Act may be cited as the Act.\n", "law.pdf", "txt"),
    (LAW, "law.pdf", "txt"),  # numbered sections are no sign of Markdown
])
def test_the_type_comes_from_the_bytes_not_the_file_name(data: bytes, name: str, fmt: str) -> None:
    assert detect_format(data, name) == fmt


@pytest.mark.parametrize("data, words", [
    (b"", "is empty"),
    (b"PK\x03\x04not a zip", "not a Word document"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary file"),
    (b"Art\xedculo 1", "not valid UTF-8 text (line 1, byte 0xed)"),
])
def test_unreadable_uploads_are_refused_with_the_file_name_and_what_to_do(data: bytes, words: str) -> None:
    with pytest.raises(UploadError) as info:
        detect_format(data, "upload.bin")
    assert words in str(info.value) and str(info.value).startswith("upload.bin: ") and info.value.hint


@given(st.binary(max_size=2000))
def test_any_bytes_get_a_type_or_a_clear_refusal(data: bytes) -> None:
    try:
        assert detect_format(data, "x") in {"pdf", "docx", "html", "md", "txt"}
    except UploadError as exc:
        assert exc.hint


def test_an_upload_over_the_size_limit_is_refused_before_anything_is_written(kb) -> None:
    before = sorted(p.name for p in kb.settings.home.iterdir())
    with pytest.raises(UploadError, match="over the 1 MB limit") as info:
        add_document(kb, LAW + b"x" * (1024 * 1024), "big.txt", META)
    assert "CTKB_MAX_UPLOAD_MB" in info.value.hint
    assert sorted(p.name for p in kb.settings.home.iterdir()) == before


def test_bad_metadata_is_refused_naming_the_field(kb) -> None:
    with pytest.raises(UploadError, match="country"):
        check_upload(kb, LAW, "law.txt", META.model_copy(update={"country": "Dunmore"}))


def test_an_id_already_in_the_library_is_refused_unless_replacing(kb) -> None:
    with pytest.raises(UploadError, match="already in the library"):
        check_upload(kb, LAW, "law.txt", META.model_copy(update={"id": "xaa-tip-act-2021"}))
    with pytest.raises(NotFoundError, match="no document 'nope'"):
        check_upload(kb, LAW, "law.txt", META, replace="nope")


# -- add, replace, remove with the real engine --------------------------------------------

def test_an_upload_is_stored_by_hash_indexed_embedded_and_scored_into_every_view(kb) -> None:
    assert "XAD" not in _countries(kb)
    steps: list[tuple[float, str]] = []
    result = add_document(kb, LAW, "../../etc/passwd.txt", META, progress=lambda share, step: steps.append((share, step)))
    assert result.status == "indexed" and result.provisions == 5, result
    assert result.doc_id == "xad-human-trafficking-act-2024-fictional"
    record = kb.catalog.document(result.doc_id)
    stored = Path(record.path)
    assert stored.parent == kb.settings.home / "uploads" and stored.read_bytes() == LAW  # never the user's name
    assert stored.stem == record.sha256
    assert record.format == "txt" and record.language == "en" and record.embedded and kb.store.count(result.doc_id) == record.chunks > 0
    assert latest_run(kb.catalog).id == result.run_id
    assert "XAD" in _countries(kb)
    shares = [s for s, _ in steps]
    assert shares == sorted(shares) and shares[-1] == 1.0 and any("Scored" in step for _, step in steps)


def test_replacing_a_document_keeps_its_id_and_leaves_no_old_provision_or_point(kb) -> None:
    doc_id = "xad-human-trafficking-act-2024-fictional"
    old = {p.id for p in kb.catalog.provisions(doc_id)}
    key = library_key(kb.catalog)
    changed = LAW.replace(b"fifteen years", b"twenty years") + b"\n6. Commencement\nThis Act comes into force.\n"
    result = add_document(kb, changed, "new-version.txt", META, replace=doc_id)
    assert result.status == "indexed" and result.doc_id == doc_id and result.provisions == 6
    new = kb.catalog.provisions(doc_id)
    assert not old & {p.id for p in new}
    record = kb.catalog.document(doc_id)
    assert kb.store.count(doc_id) == record.chunks
    ids = {pt.payload["provision_id"] for pt in kb.store.scroll(doc_id=doc_id, with_vectors=False)}
    assert ids <= {p.id for p in new}
    assert library_key(kb.catalog) != key


def test_an_unreadable_upload_is_recorded_as_failed_with_its_reason_and_not_scored(kb) -> None:
    runs = latest_run(kb.catalog).id
    result = add_document(kb, b"%PDF-1.4\n garbage that is no pdf", "broken.pdf",
                          UploadMeta(country="XAE", title="Broken gazette (fictional)"))
    assert result.status == "failed" and "is not a readable PDF" in result.message
    assert kb.catalog.document(result.doc_id).status == "failed"
    assert latest_run(kb.catalog).id == runs


def test_removing_a_document_takes_its_provisions_and_vectors_and_it_leaves_the_views(kb) -> None:
    doc_id = "xad-human-trafficking-act-2024-fictional"
    remove_document(kb, doc_id)
    assert kb.catalog.find_document(doc_id) is None and kb.catalog.provisions(doc_id) == []
    assert kb.store.count(doc_id) == 0
    assert "XAD" not in _countries(kb)
    with pytest.raises(NotFoundError, match="known documents: "):
        remove_document(kb, doc_id)


# -- a scanned upload, read by OCR (real Tesseract) ----------------------------------------

def test_a_scanned_pdf_is_read_by_ocr_a_page_at_a_time_with_progress_and_flagged(kb, tmp_path: Path) -> None:
    from scans import XANDRIA_ACT, image_only_pdf

    from kb.ocr_quality import ocr_caveat

    data = image_only_pdf(XANDRIA_ACT, tmp_path / "xandria-scan.pdf").read_bytes()
    steps: list[tuple[float, str]] = []
    result = add_document(kb, data, "xandria-scan.pdf",
                          UploadMeta(country="XAX", title="Anti-Trafficking Act 2025 (fictional scan)", kind="act"),
                          progress=lambda share, step: steps.append((share, step)))
    assert result.status == "indexed", result
    pages = [step for _, step in steps if step.startswith("OCR page ")]
    assert pages == [f"OCR page {k} of 2" for k in (1, 2)], steps
    shares = [s for s, _ in steps]
    assert shares == sorted(shares) and shares[-1] == 1.0
    record = kb.catalog.document(result.doc_id)
    assert record.format == "pdf" and record.ocr_pages == 2 == result.ocr_pages
    assert 0.5 < record.ocr_confidence <= 1 and result.ocr_confidence == record.ocr_confidence
    provisions = [p for p in kb.catalog.provisions(result.doc_id) if p.parent_id is None]
    assert len(provisions) >= 3 and all(p.ocr_confidence is not None for p in provisions), provisions
    assert any("Non-punishment" in p.text for p in provisions)
    assert ocr_caveat(provisions[0].ocr_confidence).startswith("text from OCR, check against the original")
    assert "XAX" in _countries(kb)  # scored into the views like any upload
