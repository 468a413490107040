"""The catalogue against the real SQLite engine: whole-document replacement, survival across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.catalog import Catalog
from kb.errors import NotFoundError
from kb.ids import provision_id
from kb.models import CleanDocument, DocumentRecord, Provision, Segmentation


def _record(doc_id: str = "d1", sha: str = "a" * 64) -> DocumentRecord:
    return DocumentRecord(
        id=doc_id, path="/x/fictional.md", country="XAA", title="Fictional", language="en", format="md",
        sha256=sha, pipeline_version="test", status="indexed", provisions=2,
    )


def _seg(doc_id: str, text: str, numbers: list[str]) -> Segmentation:
    provisions = []
    for i, n in enumerate(numbers):
        start = text.index(f"{n}.")
        end = start + len(f"{n}. x")
        provisions.append(Provision(
            id=provision_id("a" * 64, [n]), doc_id=doc_id, kind="section", label=n, number=n,
            citation=f"Section {n}", text=text[start:end], start=start, end=end, language="en", ordinal=i,
        ))
    return Segmentation(provisions=provisions)


def test_a_document_survives_reopening_the_catalogue(tmp_path: Path) -> None:
    text = "1. x\n2. x\n"
    cat = Catalog(tmp_path / "c.sqlite")
    cat.replace_document(_record(), CleanDocument(text=text), _seg("d1", text, ["1", "2"]))
    cat.close()
    again = Catalog(tmp_path / "c.sqlite")
    assert [p.number for p in again.provisions("d1")] == ["1", "2"]
    assert again.text("d1")[0] == text
    assert again.document("d1").indexed_at


def test_replacing_a_document_leaves_none_of_its_old_provisions(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    text = "1. x\n2. x\n3. x\n"
    cat.replace_document(_record(), CleanDocument(text=text), _seg("d1", text, ["1", "2", "3"]))
    cat.replace_document(_record(), CleanDocument(text="1. x\n"), _seg("d1", "1. x\n", ["1"]))
    assert [p.number for p in cat.provisions("d1")] == ["1"]
    assert cat.provision_counts() == {"d1": 1}


def test_a_failed_write_keeps_the_previous_version(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    text = "1. x\n2. x\n"
    cat.replace_document(_record(), CleanDocument(text=text), _seg("d1", text, ["1", "2"]))
    broken = _seg("d1", text, ["1", "2"])
    broken.provisions[1] = broken.provisions[1].model_copy(update={"id": broken.provisions[0].id})  # duplicate key
    with pytest.raises(Exception):
        cat.replace_document(_record(), CleanDocument(text=text), broken)
    assert [p.number for p in cat.provisions("d1")] == ["1", "2"]


def test_asking_for_an_unknown_document_lists_the_known_ones(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    cat.replace_document(_record("known"))
    with pytest.raises(NotFoundError, match="known"):
        cat.document("unknown")
