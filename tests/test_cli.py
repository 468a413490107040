"""The ``ctkb`` command line end to end, on the fictional sample corpus and the real engine (SQLite)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, run_ctkb

from kb.cli import app


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path) -> Path:
    home = tmp_path_factory.mktemp("sample") / "home"
    run_ctkb("index", "--manifest", str(sample_corpus / "manifest.yaml"), home=home, check=True)
    return home


def test_every_cli_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert names, "no commands registered"
    missing = [n for n in names if not re.search(rf"^#+ .*`ctkb {n}\b", readme, re.M)]
    assert missing == [], f"commands without a README section: {missing}"


def test_docs_json_lists_each_sample_document_with_counts(sample_home: Path) -> None:
    docs = json.loads(run_ctkb("docs", "--json", home=sample_home, check=True).stdout)
    by_id = {d["id"]: d for d in docs}
    assert set(by_id) == {"xaa-tip-act-2021", "xab-ley-trata-2019", "xac-loi-traite-2018"}
    for doc in docs:
        assert {"id", "country", "title", "language", "pages", "provisions", "status"} <= set(doc)
        assert doc["status"] == "indexed"
    assert by_id["xaa-tip-act-2021"]["provisions"] == 10
    assert by_id["xab-ley-trata-2019"]["provisions"] == 9  # 7 artículos + 2 disposiciones finales
    assert by_id["xac-loi-traite-2018"]["provisions"] == 6
    assert by_id["xac-loi-traite-2018"]["language"] == "fr"


def test_show_json_gives_top_level_provisions_with_their_subsections(sample_home: Path) -> None:
    view = json.loads(run_ctkb("show", "xaa-tip-act-2021", "--json", home=sample_home, check=True).stdout)
    assert {"id", "title", "country", "language", "provisions"} <= set(view)
    numbers = [p["number"] for p in view["provisions"]]
    assert numbers == [str(n) for n in range(1, 11)]
    s3 = view["provisions"][2]
    assert s3["citation"] == "Section 3" and s3["heading"] == "Trafficking in persons"
    assert s3["pages"] is None  # Markdown has no pages
    assert [c["number"] for c in s3["children"]] == ["(1)", "(2)", "(3)"]
    for node in view["provisions"]:
        assert {"number", "citation", "heading", "pages", "text", "children"} <= set(node)


def test_show_one_provision_prints_its_citation_and_text(sample_home: Path) -> None:
    result = run_ctkb("show", "xab-ley-trata-2019", "--provision", "5", home=sample_home, check=True)
    assert "Artículo 5" in result.stdout
    assert "no son punibles" in result.stdout


def test_show_an_unknown_document_says_which_ones_exist(sample_home: Path) -> None:
    result = run_ctkb("show", "nope", home=sample_home)
    assert result.returncode == 1
    assert "no document 'nope'" in result.stderr and "xaa-tip-act-2021" in result.stderr
    assert "Traceback" not in result.stderr


def test_reindexing_an_unchanged_corpus_skips_every_document(sample_home: Path, sample_corpus: Path) -> None:
    result = run_ctkb("index", "--manifest", str(sample_corpus / "manifest.yaml"), home=sample_home, check=True)
    assert "indexed 0, skipped (unchanged) 3" in result.stdout


def test_a_changed_document_is_replaced_whole(tmp_path: Path, sample_corpus: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(sample_corpus, corpus)
    home = tmp_path / "home"
    run_ctkb("index", "--manifest", str(corpus / "manifest.yaml"), home=home, check=True)
    law = corpus / "xaa" / "trafficking-in-persons-act-2021.md"
    text = law.read_text(encoding="utf-8")
    cut = text.index("### 9. National Committee")
    law.write_text(text[:cut], encoding="utf-8")  # sections 9 and 10 removed
    result = run_ctkb("index", "--manifest", str(corpus / "manifest.yaml"), home=home, check=True)
    assert "indexed 1, skipped (unchanged) 2" in result.stdout
    view = json.loads(run_ctkb("show", "xaa-tip-act-2021", "--json", home=home, check=True).stdout)
    assert [p["number"] for p in view["provisions"]] == [str(n) for n in range(1, 9)]


def test_files_without_a_manifest_get_inferred_metadata_shown(tmp_path: Path, sample_corpus: Path) -> None:
    folder = tmp_path / "laws" / "xab"
    folder.mkdir(parents=True)
    shutil.copy(sample_corpus / "xab" / "ley-12-2019-trata-de-personas.txt", folder)
    home = tmp_path / "home"
    result = run_ctkb("index", str(tmp_path / "laws"), home=home, check=True)
    assert "country: XAB" in result.stdout and "language: es" in result.stdout
    docs = json.loads(run_ctkb("docs", "--json", home=home, check=True).stdout)
    assert docs[0]["country"] == "XAB" and docs[0]["language"] == "es"
    assert docs[0]["inferred"]["title"]


def test_docs_on_an_empty_knowledge_base_says_how_to_add_documents(tmp_path: Path) -> None:
    result = run_ctkb("docs", home=tmp_path / "empty", check=True)
    assert "ctkb index" in result.stdout


def test_search_json_gives_citable_hits_with_highlighted_words(sample_home: Path) -> None:
    hits = json.loads(run_ctkb("search", "non-punishment of victims", "--json", home=sample_home, check=True).stdout)
    assert hits, "no hits"
    for hit in hits:
        assert {"doc_id", "country", "title", "citation", "number", "pages", "score", "text"} <= set(hit)
    top = hits[0]
    assert (top["doc_id"], top["number"]) == ("xaa-tip-act-2021", "6")
    assert any(top["text"][s:e].lower().startswith("victim") for s, e in top["highlights"])


def test_an_english_query_finds_the_spanish_provision_when_searching_that_country(sample_home: Path) -> None:
    out = run_ctkb("search", "victims are not punished for crimes they were forced to commit", "--country", "XAB",
                   "--json", "--limit", "3", home=sample_home, check=True).stdout
    hits = json.loads(out)
    assert hits and all(h["country"] == "XAB" for h in hits)
    assert "5" in [h["number"] for h in hits]


def test_exact_search_ignores_accents(sample_home: Path) -> None:
    hits = json.loads(run_ctkb("search", "victimas punibles", "--mode", "exact", "--json", home=sample_home,
                               check=True).stdout)
    assert hits and hits[0]["doc_id"] == "xab-ley-trata-2019" and hits[0]["number"] == "5"


def test_an_unknown_search_mode_lists_the_valid_ones(sample_home: Path) -> None:
    result = run_ctkb("search", "shelter", "--mode", "fuzzy", home=sample_home)
    assert result.returncode == 1
    assert "hybrid, semantic, exact" in result.stderr and "Traceback" not in result.stderr


def test_migrate_copies_the_embedded_store_into_the_in_memory_server_stand_in(sample_home: Path) -> None:
    result = run_ctkb("migrate", "--to", ":memory:", home=sample_home, check=True)
    assert "counts equal" in result.stdout
    assert "15/15 sample queries alike" in result.stdout
