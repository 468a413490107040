"""`ctkb check`: the catalogue against the vector store, faults injected into a real home,
`--repair`, and SIGKILL in the middle of real indexing (the fictional sample corpus)."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

from conftest import run_ctkb

from kb.settings import Settings
from kb.store.edge import EdgeStore
from stress.kill import killed_after


def _copy(sample_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    return home


def _check(home: Path) -> dict:
    return json.loads(run_ctkb("check", "--json", home=home).stdout)


def test_a_freshly_indexed_and_scored_home_is_consistent(sample_home: Path, tmp_path: Path) -> None:
    home = _copy(sample_home, tmp_path)
    result = run_ctkb("check", home=home)
    report = _check(home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["consistent"] and report["findings"] == []
    assert report["documents"] == 3 and report["points"] > 0 and report["runs"] == 1
    assert result.stdout.strip() == (f"consistent: 3 documents, {report['points']} points, "
                                     f"{report['provisions']} provisions")


def test_check_finds_each_injected_fault_and_repair_then_index_makes_it_consistent(
    sample_home: Path, sample_corpus: Path, tmp_path: Path
) -> None:
    home = _copy(sample_home, tmp_path)
    clean = _check(home)
    settings = Settings(home=home)
    with EdgeStore(settings.vectors_dir) as store:
        xaa = list(store.scroll(doc_id="xaa-tip-act-2021"))
        # Orphans: points of a document the catalogue does not hold.
        ghosts = [p.model_copy(update={"id": p.id[:-4] + "0000", "payload": {**p.payload, "doc_id": "ghost-doc"}})
                  for p in xaa[:2]]
        store.replace_document("ghost-doc", ghosts)
        # Missing points: one point of xaa gone, every point of xab gone.
        store.replace_document("xaa-tip-act-2021", xaa[1:])
        store.delete_document("xab-ley-trata-2019")
    db = sqlite3.connect(home / "catalog.sqlite")
    # A provision of another version: its text no longer matches the document's text.
    db.execute("UPDATE provisions SET data=json_set(data, '$.text', upper(json_extract(data, '$.text'))) "
               "WHERE id=(SELECT id FROM provisions WHERE doc_id='xac-loi-traite-2018' ORDER BY ordinal LIMIT 1)")
    # Scores of a run that is not stored (foreign keys are off on this raw connection).
    db.execute("INSERT INTO scores SELECT 'r-ghost', doc_id, criterion, level, data FROM scores LIMIT 3")
    db.commit()
    db.close()

    result = run_ctkb("check", home=home)
    found = _check(home)
    assert result.returncode == 1
    assert "ctkb check --repair" in result.stdout
    kinds = {(f["kind"], f["doc_id"] or f["run_id"]) for f in found["findings"]}
    assert ("orphan_points", "ghost-doc") in kinds
    assert ("point_count", "xaa-tip-act-2021") in kinds
    assert ("point_count", "xab-ley-trata-2019") in kinds
    assert ("provision_text", "xac-loi-traite-2018") in kinds
    assert ("scores_without_run", "r-ghost") in kinds

    repaired = run_ctkb("check", "--repair", home=home)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "now run: `ctkb index`" in repaired.stdout
    assert "deleted the points of ghost-doc" in repaired.stdout
    run_ctkb("index", "--manifest", str(sample_corpus / "manifest.yaml"), home=home, check=True)
    after = _check(home)
    assert after["consistent"], after["findings"]
    for key in ("documents", "indexed", "points", "provisions", "runs", "scores"):
        assert after[key] == clean[key], key


def test_indexing_killed_twice_at_random_moments_ends_consistent_after_a_rerun(
    sample_home: Path, sample_corpus: Path, tmp_path: Path
) -> None:
    home = _copy(sample_home, tmp_path)
    clean = _check(home)
    rng = random.Random()
    manifest = str(sample_corpus / "manifest.yaml")
    for _ in range(2):  # a second crash on top of the first, before any rerun
        killed_after(home, rng.uniform(0, 2.0), "index", "--force", "--manifest", manifest, after_first_write=True)
    run_ctkb("index", "--manifest", manifest, home=home, check=True)
    after = _check(home)
    assert after["consistent"], after["findings"]
    assert (after["points"], after["provisions"]) == (clean["points"], clean["provisions"])
