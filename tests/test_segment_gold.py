"""Top-level numbers found in the real corpus against the gold segmentation.

Reads the corpus from ``$CTKB_CORPUS`` (the directory holding ``manifest.yaml``) and the
gold file from ``$CTKB_GOLD`` or ``<corpus>/../gold/segmentation.yaml``. Schedules are
top-level provisions of kind "schedule" but are not part of the printed section
sequence the gold lists, so they are left out of the comparison.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from segment_invariants import check_invariants

from indexing.clean import prepare
from indexing.segment import segment

THRESHOLD = 0.97


def _corpus() -> Path:
    value = os.environ.get("CTKB_CORPUS")
    if not value:
        pytest.fail("CTKB_CORPUS is not set: point it at the corpus directory holding manifest.yaml")
    path = Path(value)
    if not (path / "manifest.yaml").is_file():
        pytest.fail(f"CTKB_CORPUS={value} has no manifest.yaml")
    return path


def _gold_path() -> Path:
    value = os.environ.get("CTKB_GOLD")
    if value:
        return Path(value)
    corpus = os.environ.get("CTKB_CORPUS")
    return Path(corpus or ".").parent / "gold" / "segmentation.yaml"


def _gold_ids() -> list[str]:
    path = _gold_path()
    if not path.is_file():
        # Collected without a corpus: one test that fails with a clear message.
        return ["<gold file missing>"]
    return list(yaml.safe_load(path.read_text(encoding="utf-8")))


def _norm(number: str) -> str:
    return re.sub(r"\s+", "", str(number)).lower().rstrip(".")


def _precision_recall(found: list[str], gold: list[str]) -> tuple[float, float]:
    f, g = Counter(map(_norm, found)), Counter(map(_norm, gold))
    hits = sum((f & g).values())
    return hits / max(1, sum(f.values())), hits / max(1, sum(g.values()))


@pytest.mark.corpus
@pytest.mark.parametrize("doc_id", _gold_ids())
def test_top_level_numbers_match_the_gold_sequence(doc_id: str) -> None:
    corpus = _corpus()
    gold_file = _gold_path()
    if not gold_file.is_file():
        pytest.fail(f"gold segmentation not found at {gold_file}; set CTKB_GOLD")
    gold = yaml.safe_load(gold_file.read_text(encoding="utf-8"))[doc_id]
    manifest = {d["id"]: d for d in yaml.safe_load((corpus / "manifest.yaml").read_text(encoding="utf-8"))}
    meta = manifest[doc_id]
    _, doc = prepare(corpus / meta["path"], meta.get("format"))
    seg = segment(doc, doc_id=doc_id, doc_sha256=meta["sha256"], language=meta["language"])
    check_invariants(doc, seg)
    found = [p.number for p in seg.top_level if p.kind != "schedule"]
    precision, recall = _precision_recall(found, gold)
    print(f"\n{doc_id:34s} precision={precision:.3f} recall={recall:.3f} found={len(found)} gold={len(gold)}")
    missing = list((Counter(map(_norm, gold)) - Counter(map(_norm, found))).elements())
    extra = list((Counter(map(_norm, found)) - Counter(map(_norm, gold))).elements())
    assert precision >= THRESHOLD and recall >= THRESHOLD, f"missing={missing[:20]} extra={extra[:20]}"
