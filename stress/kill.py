"""Kill test: SIGKILL indexing (and scoring) of the real corpus at random moments, rerun,
and check that the knowledge base ends consistent with the counts of a clean index.

    python -m stress.kill [--runs 30] [--window 45] [--score-every 5] [--seed N] [--base HOME]

How a run goes:

1. A clean knowledge base is built once: ``ctkb index`` then ``ctkb score`` of the real
   corpus (``$CTKB_CORPUS``) into a fresh home; ``ctkb check`` must pass, and its document,
   point and provision counts are the reference. (``--base HOME`` copies an indexed and
   scored home instead and brings it up to date with ``ctkb index``.)
2. Each run copies that home and starts ``ctkb index --force`` over the real corpus, whose
   manifest is rotated by a random offset so that every document gets its turn early in the
   run, and SIGKILLs the whole process group at a moment drawn uniformly from the first
   ``--window`` seconds after the process first writes (to the catalogue's or the shard's
   WAL; before that, once the models are loaded, nothing is written and a kill is trivially
   harmless). ``--force`` rewrites every document (catalogue rows, then all its points, then
   its fingerprint), so a kill lands in the middle of real writes. A full ``--force`` run of
   the corpus takes minutes; killing within the first ``--window`` seconds of writing of a
   rotated run reaches the same states (a document half written, the ones before it
   rewritten, the ones after untouched) at a fraction of the time, which keeps 30 runs
   affordable. Every ``--score-every``-th run kills ``ctkb score`` instead, at a moment drawn
   over the duration of a full scoring run.
3. ``ctkb check`` is run on the killed home (what it finds is printed), then the command is
   rerun to completion (``ctkb index`` over the real manifest, or ``ctkb score``), then
   ``ctkb check --json`` must say consistent with the reference counts (and, after a score
   kill, no partial run: every run holds all its scores).

Prints one line per run and ``N of N consistent`` at the end; exit code 1 if any run is not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def ctkb(home: Path, *args: str, check: bool = False, timeout: float = 1800) -> subprocess.CompletedProcess:
    env = {**os.environ, "CTKB_HOME": str(home), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "kb.cli", *args], capture_output=True, text=True, env=env,
                            cwd=REPO, timeout=timeout)
    if check and result.returncode != 0:
        raise SystemExit(f"ctkb {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _written(home: Path) -> tuple:
    """What changes when ctkb writes: the catalogue's WAL and the shard's WAL."""
    stamps = []
    for path in (home / "catalog.sqlite-wal", *sorted((home / "vectors").glob("*/wal/*"))):
        try:
            st = path.stat()
            stamps.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            pass
    return tuple(stamps)


def killed_after(home: Path, seconds: float, *args: str, after_first_write: bool = False) -> tuple[bool, float, float]:
    """Start ``ctkb args`` and SIGKILL its process group ``seconds`` after it starts (or, with
    ``after_first_write``, after it first writes to the catalogue or the store).

    Returns:
        (whether it was still running when killed, seconds it ran, seconds before it wrote).
    """
    env = {**os.environ, "CTKB_HOME": str(home), "COLUMNS": "200"}
    before = _written(home)
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env, cwd=REPO, start_new_session=True)
    began = 0.0
    if after_first_write:
        while proc.poll() is None and _written(home) == before and time.monotonic() - start < 600:
            time.sleep(0.02)
        began = time.monotonic() - start
    try:
        proc.wait(timeout=max(0.0, began + seconds - (time.monotonic() - start)))
        return False, time.monotonic() - start, began
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group: any helper process it started goes too
        proc.wait()
        return True, time.monotonic() - start, began


def check_json(home: Path) -> dict:
    result = ctkb(home, "check", "--json")
    try:
        return json.loads(result.stdout)
    except ValueError:
        return {"consistent": False, "findings": [{"kind": "check_failed", "message": result.stderr.strip()}]}


def rotated_manifest(corpus: Path, offset: int, folder: Path) -> Path:
    """The real manifest with its entries rotated by ``offset`` and absolute paths."""
    entries = yaml.safe_load((corpus / "manifest.yaml").read_text(encoding="utf-8"))
    entries = entries[offset:] + entries[:offset]
    for e in entries:
        e["path"] = str((corpus / e["path"]).resolve())
    path = folder / f"manifest-{offset}.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--window", type=float, default=40.0,
                        help="kill `ctkb index --force` within this many seconds of its first write")
    parser.add_argument("--score-every", type=int, default=5, help="every Nth run kills `ctkb score` (0: never)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--base", type=Path, default=None, help="copy this indexed+scored home as the clean index")
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("CTKB_CORPUS", "../shared/corpus")))
    args = parser.parse_args(argv)
    corpus = args.corpus.resolve()
    manifest = corpus / "manifest.yaml"
    if not manifest.is_file():
        print(f"error: no manifest.yaml in {corpus}; set CTKB_CORPUS to the real corpus", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    test_start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="ctkb-kill-"))
    try:
        base = work / "clean"
        t0 = time.monotonic()
        if args.base:
            shutil.copytree(args.base, base)
            ctkb(base, "index", "--manifest", str(manifest), check=True)
            how = f"copied {args.base}, brought up to date"
        else:
            ctkb(base, "index", "--manifest", str(manifest))
            how = "indexed from scratch"
        index_s = time.monotonic() - t0
        t0 = time.monotonic()
        ctkb(base, "score", "--name", "clean", check=True)
        score_s = time.monotonic() - t0
        ref = check_json(base)
        if not ref.get("consistent"):
            print(f"the clean index is not consistent: {ref.get('findings')}")
            return 1
        keys = ("documents", "indexed", "points", "provisions")
        print(f"== kill test on {corpus} (seed {seed}): clean index {how} in {index_s:.1f} s, scored in "
              f"{score_s:.1f} s: " + ", ".join(f"{ref[k]} {k}" for k in keys), flush=True)
        n_docs = len(yaml.safe_load(manifest.read_text(encoding="utf-8")))
        ok = 0
        for run in range(1, args.runs + 1):
            home = work / f"run-{run}"
            shutil.copytree(base, home)
            scoring = args.score_every > 0 and run % args.score_every == 0
            if scoring:
                at = rng.uniform(0, score_s)
                what = "score"
                alive, ran, _ = killed_after(home, at, "score", "--name", f"killed-{run}")
            else:
                offset = rng.randrange(n_docs)
                at = rng.uniform(0, args.window)
                what = f"index --force (manifest rotated by {offset})"
                alive, ran, wrote = killed_after(home, at, "index", "--force", "--manifest",
                                                 str(rotated_manifest(corpus, offset, work)), after_first_write=True)
                what += f" {ran - wrote:4.1f} s after its first write"
            after_kill = check_json(home)
            found = sorted({f["kind"] for f in after_kill.get("findings", [])})
            t0 = time.monotonic()
            if scoring:
                rerun = ctkb(home, "score", "--name", f"rerun-{run}")
            else:
                rerun = ctkb(home, "index", "--manifest", str(manifest))
            rerun_s = time.monotonic() - t0
            final = check_json(home)
            same = all(final.get(k) == ref[k] for k in keys)
            runs_ok = True
            if scoring:  # the rerun's run, and the killed one only if it had finished
                runs_ok = final.get("runs") in (ref["runs"] + 1, ref["runs"] + 2)
            good = bool(final.get("consistent")) and same and runs_ok and rerun.returncode == 0
            ok += good
            counts = ", ".join(f"{final.get(k)} {k}" for k in ("points", "provisions"))
            print(f"run {run:2d}: ctkb {what}, SIGKILLed at {ran:5.1f} s"
                  f"{'' if alive else ' (had already finished)'}; check after kill: "
                  f"{'consistent' if after_kill.get('consistent') else 'found ' + ', '.join(found)}; "
                  f"rerun {rerun_s:.1f} s; then {'consistent' if final.get('consistent') else 'INCONSISTENT'}, "
                  f"{counts}{'' if same else ' (DIFFERENT from the clean index)'}"
                  f"{'' if runs_ok else ' (runs ' + str(final.get('runs')) + ')'} -> {'ok' if good else 'FAIL'}",
                  flush=True)
            if not good:
                print(json.dumps(final.get("findings"), indent=1)[:4000])
                print(rerun.stderr[-2000:])
            shutil.rmtree(home, ignore_errors=True)
        print(f"kill test: {ok} of {args.runs} consistent after SIGKILL and rerun, with point and provision counts "
              f"equal to a clean index ({time.monotonic() - test_start:.0f} s)", flush=True)
        return 0 if ok == args.runs else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
