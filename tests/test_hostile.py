"""Hostile and broken documents: each fails alone, with a clear reason, within the
per-document time and memory budget, while the good document of the batch is indexed.

Encrypted, corrupt, empty, scanned and non-UTF-8 files are in test_bad_input.py; here are
decompression bombs, many pages, wrong extensions, binary "text", and documents that
exceed a (deliberately tiny) time or memory budget. Every file is built by the test;
all content is FICTIONAL.
"""

from __future__ import annotations

import shutil
import sys
import time
import zlib
from pathlib import Path

import docx
import pytest
from conftest import run_ctkb

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from minipdf import pdf_bytes  # noqa: E402


def _law_pages(count: int) -> list[list[str]]:
    return [[f"Section {n}. Fictional duty number {n}",
             f"(1) The Registrar of Arcadia shall keep fictional register {n} open to the public."]
            for n in range(1, count + 1)]


def _bomb_pdf(expanded_mb: int = 100) -> bytes:
    """One page whose FlateDecode content stream is ~100 KB on disk and expands to 100 MB."""
    payload = zlib.compress(b"BT /F1 11 Tf 72 760 Td (Section 1. Bomb) Tj ET\n" + b" " * (expanded_mb << 20), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(payload) + payload + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _docx(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Fictional Registers Act of Arcadia")
    for n in range(1, 4):
        document.add_paragraph(f"Section {n}. Fictional register {n}")
        document.add_paragraph(f"(1) The Registrar shall keep fictional register {n} open to the public.")
    document.save(str(path))


def _manifest(root: Path, entries: list[tuple[str, str]]) -> Path:
    lines = [f"- {{id: {i}, path: {p}, country: XAA, title: Fictional {i}, language: en}}" for i, p in entries]
    path = root / "manifest.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(output: str, needle: str) -> str:
    lines = [line for line in output.splitlines() if needle in line and "✗" in line]
    assert lines, f"no error line naming {needle!r} in:\n{output}"
    return lines[0]


def _row(output: str, doc_id: str) -> str:
    rows = [line for line in output.splitlines() if line.startswith(f"│ {doc_id} ")]
    assert rows, f"no summary row for {doc_id!r} in:\n{output}"
    return rows[0]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path) -> tuple[Path, str, float]:
    """One batch with default budgets: the good document and every hostile kind."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copy(sample_corpus / "xaa" / "trafficking-in-persons-act-2021.md", root / "good.md")
    (root / "bomb.pdf").write_bytes(_bomb_pdf())
    (root / "many-pages.pdf").write_bytes(pdf_bytes(_law_pages(400)))
    (root / "pdf-named.txt").write_bytes(pdf_bytes(_law_pages(3)))
    _docx(root / "docx-named.pdf")
    (root / "binary.txt").write_bytes(b"Section 1. Fictional\n" + bytes(range(256)) * 64)
    half = pdf_bytes(_law_pages(40))
    (root / "truncated.pdf").write_bytes(half[: len(half) // 3])
    manifest = _manifest(root, [
        ("bomb", "bomb.pdf"), ("many-pages", "many-pages.pdf"), ("pdf-named-txt", "pdf-named.txt"),
        ("docx-named-pdf", "docx-named.pdf"), ("binary", "binary.txt"), ("truncated", "truncated.pdf"),
        ("good", "good.md"),
    ])
    start = time.monotonic()
    result = run_ctkb("index", "--no-embed", "--manifest", str(manifest), home=root / "home")
    return root, result.stdout + result.stderr, time.monotonic() - start


def test_the_good_document_is_indexed_alongside_the_hostile_ones(batch) -> None:
    _, out, _ = batch
    assert "indexed" in _row(out, "good")
    assert "Traceback" not in out
    assert "internal error" not in out


def test_a_decompression_bomb_fails_quickly_saying_it_expands_past_the_limit(batch) -> None:
    root, out, seconds = batch
    line = _line(out, "bomb.pdf")
    assert "decompression bomb" in line and "safety limit" in line
    assert str(root) in line


def test_a_pdf_of_hundreds_of_pages_is_indexed_within_the_budget(batch) -> None:
    _, out, _ = batch
    row = _row(out, "many-pages")
    assert "indexed" in row and " 400 " in row


def test_a_pdf_named_txt_is_read_as_a_pdf_with_a_note(batch) -> None:
    _, out, _ = batch
    row = _row(out, "pdf-named-txt")
    assert "indexed" in row
    assert "read as PDF from its content" in out


def test_a_docx_named_pdf_is_read_as_a_docx_with_a_note(batch) -> None:
    _, out, _ = batch
    assert "indexed" in _row(out, "docx-named-pdf")
    assert "read as DOCX from its content" in out


def test_binary_data_in_a_txt_file_fails_as_a_binary_file(batch) -> None:
    _, out, _ = batch
    line = _line(out, "binary.txt")
    assert "is a binary file, not text" in line and "right file" in line


def test_a_truncated_pdf_fails_with_a_reason_or_is_read_as_far_as_it_goes(batch) -> None:
    _, out, _ = batch
    row = _row(out, "truncated")
    assert "indexed" in row or "re-download or re-export" in _line(out, "truncated.pdf")


def test_a_document_past_the_time_budget_is_stopped_and_the_next_one_is_indexed(
        tmp_path: Path, sample_corpus: Path) -> None:
    (tmp_path / "slow.pdf").write_bytes(pdf_bytes(_law_pages(3000)))
    shutil.copy(sample_corpus / "xaa" / "trafficking-in-persons-act-2021.md", tmp_path / "good.md")
    manifest = _manifest(tmp_path, [("slow", "slow.pdf"), ("good", "good.md")])
    result = run_ctkb("index", "--no-embed", "--manifest", str(manifest), home=tmp_path / "home",
                      env={"CTKB_DOC_TIMEOUT": "1.5"})
    out = result.stdout + result.stderr
    line = _line(out, "slow.pdf")
    assert "took longer than 1.5 s" in line and "CTKB_DOC_TIMEOUT" in line
    assert "indexed" in _row(out, "good")


def test_a_document_past_the_memory_budget_fails_and_the_next_one_is_indexed(
        tmp_path: Path, sample_corpus: Path) -> None:
    section = "Section {n}. Fictional duty\n(1) The Registrar of Arcadia shall keep fictional register {n}.\n"
    (tmp_path / "huge.txt").write_text("".join(section.format(n=n) for n in range(1, 60001)), encoding="utf-8")
    shutil.copy(sample_corpus / "xaa" / "trafficking-in-persons-act-2021.md", tmp_path / "good.md")
    manifest = _manifest(tmp_path, [("huge", "huge.txt"), ("good", "good.md")])
    result = run_ctkb("index", "--no-embed", "--manifest", str(manifest), home=tmp_path / "home",
                      env={"CTKB_DOC_MEMORY_MB": "48"})
    out = result.stdout + result.stderr
    line = _line(out, "huge.txt")
    assert "needed more than 48 MB" in line and "CTKB_DOC_MEMORY_MB" in line
    assert "indexed" in _row(out, "good")
