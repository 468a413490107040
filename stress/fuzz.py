"""Fuzzing extraction and segmentation with mutated corpus documents (``make stress``).

Seeds come from ``$CTKB_CORPUS``: every PDF cut to its first pages, and every Markdown,
text and HTML file cut to its first kilobytes. Hypothesis draws the mutations:

- PDF: byte flips, truncation, chunk duplication or deletion, token swaps (``obj``,
  ``/Length``, huge numbers), and mutations of a page's decompressed content stream
  (operators, deep nesting, huge strings, random bytes) recompressed in place;
- text: control characters, invalid UTF-8, a huge line, deep nesting (HTML tags, quote
  and list markers, brackets), thousands of numbered headings, chunk duplication;
- any: the file saved under the wrong extension.

Each case runs through the real stages (extraction, cleaning, segmentation,
enrichment) in the isolated document worker under the per-document budget
(:mod:`indexing.isolate`). Outcomes: ``indexed``, ``failed`` with a clear reason (a
:class:`kb.errors.DocumentError`), ``needs_ocr``; anything else is an *uncaught*
exception (a bug, including a worker crash) or a *hang* (past the time budget). Both
must be zero. The mutated files live in a temporary folder, never in the repository.

Run: ``CTKB_CORPUS=../shared/corpus python -m stress.fuzz [--count 2000] [--seed 7]``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from indexing.isolate import (
    Budget,
    DocumentMemoryError,
    DocumentTimeoutError,
    Request,
    Worker,
    WorkerCrashedError,
    WorkerInternalError,
)
from kb.errors import DocumentError, NeedsOcrError

TEXT_SUFFIXES = {".md": "md", ".txt": "txt", ".html": "html", ".htm": "html"}
SUFFIXES = [".pdf", ".txt", ".md", ".html", ".docx"]


@dataclass
class Seed:
    name: str  # corpus-relative path
    suffix: str
    data: bytes


@dataclass
class Case:
    number: int
    seed: str
    mutation: str
    file: Path


@dataclass
class Result:
    case: Case
    outcome: str  # indexed | failed | needs_ocr | memory | hang | uncaught
    seconds: float
    detail: str = ""


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0
    workers_started: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def uncaught(self) -> list[Result]:
        return [r for r in self.results if r.outcome == "uncaught"]

    @property
    def hangs(self) -> list[Result]:
        return [r for r in self.results if r.outcome == "hang"]

    @property
    def slowest(self) -> Result | None:
        return max(self.results, key=lambda r: r.seconds, default=None)


# ------------------------------------------------------------------ seeds


def load_seeds(corpus: Path, *, pdf_pages: int = 2, text_bytes: int = 12_000) -> list[Seed]:
    """Small seeds from the corpus: PDFs cut to their first pages, text files to their first bytes."""
    from pypdf import PdfReader, PdfWriter

    seeds: list[Seed] = []
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        rel = str(path.relative_to(corpus))
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            reader = PdfReader(str(path))
            writer = PdfWriter()
            for page in reader.pages[:pdf_pages]:
                writer.add_page(page)
            buffer = io.BytesIO()
            writer.write(buffer)
            seeds.append(Seed(rel, ".pdf", buffer.getvalue()))
        elif suffix in TEXT_SUFFIXES:
            data = path.read_bytes()
            if len(data) > text_bytes:
                cut = data.rfind(b"\n", 0, text_bytes)
                data = data[: cut if cut > 0 else text_bytes]
            seeds.append(Seed(rel, suffix, data))
    if not seeds:
        raise SystemExit(f"no PDF, Markdown, text or HTML seeds under {corpus}")
    return seeds


# ------------------------------------------------------------------ mutations

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_TOKENS = [b"obj", b"endobj", b"stream", b"endstream", b"/Length", b"/Count", b"/Kids", b"/Contents",
           b"/Filter", b"/FlateDecode", b"/Type", b"/Page", b"/Pages", b"R", b"[", b"]", b"<<", b">>", b"xref",
           b"trailer", b"startxref", b"%%EOF", b"/Encrypt", b"/Font", b"/ToUnicode", b"/Widths"]
_NUMBER = re.compile(rb"(?<![\w.])\d{1,6}(?![\w.])")
_CONTENT_SNIPPETS = [
    b"BT /F1 12 Tf (Section 1. Fictional) Tj ET", b"q " * 2000 + b"Q " * 2000, b"[" * 3000 + b"]" * 3000,
    b"<<" * 2000 + b">>" * 2000, b"(" + b"A" * 200_000 + b") Tj", b"1 0 0 1 0 0 cm " * 3000,
    b"BT " * 500, b"ET " * 500, b"/F99 1e308 Tf", b"(\\\\\\(\\)) Tj", b"<FEFF00410042> Tj",
    b"99999999999999999999 TL T*", b"-0 0 Td " * 2000, b"/Im1 Do", b"BI /W 1 /H 1 ID \x00 EI",
]
_TEXT_SNIPPETS = [
    "\x00", "\x01\x02\x03", "\x1b[31m", "\u202e", "\ufeff", "\u00ad", "\u2028", "\r", "\f", "\t" * 50,
    "Section 1.", "Article 9999999999.", "PART XIV", "(a)", "1.1.1.1.1.1.1", "§", "\u0627\u0644\u0645\u0627\u062f\u0629",
    "<!-- -->", "<script>x</script>", "<table><tr><td>", "&amp;&#0;&#xD800;", "```", "# ", "> " * 30, "| a | b |",
]
_INVALID_UTF8 = [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xc0\xaf", b"\x80" * 10]


def _pos(draw, data: bytes) -> int:
    return draw(st.integers(0, max(len(data), 0)))


def _mutate_pdf(draw, data: bytes) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["flip", "truncate", "duplicate", "delete", "token", "number", "stream",
                                 "stream", "stream"]))
    if kind == "flip":
        count = draw(st.integers(1, 64))
        out = bytearray(data)
        for _ in range(count):
            i = draw(st.integers(0, len(out) - 1))
            out[i] ^= draw(st.integers(1, 255))
        return bytes(out), f"flip {count} bytes"
    if kind == "truncate":
        at = _pos(draw, data)
        return data[:at], f"truncate at {at}/{len(data)}"
    if kind in ("duplicate", "delete"):
        a = _pos(draw, data)
        b = min(len(data), a + draw(st.integers(1, 20_000)))
        if kind == "delete":
            return data[:a] + data[b:], f"delete bytes {a}:{b}"
        at = _pos(draw, data)
        times = draw(st.integers(1, 20))
        return data[:at] + data[a:b] * times + data[at:], f"duplicate bytes {a}:{b} x{times} at {at}"
    if kind == "token":
        old, new = draw(st.sampled_from(_TOKENS)), draw(st.sampled_from(_TOKENS))
        spots = [m.start() for m in re.finditer(re.escape(old), data)]
        if not spots:
            return data + new, f"append token {new!r}"
        at = draw(st.sampled_from(spots))
        return data[:at] + new + data[at + len(old):], f"token {old!r} -> {new!r} at {at}"
    if kind == "number":
        spots = list(_NUMBER.finditer(data[:200_000]))
        if not spots:
            return data, "number (none found)"
        spot = draw(st.sampled_from(spots))
        new = draw(st.sampled_from([b"0", b"-1", b"999999999", b"4294967296", b"1e400", b"00000000000000000007"]))
        return data[:spot.start()] + new + data[spot.end():], f"number {spot.group()!r} -> {new!r} at {spot.start()}"
    return _mutate_stream(draw, data)


def _mutate_stream(draw, data: bytes) -> tuple[bytes, str]:
    """Decompress one stream (a page's content, a font, an object stream), mutate it, recompress."""
    streams = list(_STREAM.finditer(data))
    if not streams:
        return data, "stream (none found)"
    match = draw(st.sampled_from(streams))
    body = match.group(1)
    try:
        plain, compressed = zlib.decompress(body), True
    except zlib.error:
        plain, compressed = body, False
    how = draw(st.sampled_from(["insert", "flip", "truncate", "replace"]))
    if how == "insert":
        at = _pos(draw, plain)
        snippet = draw(st.sampled_from(_CONTENT_SNIPPETS))
        plain = plain[:at] + b" " + snippet + b" " + plain[at:]
        what = f"insert {snippet[:24]!r}… ({len(snippet)} B) at {at}"
    elif how == "flip" and plain:
        out = bytearray(plain)
        for _ in range(draw(st.integers(1, 16))):
            i = draw(st.integers(0, len(out) - 1))
            out[i] = draw(st.integers(0, 255))
        plain, what = bytes(out), "flip bytes"
    elif how == "truncate":
        at = _pos(draw, plain)
        plain, what = plain[:at], f"truncate at {at}"
    else:
        plain = draw(st.binary(max_size=2048))
        what = f"replace with {len(plain)} random bytes"
    fix_length = draw(st.booleans())
    new_body = zlib.compress(plain) if compressed else plain
    out = data[:match.start(1)] + new_body + data[match.end(1):]
    if fix_length:  # the /Length just before this stream
        head = out[: match.start()]
        length = list(re.finditer(rb"/Length\s+\d+", head[-400:]))
        if length:
            base = len(head) - len(head[-400:])
            spot = length[-1]
            fixed = b"/Length %d" % len(new_body)
            out = out[: base + spot.start()] + fixed + out[base + spot.end():]
    where = f"stream at {match.start()} ({'flate' if compressed else 'raw'}, /Length {'fixed' if fix_length else 'stale'})"
    return out, f"{where}: {what}"


def _mutate_text(draw, data: bytes, suffix: str) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["control", "invalid_utf8", "huge_line", "nesting", "headings", "flip",
                                 "duplicate", "truncate", "snippets"]))
    at = _pos(draw, data)
    if kind == "control":
        chars = "".join(draw(st.lists(st.characters(max_codepoint=0x1F), min_size=1, max_size=200)))
        return data[:at] + chars.encode() + data[at:], f"insert {len(chars)} control chars at {at}"
    if kind == "invalid_utf8":
        bad = draw(st.sampled_from(_INVALID_UTF8))
        return data[:at] + bad + data[at:], f"insert invalid UTF-8 {bad[:8]!r} at {at}"
    if kind == "huge_line":
        unit = draw(st.sampled_from([b"a", b"word ", b"1. ", b"(a) ", b"\xc3\xa9", b"Section 1 ", b"-"]))
        size = draw(st.integers(10_000, 400_000))
        line = unit * (size // len(unit))
        return data[:at] + line + data[at:], f"insert a {len(line)}-byte line of {unit!r} at {at}"
    if kind == "nesting":
        depth = draw(st.integers(100, 20_000))
        opener, closer = draw(st.sampled_from([(b"<div>", b"</div>"), (b"<ul><li>", b""), (b"<table><tr><td>", b""),
                                               (b"> ", b""), (b"  - ", b""), (b"(", b")"), (b"[", b"]"),
                                               (b"<b><i>", b"</i></b>"), (b"**", b"**")]))
        nest = opener * depth + b"Section 1. Nested" + closer * depth
        return data[:at] + nest + data[at:], f"nest {opener!r} x{depth} at {at}"
    if kind == "headings":
        count = draw(st.integers(100, 6000))
        pattern = draw(st.sampled_from(["Section {n}.\n", "Article {n}\n", "{n}.\n", "PART {n}\n", "({n})\n",
                                        "# {n}\n", "Sec. {n}. Sec. {n}.\n"]))
        text = "".join(pattern.format(n=n) for n in range(1, count + 1)).encode()
        return data[:at] + text + data[at:], f"insert {count} headings {pattern!r} at {at}"
    if kind == "flip" and data:
        out = bytearray(data)
        count = draw(st.integers(1, 64))
        for _ in range(count):
            i = draw(st.integers(0, len(out) - 1))
            out[i] = draw(st.integers(0, 255))
        return bytes(out), f"flip {count} bytes"
    if kind == "duplicate":
        b = min(len(data), at + draw(st.integers(1, 5000)))
        times = draw(st.integers(2, 200))
        return data[:at] + data[at:b] * times + data[b:], f"duplicate bytes {at}:{b} x{times}"
    if kind == "truncate":
        return data[:at], f"truncate at {at}/{len(data)}"
    parts = draw(st.lists(st.sampled_from(_TEXT_SNIPPETS), min_size=1, max_size=50))
    text = "".join(parts).encode()
    return data[:at] + text + data[at:], f"insert {len(parts)} snippets at {at}"


def cases(seeds: list[Seed], folder: Path, count: int, rng_seed: int) -> list[Case]:
    """Draw ``count`` mutated files with hypothesis (reproducible for a given seed)."""
    made: list[Case] = []

    def draw_case(data) -> None:
        if len(made) >= count:
            return
        source = data.draw(st.sampled_from(seeds), label="seed")
        steps = data.draw(st.integers(1, 3), label="mutations")
        blob, what = source.data, []
        for _ in range(steps):
            if source.suffix == ".pdf":
                blob, how = _mutate_pdf(data.draw, blob)
            else:
                blob, how = _mutate_text(data.draw, blob, source.suffix)
            what.append(how)
        suffix = source.suffix
        if data.draw(st.integers(0, 19), label="rename") == 0:  # 1 in 20: the wrong extension
            suffix = data.draw(st.sampled_from(SUFFIXES), label="suffix")
            what.append(f"saved as {suffix}")
        number = len(made)
        file = folder / f"case-{number:05d}{suffix}"
        file.write_bytes(blob)
        made.append(Case(number, source.name, "; ".join(what), file))

    for round_seed in range(rng_seed, rng_seed + 20):  # hypothesis may end a round early
        if len(made) >= count:
            break
        settings(max_examples=count - len(made), database=None, deadline=None, phases=[Phase.generate],
                 suppress_health_check=list(HealthCheck))(seed(round_seed)(given(st.data())(draw_case)))()
    return made


# ------------------------------------------------------------------ running


def run_case(worker: Worker, case: Case) -> Result:
    start = time.perf_counter()
    request = Request(str(case.file), None, f"fuzz-{case.number}", f"{case.number:064d}", None, infer_title=True)
    try:
        done = worker.run(request)
    except DocumentTimeoutError as exc:
        return Result(case, "hang", time.perf_counter() - start, str(exc))
    except DocumentMemoryError as exc:
        return Result(case, "memory", time.perf_counter() - start, str(exc))
    except WorkerCrashedError as exc:
        return Result(case, "uncaught", time.perf_counter() - start, f"worker crashed: {exc}")
    except NeedsOcrError as exc:
        return Result(case, "needs_ocr", time.perf_counter() - start, str(exc))
    except DocumentError as exc:
        clear = str(case.file) in str(exc) and " — " in str(exc)  # names the file, says what to do
        outcome = "failed" if clear else "uncaught"
        return Result(case, outcome, time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    except WorkerInternalError as exc:
        return Result(case, "uncaught", time.perf_counter() - start, f"{exc}\n{exc.trace}")
    except Exception as exc:  # noqa: BLE001 - the harness itself must count, not stop
        return Result(case, "uncaught", time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    return Result(case, "indexed", time.perf_counter() - start, f"{len(done.seg.provisions)} provisions")


def run(corpus: Path, count: int = 2000, rng_seed: int = 7, jobs: int = 2, budget: Budget | None = None,
        keep: Path | None = None, text_bytes: int = 12_000, pdf_pages: int = 2,
        progress: bool = False) -> Report:
    """Generate ``count`` cases and run them through ``jobs`` isolated workers."""
    budget = budget or Budget(seconds=60.0, memory_mb=2048.0)
    seeds = load_seeds(corpus, pdf_pages=pdf_pages, text_bytes=text_bytes)
    folder = Path(tempfile.mkdtemp(prefix="ctkb-fuzz-"))
    report = Report()
    workers = [Worker(budget, quiet=True) for _ in range(max(1, jobs))]
    free = list(workers)
    lock = threading.Lock()

    def one(case: Case) -> Result:
        with lock:
            worker = free.pop()
        try:
            return run_case(worker, case)
        finally:
            with lock:
                free.append(worker)
            if not keep:
                case.file.unlink(missing_ok=True)

    try:
        made = cases(seeds, folder, count, rng_seed)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(workers)) as pool:
            for done, result in enumerate(pool.map(one, made), start=1):
                report.results.append(result)
                if progress and done % 100 == 0:
                    print(f"  {done}/{len(made)} cases, {time.perf_counter() - start:.0f} s", file=sys.stderr,
                          flush=True)
        report.seconds = time.perf_counter() - start
    finally:
        report.workers_started = sum(w.started for w in workers)
        for worker in workers:
            worker.close()
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
            for result in report.results:
                if result.outcome in ("uncaught", "hang") and result.case.file.exists():
                    shutil.copy(result.case.file, keep / result.case.file.name)
        shutil.rmtree(folder, ignore_errors=True)
    return report


def summary(report: Report, budget: Budget) -> list[str]:
    total = len(report.results)
    outcomes = Counter(r.outcome for r in report.results)
    reasons = Counter(r.detail.split(":", 1)[0] for r in report.results if r.outcome == "failed")
    lines = [
        f"fuzz: {total} mutated documents through extraction, cleaning, segmentation and enrichment "
        f"in {report.seconds:.0f} s ({total / max(report.seconds, 1e-9):.1f}/s, {report.workers_started} worker start(s))",
        "  outcomes: " + ", ".join(f"{k} {outcomes.get(k, 0)}"
                                   for k in ("indexed", "failed", "needs_ocr", "memory", "hang", "uncaught")),
        "  failure reasons: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()),
        f"  uncaught exceptions: {len(report.uncaught)}",
        f"  hangs past the {budget.seconds:g} s budget: {len(report.hangs)}",
    ]
    slow = report.slowest
    if slow is not None:
        lines.append(f"  slowest case: {slow.seconds:.2f} s — #{slow.case.number}, seed {slow.case.seed}, "
                     f"mutation: {slow.case.mutation} → {slow.outcome} ({slow.detail[:100]})")
    for result in (report.uncaught + report.hangs)[:10]:
        lines.append(f"  ✗ #{result.case.number} {result.case.seed} [{result.case.mutation}]: {result.detail[:2000]}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="mutated documents (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="hypothesis seed (default 7)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    defaults = Budget.from_env()
    parser.add_argument("--timeout", type=float, default=defaults.seconds,
                        help="per-document time budget, s (default: CTKB_DOC_TIMEOUT, 300)")
    parser.add_argument("--memory-mb", type=float, default=defaults.memory_mb,
                        help="per-document memory budget, MB (default: CTKB_DOC_MEMORY_MB, 2048)")
    parser.add_argument("--keep", type=Path, help="copy the files of uncaught or hanging cases here")
    args = parser.parse_args(argv)
    corpus = Path(os.environ.get("CTKB_CORPUS", "../shared/corpus"))
    budget = Budget(seconds=args.timeout, memory_mb=args.memory_mb)
    report = run(corpus, args.count, args.seed, args.jobs, budget, args.keep, progress=True)
    print("\n".join(summary(report, budget)), flush=True)
    return 1 if report.uncaught or report.hangs else 0


if __name__ == "__main__":
    sys.exit(main())
