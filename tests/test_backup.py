"""`ctkb backup` / `ctkb restore` of a real (fictional sample) knowledge base: a round trip
answers searches and scores alike; a damaged archive and a non-empty home are refused."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

from conftest import run_ctkb

from kb.scoring.runs import RunStore
from stress.backup import search_outputs

QUERIES = [
    {"query": "victims are not punished for crimes they were forced to commit", "mode": "hybrid", "filters": {}},
    {"query": "víctimas", "mode": "exact", "filters": {"country": ["XAB"]}},
    {"query": "traite des personnes", "mode": "semantic", "filters": {}},
    {"query": "liability of legal persons", "mode": "hybrid", "filters": {"language": ["en"]}},
]


def _scores(home: Path) -> list[dict]:
    from kb.catalog import Catalog

    catalog = Catalog(home / "catalog.sqlite")
    try:
        return [s.model_dump() for s in RunStore(catalog).scores("latest")]
    finally:
        catalog.close()


def test_restoring_a_backup_into_a_fresh_home_gives_identical_searches_and_scores(
    sample_home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(sample_home, source)
    archive = tmp_path / "kb.tar.gz"
    wrote = run_ctkb("backup", str(archive), home=source, check=True)
    assert "checksum (sha256 of the member list): " in wrote.stdout
    restored = tmp_path / "restored"
    said = run_ctkb("restore", str(archive), home=restored, check=True)
    assert "3 documents" in said.stdout and "verified" in said.stdout
    assert run_ctkb("check", home=restored).returncode == 0
    assert search_outputs(restored, QUERIES) == search_outputs(source, QUERIES)
    assert _scores(restored) == _scores(source) and _scores(source)


def test_a_damaged_archive_is_refused_naming_the_member_and_nothing_is_written(
    sample_home: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "kb.tar.gz"
    run_ctkb("backup", str(archive), home=sample_home, check=True)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for info in src:
            data = src.extractfile(info).read()
            if info.name == "catalog.sqlite":
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit flipped
            dst.addfile(info, io.BytesIO(data))
    home = tmp_path / "target"
    result = run_ctkb("restore", str(damaged), home=home)
    assert result.returncode == 1
    assert "member catalog.sqlite is damaged" in result.stderr
    assert not home.exists() or not any(home.iterdir())
    assert not [p for p in tmp_path.iterdir() if ".restore-" in p.name]


def test_restore_refuses_a_home_that_is_not_empty_unless_forced(sample_home: Path, tmp_path: Path) -> None:
    archive = tmp_path / "kb.tar.gz"
    run_ctkb("backup", str(archive), home=sample_home, check=True)
    home = tmp_path / "busy"
    home.mkdir()
    (home / "notes.txt").write_text("mine", encoding="utf-8")
    refused = run_ctkb("restore", str(archive), home=home)
    assert refused.returncode == 1 and "the home is not empty" in refused.stderr and "--force" in refused.stderr
    assert [p.name for p in home.iterdir()] == ["notes.txt"]
    run_ctkb("restore", str(archive), "--force", home=home, check=True)
    assert not (home / "notes.txt").exists()
    assert json.loads(run_ctkb("check", "--json", home=home).stdout)["consistent"]
