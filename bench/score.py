"""Scoring benchmark (``make bench``): the 30 s budget and a rubric edit that re-embeds nothing.

1. Scoring as a user runs it: ``ctkb index`` (unchanged documents skipped; it embeds the rubric's
   texts for scoring, timed and shown), then a fresh ``ctkb score`` process over every indexed
   document of the real corpus against ``rubrics/4p.yaml``; its wall time against the 30 s budget.
2. The reference, measured in the same run: a fresh process that only imports ctkb, loads the
   rubric and reads every document's provisions (catalogue) and chunk vectors (store), which any
   scorer pays; the ratio scoring / reference.
3. Rescoring after a rubric edit (one cue phrase changed, one query added, criteria ids kept so
   the calibration still applies): the store's point count before and after, the rubric texts
   embedded (only the new query), and the provision texts embedded (none).

The home is a copy (runs and caches written here never touch the original): of ``CTKB_HOME`` when
it is set and indexed, otherwise of the real corpus indexed here as ``bench.search`` does.
One process at a time opens a home's store, so the steps run one after the other.

Run: ``CTKB_CORPUS=../shared/corpus python -m bench.score`` (or ``CTKB_HOME=HOME python -m bench.score``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kb.knowledge import KnowledgeBase
from kb.settings import Settings

BUDGET_S = 30.0
ROOT = Path(__file__).resolve().parent.parent
RUBRIC = ROOT / "rubrics" / "4p.yaml"


def bench_env(home: Path) -> dict[str, str]:
    """The environment of every step: this home, the embedded store."""
    env = {k: v for k, v in os.environ.items() if k not in ("CTKB_QDRANT_URL", "CTKB_QDRANT_API_KEY")}
    env["CTKB_HOME"] = str(home)
    return env


def open_kb(home: Path) -> KnowledgeBase:
    return KnowledgeBase.open(Settings.from_env(bench_env(home)))


def scorable(kb: KnowledgeBase) -> list[str]:
    return [d.id for d in kb.catalog.documents() if d.status == "indexed" and d.embedded]


def prepare_home(tmp: Path) -> tuple[Path, float, str] | None:
    """A scratch home holding the indexed real corpus, as right after ``ctkb index``.

    The home is a copy of ``CTKB_HOME`` (or a fresh one); its rubric-vector cache is emptied
    and ``ctkb index`` is run on it, which skips the unchanged documents and embeds the
    rubric's texts for scoring, as it does for a user.

    Returns:
        The home, the seconds of that ``ctkb index`` and its line about the rubric.
    """
    home = tmp / "home"
    corpus = Path(os.environ.get("CTKB_CORPUS", "../shared/corpus")).resolve()
    if not (corpus / "manifest.yaml").is_file():
        print(f"error: no manifest.yaml in {corpus}; set CTKB_CORPUS to the real corpus", file=sys.stderr)
        return None
    source = os.environ.get("CTKB_HOME")
    if source:
        src = Path(source).resolve()
        if not (src / "catalog.sqlite").is_file():
            print(f"error: CTKB_HOME={source} holds no catalogue; index the real corpus there first "
                  f"or unset CTKB_HOME", file=sys.stderr)
            return None
        shutil.copytree(src, home)
        print(f"home: a copy of {src}")
        db = sqlite3.connect(home / "catalog.sqlite")
        with db:  # forget the rubric's vectors: `ctkb index` below embeds them as it does for a user
            if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='text_vectors'").fetchone():
                db.execute("DELETE FROM text_vectors")
        db.close()
    seconds, proc = timed([*ctkb_command(), "index", "--manifest", str(corpus / "manifest.yaml")], home)
    if proc.returncode not in (0,):
        failed_step("`ctkb index`", proc)
        return None
    line = next((x for x in proc.stdout.splitlines() if x.startswith("rubric ")), "rubric: nothing embedded")
    print(f"`ctkb index` on it: {seconds:.1f} s; {line}")
    return home, seconds, line


def timed(cmd: list[str], home: Path) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=bench_env(home), capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def failed_step(what: str, proc: subprocess.CompletedProcess) -> int:
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
    print(f"error: {what} exited with {proc.returncode}:\n{tail}", file=sys.stderr)
    return 1


def ctkb_command() -> list[str]:
    exe = Path(sys.executable).parent / "ctkb"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ctkb")
    return [found] if found else [sys.executable, "-m", "kb.cli"]


def reference_pass(rubric_path: str) -> None:
    """The floor of scoring (run in a fresh process): rubric, provisions and chunk vectors read."""
    from kb.rubric import load_rubric

    kb = KnowledgeBase.open(Settings.from_env())
    load_rubric(rubric_path)
    docs = provisions = points = 0
    for record in kb.catalog.documents():
        if record.status != "indexed" or not record.embedded:
            continue
        docs += 1
        provisions += len(kb.catalog.provisions(record.id))
        points += sum(1 for _ in kb.store.scroll(doc_id=record.id))
    kb.close()
    print(json.dumps({"documents": docs, "provisions": provisions, "points": points}))


def edit_rubric(src: Path, dest_dir: Path, stamp: str) -> tuple[Path, str, str]:
    """Copy the rubric and its calibration; change one cue phrase and add one query (text edits).

    Returns:
        The edited rubric's path, a description of the edit, and the new query.
    """
    from kb.rubric import load_rubric
    from kb.scoring.calibration import calibration_path

    rubric = load_rubric(src)
    raw = src.read_text(encoding="utf-8")
    c = next(c for c in rubric.criteria if c.queries.get("en") and c.cues.positive and c.cues.positive[0].phrases)
    start = re.search(rf"^\s*- id: {re.escape(c.id)}\s*$", raw, re.M).end()
    query, phrase = c.queries["en"][0], c.cues.positive[0].phrases[0]
    new_query = f"{query} (rubric edit {stamp})"
    new_phrase = f"{phrase} against"
    m = re.compile(rf"^(\s*)- {re.escape(query)}\s*$", re.M).search(raw, start)
    raw = raw[:m.end()] + f"\n{m.group(1)}- {new_query}" + raw[m.end():]
    m = re.compile(rf"^(\s*- ){re.escape(phrase)}\s*$", re.M).search(raw, m.end())
    raw = raw[:m.start()] + f"{m.group(1)}{new_phrase}" + raw[m.end():]
    dest = dest_dir / src.name
    dest.write_text(raw, encoding="utf-8")
    shutil.copyfile(calibration_path(src), calibration_path(dest))
    edited = load_rubric(dest)
    assert edited.criteria_checksum == rubric.criteria_checksum and edited.checksum != rubric.checksum
    assert new_query in edited.criterion(c.id).queries["en"]
    return dest, f"{c.id}: cue '{phrase}' -> '{new_phrase}', query added '{new_query}'", new_query


class Recording:
    """Records the texts given to the encoders' encode / encode_query (instance attributes)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.texts: list[str] = []
        for encoder in kb.encoders:
            self._wrap(encoder, "encode", lambda texts: self.texts.extend(texts))
            self._wrap(encoder, "encode_query", lambda text: self.texts.append(text))
        self._wrap(kb.sparse, "encode_documents", lambda texts, *a, **k: self.texts.extend(texts))

    @staticmethod
    def _wrap(obj, name: str, record) -> None:
        inner = getattr(obj, name)

        def wrapper(*args, **kwargs):
            record(*args, **kwargs)
            return inner(*args, **kwargs)

        setattr(obj, name, wrapper)


def bench_rescore(home: Path, tmp: Path, stamp: str) -> dict:
    """Rescore in-process with an edited copy of the rubric; what was embedded."""
    from unittest import mock

    import kb.scoring.scorer as scorer_module
    from kb.rubric import load_rubric
    from kb.scoring.service import score_run
    from kb.scoring.vectors import TextVectors

    rubric_path, edit, new_query = edit_rubric(RUBRIC, tmp, stamp)
    rubric = load_rubric(rubric_path)
    rubric_texts = {t for c in rubric.criteria for d in (c.queries, c.exemplars) for ts in d.values() for t in ts}
    raw = rubric_path.read_text(encoding="utf-8")
    made: list[TextVectors] = []

    class Counted(TextVectors):  # the Scorer's TextVectors, kept to read its `embedded` counter
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    kb = open_kb(home)
    try:
        before = kb.store.count()
        recording = Recording(kb)
        t0 = time.perf_counter()
        with mock.patch.object(scorer_module, "TextVectors", Counted):
            run, scores, failed = score_run(kb, rubric_path, name=f"bench-{stamp}-edit")
        seconds = time.perf_counter() - t0
        after = kb.store.count()
    finally:
        kb.close()
    texts = set(recording.texts)
    provision_texts = {t for t in texts if t not in rubric_texts and t not in raw}
    return {
        "before": before, "after": after, "seconds": seconds, "edit": edit, "documents": run.documents,
        "scores": len(scores), "failed": failed, "rubric_embedded": sum(v.embedded for v in made),
        "provision_texts": provision_texts, "other_rubric_texts": texts - provision_texts - {new_query},
        "encoders": len(kb.encoders),
    }


def main() -> int:
    if sys.argv[1:2] == ["--reference"]:
        reference_pass(sys.argv[2])
        return 0
    problems: list[str] = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        prepared = prepare_home(tmp)
        if prepared is None:
            return 2
        home, index_seconds, index_line = prepared
        kb = open_kb(home)
        docs, points = scorable(kb), kb.store.count()
        kb.close()
        if not docs:
            print(f"error: no document is indexed with vectors in {home}", file=sys.stderr)
            return 2

        name = f"bench-{stamp}"
        cold, proc = timed([*ctkb_command(), "score", "--rubric", str(RUBRIC), "--name", name], home)
        if proc.returncode:
            return failed_step("`ctkb score`", proc)
        from kb.catalog import Catalog
        from kb.scoring.runs import RunStore

        catalog = Catalog(home / "catalog.sqlite")
        run = RunStore(catalog).get(name)
        rubric_embedded = catalog._db.execute("SELECT COUNT(*) FROM text_vectors").fetchone()[0]
        catalog.close()

        reference, proc = timed([sys.executable, "-m", "bench.score", "--reference", str(RUBRIC)], home)
        if proc.returncode:
            return failed_step("the reference pass", proc)
        read = json.loads(proc.stdout.strip().splitlines()[-1])

        edit = bench_rescore(home, tmp, stamp)

    print(f"== scoring {len(docs)} indexed documents against {RUBRIC.relative_to(ROOT)}")
    print(f"scoring: {run.documents} documents, {run.scores} scores in {cold:.1f} s "
          f"(budget {BUDGET_S:.0f} s: {cold / BUDGET_S:.2f}); reference read-only pass {reference:.1f} s: "
          f"ratio {cold / reference:.1f}")
    print(f"  a fresh `ctkb score` process right after `ctkb index` ({index_seconds:.1f} s; {index_line}); "
          f"{rubric_embedded} rubric texts cached. Reference: a fresh process importing ctkb, loading the rubric, "
          f"reading {read['provisions']} provisions and {read['points']} chunk vectors")
    print(f"rescore after rubric edit: points {edit['before']} -> {edit['after']}, rubric texts embedded "
          f"{edit['rubric_embedded']}, provision texts embedded {len(edit['provision_texts'])}  "
          f"(in-process {edit['seconds']:.1f} s, {edit['documents']} documents)")
    print(f"  edit: {edit['edit']}")

    if cold > BUDGET_S:
        problems.append(f"scoring took {cold:.1f} s, over the {BUDGET_S:.0f} s budget")
    if run.documents < len(docs) or edit["failed"]:
        problems.append(f"not every document was scored: {run.documents} of {len(docs)} in the cold run; "
                        f"failed in the rescore: {', '.join(d for d, _ in edit['failed']) or 'none'}")
    if not (points == edit["before"] == edit["after"]):
        problems.append(f"scoring changed the store: {points} points after indexing, {edit['before']} before "
                        f"the rescore, {edit['after']} after it")
    if edit["provision_texts"]:
        sample = next(iter(edit["provision_texts"]))[:80]
        problems.append(f"the rescore embedded {len(edit['provision_texts'])} texts that are not in the rubric "
                        f"(provisions), e.g. {sample!r}")
    if edit["other_rubric_texts"]:
        problems.append(f"the rescore re-embedded {len(edit['other_rubric_texts'])} unchanged rubric texts")
    if not 1 <= edit["rubric_embedded"] <= edit["encoders"]:
        problems.append(f"the rescore embedded {edit['rubric_embedded']} rubric texts; expected the new query "
                        f"once per encoder (1..{edit['encoders']})")
    sys.stdout.flush()
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
