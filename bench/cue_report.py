"""Developer report: how a rubric's cues fire on the gold documents.

For each criterion and labelled document it prints the gold level and evidence, and the
provisions where positive / negative / partial cues matched, so a rubric author can see
precision and recall of the cues before any scoring model is fitted.

Usage::

    CTKB_HOME=/tmp/gold-home ctkb index --no-embed --manifest ../shared/corpus/manifest.yaml
    python -m bench.cue_report --home /tmp/gold-home --gold ../shared/gold/dev.yaml \\
        rubrics/parts/prevention.yaml [--criterion PRV-01]

A file holding only a YAML list of criteria (a rubric fragment) is accepted: it is wrapped
in a rubric with the four pillars for the check.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import yaml

from kb.catalog import Catalog
from kb.cues import CueMatcher
from kb.rubric import load_rubric

PILLARS = {"prevention": "Prevention", "protection": "Protection", "prosecution": "Prosecution",
           "partnerships": "Partnerships"}


def _load(path: Path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, list):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as tmp:
            yaml.safe_dump({"version": 1, "name": path.stem, "pillars": PILLARS, "criteria": data}, tmp,
                           allow_unicode=True, sort_keys=False)
        return load_rubric(tmp.name)
    return load_rubric(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rubric", type=Path)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--criterion", action="append", default=[])
    args = ap.parse_args()
    rubric = _load(args.rubric)
    gold = yaml.safe_load(args.gold.read_text(encoding="utf-8"))
    catalog = Catalog(args.home / "catalog.sqlite")
    matcher = CueMatcher(rubric)
    wanted = set(args.criterion) or set(rubric.ids)
    totals = {"tp": 0, "fp": 0, "fn": 0}
    for doc in gold["documents"]:
        record = catalog.find_document(doc["id"])
        if record is None:
            print(f"!! {doc['id']} not in {args.home}")
            continue
        tops = [p for p in catalog.provisions(doc["id"]) if p.parent_id is None]
        hits = matcher.match([p.text for p in tops], [p.heading for p in tops], record.language)
        for c in rubric.criteria:
            if c.id not in wanted:
                continue
            label = doc["labels"].get(c.id, {"level": "?"})
            fired = {kind: [p.number for p, h in zip(tops, hits) if h.of(c.id, kind)]
                     for kind in ("positive", "negative", "partial")}
            addressed = label["level"] in ("present", "partial")
            predicted = bool(fired["positive"])
            key = "tp" if addressed and predicted else "fn" if addressed else "fp" if predicted else "tn"
            totals[key] = totals.get(key, 0) + 1
            mark = "ok " if addressed == predicted else "XX "
            print(f"{mark}{c.id} {doc['id']:<32} gold={label['level']:<8} ev={label.get('evidence', [])} "
                  f"pos={fired['positive'][:8]} neg={fired['negative'][:5]} part={fired['partial'][:5]}")
    tp, fp, fn = totals["tp"], totals["fp"], totals["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(f"\npositive cue as 'addressed' detector: precision {precision:.2f}, recall {recall:.2f} "
          f"(tp {tp}, fp {fp}, fn {fn}, tn {totals.get('tn', 0)})")


if __name__ == "__main__":
    main()
