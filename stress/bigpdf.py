"""A 1,500-page PDF through ``ctkb index``: peak memory of the whole process tree (``make stress``).

Builds a FICTIONAL law of 1,500 text-layer pages (Parts, numbered sections with
subsections, penalties and cross-references, running headers and page numbers) in a
temporary folder, indexes it with the real command line into a fresh home, and samples
the resident memory of the command and its document worker every 0.1 s. Prints one
line per run::

    1500 pages: N provisions, peak memory X GB (budget 2.5 GB: ratio R), T s

Run: ``python -m stress.bigpdf [--pages 1500] [--no-embed] [--both]``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUDGET_GB = 2.5
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from minipdf import write_pdf  # noqa: E402

_ORDINALS = ["two", "three", "five", "seven", "ten", "twelve", "fifteen", "twenty"]
_SUBJECTS = ["registrars", "inspectors", "shelters", "the National Committee", "labour officers", "carriers",
             "recruitment agencies", "border officials", "the Fund", "victim advocates", "interpreters",
             "medical examiners", "prosecutors", "magistrates", "local councils", "employers", "schools"]
_DUTIES = ["Duties of", "Powers of", "Records kept by", "Reports by", "Oversight of", "Training of",
           "Offences by", "Assistance to", "Protection of", "Licensing of", "Inspection of", "Funding of"]
_BODY = [
    "The Minister shall ensure that {s} perform the functions given by this Act without delay,",
    "and shall publish an annual report on the fictional measures taken under this section.",
    "A person who obstructs {s} in the exercise of a power under this section commits an offence",
    "and is liable on conviction to imprisonment for a term not exceeding {y} years or to a fine.",
    "Nothing in this section limits the rights of a victim under section {r} of this Act.",
    "The Registrar of Arcadia shall keep a register of {s} open to inspection by the public,",
    "subject to the protection of the identity of every victim and of every witness.",
    "In this section, \"assistance\" means any fictional service provided under Part {p}.",
]
LINES_PER_PAGE = 26


def law_pages(count: int) -> list[list[str]]:
    """A fictional act: Parts, sections of 2 to 6 subsections with penalties and cross-references,
    a running header and "Page n of N" footers, cut into pages of 26 lines."""
    body: list[str] = []
    section, part = 0, 0
    while len(body) < count * (LINES_PER_PAGE - 3):
        if section % 40 == 0:
            part += 1
            body += ["", f"PART {part} — FICTIONAL MATTERS OF GROUP {part}", ""]
        section += 1
        subject = _SUBJECTS[(section * 7) % len(_SUBJECTS)]
        body.append(f"{section}. {_DUTIES[(section * 5) % len(_DUTIES)]} {subject}")
        for sub in range(1, 2 + (section * 3) % 5 + 1):
            values = {"s": subject, "y": _ORDINALS[(section + sub) % len(_ORDINALS)],
                      "r": max(1, section - sub), "p": max(1, part - 1)}
            lines = [_BODY[(section + sub + k) % len(_BODY)].format(**values) for k in (0, 3, 5)]
            body += [f"({sub}) " + lines[0], *lines[1:]]
    pages = []
    per_page = LINES_PER_PAGE - 3
    for n in range(count):
        lines = ["FICTIONAL REGISTERS AND DUTIES ACT OF ARCADIA", ""]
        lines += body[n * per_page:(n + 1) * per_page]
        lines.append(f"Page {n + 1} of {count}")
        pages.append(lines)
    return pages


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            match = re.search(r"^VmRSS:\s+(\d+) kB", handle.read(), re.M)
    except OSError:
        return 0
    return int(match.group(1)) if match else 0


class Sampler(threading.Thread):
    """Polls the summed resident memory of a process tree."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_kb = 0
        self.peak_processes = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pids = _tree(self.pid)
            total = sum(_rss_kb(pid) for pid in pids)
            if total > self.peak_kb:
                self.peak_kb, self.peak_processes = total, len(pids)
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def index_once(pdf: Path, home: Path, embed: bool) -> dict:
    manifest = pdf.parent / "manifest.yaml"
    manifest.write_text(f"- {{id: xaa-big-act, path: {pdf.name}, country: XAA, "
                        "title: Fictional Registers and Duties Act of Arcadia}\n", encoding="utf-8")
    args = [sys.executable, "-m", "kb.cli", "index", "--manifest", str(manifest)] + ([] if embed else ["--no-embed"])
    env = {**os.environ, "CTKB_HOME": str(home), "COLUMNS": "200"}
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.stop()
    row = re.search(r"│ xaa-big-act\s+│ (\w+)\s+│[^│]*│ *(\d*) *│ *(\d*) *│", out)
    return {
        "ok": proc.returncode == 0 and bool(row) and row.group(1) == "indexed",
        "status": row.group(1) if row else "?",
        "pages": row.group(2) if row else "?",
        "provisions": row.group(3) if row else "?",
        "peak_gb": sampler.peak_kb / 1024 / 1024,
        "processes": sampler.peak_processes,
        "seconds": seconds,
        "output": out + err,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--no-embed", action="store_true", help="index without embedding")
    parser.add_argument("--both", action="store_true", help="measure without and then with embedding")
    args = parser.parse_args(argv)
    modes = [False, True] if args.both else [not args.no_embed]
    failed = False
    with tempfile.TemporaryDirectory(prefix="ctkb-bigpdf-") as tmp:
        folder = Path(tmp)
        pdf = write_pdf(folder / "big-act.pdf", law_pages(args.pages))
        print(f"built {pdf.name}: {args.pages} pages, {pdf.stat().st_size / 1024 / 1024:.1f} MB", flush=True)
        for embed in modes:
            result = index_once(pdf, folder / f"home-{'embed' if embed else 'noembed'}", embed)
            ratio = result["peak_gb"] / BUDGET_GB
            print(f"{args.pages} pages{'' if embed else ' (no embedding)'}: {result['provisions']} provisions, "
                  f"peak memory {result['peak_gb']:.2f} GB (budget {BUDGET_GB} GB: ratio {ratio:.2f}), "
                  f"{result['seconds']:.0f} s  [status {result['status']}, {result['pages']} pages read, "
                  f"peak over {result['processes']} processes]", flush=True)
            if not result["ok"] or ratio > 1:
                failed = True
                print(result["output"][-3000:], file=sys.stderr)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    print(f"largest single process: {children:.2f} GB (getrusage of the children)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
