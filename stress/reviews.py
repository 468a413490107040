"""Review load: several processes writing review changes to one knowledge base at once.

    python -m stress.reviews [--procs 4] [--changes 250] [--home HOME]

Each process opens its own catalogue and writes ``--changes`` review changes, alternating
confirm/override saves and withdrawals over (country, criterion) cells of the latest run's
machine rows, each with a comment tagging the process and the sequence number
(``stress p2 #0137``). All processes start together (a barrier), then the audit log is read
back and every tag counted: all must be there exactly once.

Without ``--home`` it copies a scored home (``$CTKB_STRESS_HOME``, else the fictional sample
corpus indexed and scored into a temporary home), so the home given is never changed.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def machine_rows(home: Path) -> list:
    """The latest run's country rows (what an advisor reviews)."""
    from kb.catalog import Catalog
    from kb.rubric import load_rubric
    from kb.scoring.country import country_view
    from kb.scoring.runs import RunStore

    catalog = Catalog(home / "catalog.sqlite")
    try:
        store = RunStore(catalog)
        run = store.get("latest")
        rubric_path = Path(run.rubric_path)
        loaded = load_rubric(rubric_path if rubric_path.is_file() else REPO / "rubrics" / "4p.yaml")
        view = country_view(store.scores(run.id), [(c.id, c.pillar, c.title) for c in loaded.criteria])
        return [(run.id, row) for rows in view.values() for row in rows]
    finally:
        catalog.close()


def writer(home: str, proc: int, changes: int, rows: list, barrier, errors) -> None:
    """One process: ``changes`` review changes on its own cells, each tagged."""
    from kb.catalog import Catalog
    from kb.reviews import ReviewStore

    store = ReviewStore(Catalog(Path(home) / "catalog.sqlite"))
    # Cells shared with the other processes too: every 3rd change goes to a common cell.
    mine = rows[proc::7] or rows
    barrier.wait()
    reviewed: set[tuple[str, str]] = set()
    for seq in range(changes):
        run_id, row = rows[seq % len(rows)] if seq % 3 == 2 else mine[seq % len(mine)]
        cell = (row.country, row.criterion)
        tag = f"stress p{proc} #{seq:04d}"
        try:
            if cell in reviewed and seq % 2 == 1:
                store.withdraw(row.country, row.criterion, reviewer=f"Process {proc}", comment=tag)
                reviewed.discard(cell)
            else:
                level = row.level if seq % 4 == 0 else ("absent" if row.level != "absent" else "partial")
                evidence = [] if level == "absent" else [e.provision_id for e in row.evidence]
                store.save(row.country, row.criterion, level=level, evidence=evidence, comment=tag,
                           reviewer=f"Process {proc}", machine=row, run_id=run_id)
                reviewed.add(cell)
        except Exception as exc:  # noqa: BLE001 - counted and reported, not hidden
            from kb.errors import NotFoundError

            if isinstance(exc, NotFoundError):  # another process withdrew the shared cell first
                store.save(row.country, row.criterion, level=row.level,
                           evidence=[e.provision_id for e in row.evidence], comment=tag,
                           reviewer=f"Process {proc}", machine=row, run_id=run_id)
                reviewed.add(cell)
                continue
            errors.put(f"{tag}: {type(exc).__name__}: {exc}")


def run_load(home: Path, procs: int, changes: int) -> dict:
    """Run the load on ``home``; returns the counts."""
    from kb.catalog import Catalog
    from kb.reviews import ReviewStore

    rows = machine_rows(home)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(procs)
    errors = ctx.Queue()
    before = len(ReviewStore(Catalog(home / "catalog.sqlite")).audit())
    start = time.monotonic()
    workers = [ctx.Process(target=writer, args=(str(home), p, changes, rows, barrier, errors)) for p in range(procs)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.monotonic() - start
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    audit = ReviewStore(Catalog(home / "catalog.sqlite")).audit()
    tags = Counter(e.comment for e in audit if e.comment.startswith("stress p"))
    expected = {f"stress p{p} #{s:04d}" for p in range(procs) for s in range(changes)}
    return {
        "expected": len(expected), "present": len(expected & set(tags)), "lost": len(expected - set(tags)),
        "duplicated": sum(n - 1 for n in tags.values() if n > 1), "errors": failures,
        "audit_entries": len(audit) - before, "seconds": seconds, "exit_codes": [w.exitcode for w in workers],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--changes", type=int, default=250)
    parser.add_argument("--home", type=Path, default=None, help="a scored home to write to (changed!)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="ctkb-reviews-"))
    try:
        home = args.home
        if home is None:
            home = work / "home"
            source = os.environ.get("CTKB_STRESS_HOME")
            if source:
                shutil.copytree(source, home)
            else:
                env = {**os.environ, "CTKB_HOME": str(home)}
                for cmd in (["index", "--manifest", str(REPO / "corpus" / "manifest.yaml")], ["score"]):
                    subprocess.run([sys.executable, "-m", "kb.cli", *cmd], env=env, cwd=REPO, check=True,
                                   capture_output=True)
        r = run_load(home, args.procs, args.changes)
        print(f"== review load: {args.procs} processes x {args.changes} review changes at once on {home}")
        print(f"{r['present']} of {r['expected']} present in the audit log, {r['lost']} lost, {r['duplicated']} "
              f"duplicated; {len(r['errors'])} write errors; {r['audit_entries']} audit entries added in "
              f"{r['seconds']:.1f} s")
        for e in r["errors"][:10]:
            print("  error:", e)
        good = r["present"] == r["expected"] and not r["duplicated"] and not r["errors"] \
            and r["audit_entries"] == r["expected"] and all(c == 0 for c in r["exit_codes"])
        return 0 if good else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
