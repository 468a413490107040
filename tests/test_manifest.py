"""Manifest validation: bad entries are reported by index and field, the rest proceed."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.manifest import load_manifest
from kb.errors import ManifestError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "a.txt").write_text("Section 1. Fictional.\n", encoding="utf-8")
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_real_manifest_validates_without_errors(corpus_dir: Path) -> None:
    entries, errors = load_manifest(corpus_dir / "manifest.yaml")
    assert errors == []
    assert len(entries) >= 25
    assert all(e.file.is_file() for e in entries)


def test_unknown_keys_are_kept_as_metadata(corpus_dir: Path) -> None:
    entries, _ = load_manifest(corpus_dir / "manifest.yaml")
    assert any("source_repo" in e.meta.extra for e in entries)


def test_an_entry_missing_a_required_field_is_reported_with_its_index_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "- {id: good, path: a.txt, country: ZMB, title: Good}\n- {id: bad, path: a.txt, title: No country}\n")
    entries, errors = load_manifest(path)
    assert [e.meta.id for e in entries] == ["good"]
    assert len(errors) == 1
    assert "[1 -> country] field required" in str(errors[0])
    assert errors[0].index == 1 and errors[0].field == "country"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("{id: x, path: a.txt, country: ZZQ9, title: T}", "country"),
        ("{id: x, path: a.txt, country: QQQ1, title: T}", "country"),
        ("{id: x, path: a.txt, country: ABC, title: T}", "country"),
        ("{id: x, path: missing.pdf, country: ZMB, title: T}", "path"),
        ("{id: x, path: a.txt, country: ZMB, title: T, year: twenty}", "year"),
        ("{id: x, path: a.txt, country: ZMB, title: T, format: odt}", "format"),
        ("{id: 'has space', path: a.txt, country: ZMB, title: T}", "id"),
    ],
)
def test_each_invalid_field_is_named(tmp_path: Path, entry: str, field: str) -> None:
    entries, errors = load_manifest(write(tmp_path, f"- {entry}\n"))
    assert entries == []
    assert errors and errors[0].field == field, [str(e) for e in errors]


def test_user_assigned_codes_are_valid_countries_for_fictional_documents(tmp_path: Path) -> None:
    entries, errors = load_manifest(write(tmp_path, "- {id: x, path: a.txt, country: xaa, title: T}\n"))
    assert errors == [] and entries[0].meta.country == "XAA"


def test_a_manifest_that_is_not_a_list_is_rejected_whole(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="YAML list"):
        load_manifest(write(tmp_path, "id: x\n"))
