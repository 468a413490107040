"""Bad input: each broken document fails alone with a one-line reason; the rest are indexed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_ctkb
from pypdf import PdfWriter


def _blank_pdf(path: Path, pages: int = 2, password: str | None = None) -> None:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    with open(path, "wb") as handle:
        writer.write(handle)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path) -> tuple[Path, str, str]:
    root = tmp_path_factory.mktemp("bad")
    shutil.copy(sample_corpus / "xaa" / "trafficking-in-persons-act-2021.md", root / "good.md")
    _blank_pdf(root / "encrypted.pdf", password="secret")
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf\n")
    (root / "empty.txt").write_bytes(b"")
    _blank_pdf(root / "scan.pdf", pages=3)
    (root / "latin1.txt").write_bytes("Article 1\nLa présente loi est fictive.\n".encode("latin-1"))
    entries = [
        ("good", "good.md"), ("encrypted", "encrypted.pdf"), ("corrupt", "corrupt.pdf"),
        ("empty", "empty.txt"), ("scan", "scan.pdf"), ("latin1", "latin1.txt"),
    ]
    lines = [f"- {{id: {i}, path: {p}, country: XAA, title: Fictional {i}}}" for i, p in entries]
    lines.append("- {id: nocountry, path: good.md, title: Missing country}")
    (root / "manifest.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_ctkb("index", "--manifest", str(root / "manifest.yaml"), home=root / "home")
    return root, result.stdout, result.stderr


def _error_line(output: str, needle: str) -> str:
    lines = [line for line in output.splitlines() if needle in line and "✗" in line]
    assert lines, f"no error line naming {needle!r} in:\n{output}"
    return lines[0]


def test_the_good_document_of_the_batch_is_indexed(batch) -> None:
    root, out, _ = batch
    assert "indexed 1," in out
    docs = run_ctkb("docs", "--json", home=root / "home", check=True).stdout
    assert '"good"' in docs


@pytest.mark.parametrize(
    ("file", "advice"),
    [
        ("encrypted.pdf", "unencrypted copy"),
        ("corrupt.pdf", "re-download or re-export"),
        ("empty.txt", "no text"),
        ("scan.pdf", "OCR"),
        ("latin1.txt", "UTF-8"),
    ],
)
def test_each_bad_document_gets_one_line_naming_the_file_and_what_to_do(batch, file: str, advice: str) -> None:
    root, out, _ = batch
    line = _error_line(out, file)
    assert advice in line
    assert str(root) in line  # the full path, so the user can find the file


def test_the_scan_error_gives_its_page_count(batch) -> None:
    _, out, _ = batch
    assert "3 page(s)" in _error_line(out, "scan.pdf")


def test_the_non_utf8_file_error_names_the_line(batch) -> None:
    _, out, _ = batch
    assert "line 2" in _error_line(out, "latin1.txt")


def test_a_manifest_entry_missing_a_field_is_named_and_skipped(batch) -> None:
    _, out, err = batch
    assert "[6 -> country] field required" in out + err


def test_no_traceback_reaches_the_user(batch) -> None:
    _, out, err = batch
    assert "Traceback" not in out + err
