"""Per-document budgets: the CPU stages of one document run in a worker process.

Extraction, cleaning, title/language inference, segmentation and enrichment of a
document run in a long-lived child process (``python -m indexing.isolate``), reused
from one document to the next so the imports (spaCy, pypdf, py3langid) are paid once.
For each document the parent sends a :class:`Request` and waits at most the time
budget; the child caps its own address space at "what it uses now + the memory
budget" (``RLIMIT_AS``) while it works. So a pathological file (a decompression
bomb, a layout that makes a stage loop, thousands of pages) fails alone with a clear
reason:

- past the time budget the parent kills the child and raises :class:`DocumentTimeoutError`
  (a fresh child is started for the next document);
- past the memory budget the allocation fails in the child (``MemoryError``), which
  answers :class:`DocumentMemoryError` and exits;
- a child that dies otherwise (a crash in a C extension) gives :class:`WorkerCrashedError`.

Problems the stages report themselves (:class:`kb.errors.DocumentError` and its kinds)
come back with the same class and message. Embedding stays in the parent: it is
bounded by the segmentation the child returned and needs the loaded models.

Messages on the pipes are length-prefixed pickles of plain data and pydantic models.
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from indexing.ocr import OcrOptions, OcrUnavailableError, PageCallback
from kb.errors import DocumentError
from kb.models import CleanDocument, Format, Segmentation

_HEADER = struct.Struct("!Q")
# Starting a worker imports spaCy and friends; that time is not the document's.
STARTUP_TIMEOUT = 180.0
_MB = 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """What one document may use for extraction through enrichment.

    Attributes:
        seconds: Wall-clock time (``CTKB_DOC_TIMEOUT``).
        memory_mb: Memory the document may add to the worker, in MB (``CTKB_DOC_MEMORY_MB``).
        isolate: Run the stages in a worker process; False runs them in-process with
            no budget enforced (for debugging only).
    """

    seconds: float = 300.0
    memory_mb: float = 2048.0
    isolate: bool = True

    @classmethod
    def from_settings(cls, settings) -> "Budget":
        return cls(seconds=float(settings.doc_timeout), memory_mb=float(settings.doc_memory_mb))

    @classmethod
    def from_env(cls) -> "Budget":
        from kb.settings import Settings

        return cls.from_settings(Settings.from_env())


class DocumentTimeoutError(DocumentError):
    hint = "split the document into smaller files, or raise CTKB_DOC_TIMEOUT (seconds)"


class DocumentMemoryError(DocumentError):
    hint = "split the document into smaller files, or raise CTKB_DOC_MEMORY_MB"


class WorkerCrashedError(DocumentError):
    hint = "check the file opens in a viewer; if it does, please report it with this file"


class WorkerInternalError(Exception):
    """A bug in a stage (not a problem with the document the user can act on)."""

    def __init__(self, kind: str, message: str, trace: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.trace = trace


@dataclass
class Request:
    """One document for the worker."""

    file: str
    fmt: Format | None
    doc_id: str
    sha256: str
    language: str | None = None  # None: detect it
    infer_title: bool = False
    memory_mb: float = 2048.0
    ocr: OcrOptions | None = None  # None: PDFs without a text layer are not OCR'd


@dataclass
class Prepared:
    """What the CPU stages made of one document."""

    format: Format
    page_count: int | None
    clean: CleanDocument
    seg: Segmentation
    language: str
    title: str | None = None
    note: str = ""
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    ocr_pages: int = 0
    ocr_confidence: float | None = None
    ocr_cached: int = 0  # of those pages, read from the OCR cache


# ------------------------------------------------------------------ the stages


_ENRICHER = None


def process(request: Request, on_page: PageCallback | None = None) -> Prepared:
    """Run extraction (with OCR of pages that need it), cleaning, inference, segmentation
    and enrichment of one document in this process (the worker calls it; so do tests and
    the in-process mode). ``on_page`` is called after each OCR'd page."""
    global _ENRICHER
    from dataclasses import replace

    from indexing import clean as clean_stage
    from indexing import enrich as enrich_stage
    from indexing import ocr as ocr_stage
    from indexing import segment as segment_stage
    from indexing.infer import language_of, title_from

    start = time.perf_counter()
    stages: dict[str, float] = {}
    file = Path(request.file)
    cached: dict[int, bool] = {}

    def page_done(done: int, total: int, page) -> None:
        cached[done] = page.cached
        if on_page is not None:
            on_page(done, total, page)

    raw, clean = clean_stage.prepare(file, request.fmt, request.ocr, page_done)
    language = request.language or language_of(clean.text)
    if request.ocr and not request.language and language != "en" and ocr_stage.ocr_summary(clean)[0]:
        # Read in English for want of a language; now that the text says which, read it again.
        try:
            ocr_stage.tesseract_language(language, file)
        except OcrUnavailableError:
            pass  # keep the English reading rather than fail
        else:
            cached.clear()
            raw, clean = clean_stage.prepare(file, request.fmt, replace(request.ocr, language=language), page_done)
    stages["extract+clean"] = time.perf_counter() - start
    title = title_from(raw, clean, file) if request.infer_title else None
    mark = time.perf_counter()
    seg = segment_stage.segment(clean, doc_id=request.doc_id, doc_sha256=request.sha256, language=language)
    stages["segment"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if _ENRICHER is None:
        _ENRICHER = enrich_stage.Enricher()
    seg = ocr_stage.flag_provisions(_ENRICHER.enrich(seg, language), clean)
    stages["enrich"] = time.perf_counter() - mark
    note = raw.metadata.get("format_note", "")
    ocr_count, ocr_confidence = ocr_stage.ocr_summary(clean)
    return Prepared(format=raw.format, page_count=raw.page_count, clean=clean, seg=seg, language=language,
                    title=title, note=note, seconds=time.perf_counter() - start, stages=stages,
                    ocr_pages=ocr_count, ocr_confidence=ocr_confidence, ocr_cached=sum(cached.values()))


# ------------------------------------------------------------------ framing


def _send(stream, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    """``size`` bytes from ``fd``; None at EOF; TimeoutError past ``deadline``."""
    chunks: list[bytes] = []
    left = size
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int, deadline: float | None) -> object:
    header = _read_exact(fd, _HEADER.size, deadline)
    if header is None:
        raise EOFError
    body = _read_exact(fd, _HEADER.unpack(header)[0], deadline)
    if body is None:
        raise EOFError
    return pickle.loads(body)


# ------------------------------------------------------------------ errors across the pipe


def _error_state(exc: BaseException) -> dict:
    state = {k: v for k, v in vars(exc).items() if isinstance(v, (str, int, float, type(None)))}
    return {"module": type(exc).__module__, "name": type(exc).__qualname__, "message": str(exc), "state": state}


def _rebuild(info: dict) -> Exception:
    """The DocumentError the worker raised, same class and message."""
    import importlib

    cls: type = DocumentError
    if info["module"] in ("kb.errors", __name__) or info["module"].startswith("indexing."):
        try:
            found = getattr(importlib.import_module(info["module"]), info["name"])
            if isinstance(found, type) and issubclass(found, DocumentError):
                cls = found
        except (ImportError, AttributeError):
            pass
    exc = cls.__new__(cls)
    Exception.__init__(exc, info["message"])
    vars(exc).update(info["state"])
    if cls is DocumentError or "message" not in info["state"]:
        exc.message, exc.hint = info["message"], ""
    return exc


# ------------------------------------------------------------------ the parent side


def _vm_bytes() -> int:
    """This process's current virtual size (what RLIMIT_AS counts)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Worker:
    """A child process running :func:`process` under a :class:`Budget`.

    Thread-safe (one document at a time); started on first use, restarted after a
    timeout, a memory failure or a crash. :meth:`close` stops it (also at exit).
    """

    def __init__(self, budget: Budget | None = None, *, quiet: bool = False) -> None:
        self.budget = budget or Budget()
        self.quiet = quiet  # discard the child's stderr (library warnings), e.g. when fuzzing
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.started = 0  # how many child processes were started (restarts included)
        self.peak_rss_mb = 0.0  # largest resident size a child reported
        atexit.register(self.close)

    # -- lifecycle
    def _start(self) -> subprocess.Popen:
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.Popen([sys.executable, "-m", "indexing.isolate"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if self.quiet else None,
                                env=env, cwd=root, close_fds=True)
        self.started += 1
        try:
            hello = _receive(proc.stdout.fileno(), time.monotonic() + STARTUP_TIMEOUT)
        except (EOFError, TimeoutError, pickle.UnpicklingError) as exc:
            self._kill(proc)
            raise RuntimeError(f"the document worker did not start ({type(exc).__name__}); "
                               "run `python -m indexing.isolate --check` to see why") from None
        if hello != "ready":
            self._kill(proc)
            raise RuntimeError(f"the document worker did not start (said {hello!r})")
        return proc

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        try:
            proc.kill()
        except OSError:
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self._kill(proc)
        else:
            proc.stdout.close()

    # -- work
    def run(self, request: Request, on_page: Callable[[int, int], None] | None = None) -> Prepared:
        """Process one document within the budget.

        Time spent on OCR does not count against the budget: each OCR'd page has its own
        limit (``OcrOptions.page_timeout``), and ``on_page(done, total)`` hears of it.

        Raises:
            DocumentError: The stages' own reasons, or DocumentTimeoutError,
                DocumentMemoryError, WorkerCrashedError.
            WorkerInternalError: A stage failed with an unexpected exception (a bug).
        """
        if not self.budget.isolate:
            return process(request, None if on_page is None else lambda done, total, _page: on_page(done, total))
        request.memory_mb = self.budget.memory_mb
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            proc = self._proc
            deadline = time.monotonic() + self.budget.seconds
            try:
                _send(proc.stdin, request)
                kind, payload = _receive(proc.stdout.fileno(), deadline)
                while kind == "progress":  # a page was OCR'd
                    done, total, seconds = payload
                    deadline += seconds
                    if on_page is not None:
                        on_page(done, total)
                    kind, payload = _receive(proc.stdout.fileno(), deadline)
            except TimeoutError:
                self._kill(proc)
                self._proc = None
                raise DocumentTimeoutError(
                    request.file, f"took longer than {self.budget.seconds:g} s to read and segment (stopped)"
                ) from None
            except (EOFError, BrokenPipeError, OSError, pickle.UnpicklingError):
                code = proc.wait(timeout=10) if proc.poll() is None else proc.returncode
                self._kill(proc)
                self._proc = None
                raise WorkerCrashedError(request.file, _died(code, self.budget.memory_mb)) from None
            if kind == "ok":
                self.peak_rss_mb = max(self.peak_rss_mb, payload.stages.pop("peak_rss_mb", 0.0))
                return payload
            if kind == "memory":
                self._kill(proc)  # it exits by itself; make sure
                self._proc = None
                raise DocumentMemoryError(
                    request.file,
                    f"needed more than {self.budget.memory_mb:g} MB of memory to read and segment (stopped)",
                )
            if kind == "document":
                raise _rebuild(payload)
            raise WorkerInternalError(payload["name"], payload["message"], payload.get("trace", ""))


def _died(code: int | None, memory_mb: float) -> str:
    if code is not None and code < 0:
        try:
            how = signal.Signals(-code).name
        except ValueError:
            how = f"signal {-code}"
    else:
        how = f"exit code {code}"
    return (f"the reading process died ({how}) while reading it; it may have needed more than "
            f"the {memory_mb:g} MB memory budget (CTKB_DOC_MEMORY_MB)")


_SHARED: dict[Budget, Worker] = {}
_SHARED_LOCK = threading.Lock()


def shared_worker(budget: Budget) -> Worker:
    """One worker per budget for the whole process (the CLI, the app's uploads, tests)."""
    with _SHARED_LOCK:
        worker = _SHARED.get(budget)
        if worker is None:
            worker = _SHARED[budget] = Worker(budget)
        return worker


# ------------------------------------------------------------------ the child side


def _serve() -> None:
    import resource

    # The protocol owns the real stdout; anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    fd_in = sys.stdin.buffer.fileno()
    _warm_up()
    _send(out, "ready")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    while True:
        try:
            request = _receive(fd_in, None)
        except EOFError:
            return
        answer: tuple[str, object]
        limited = False
        try:
            cap = _vm_bytes() + int(request.memory_mb * _MB)
            if hard == resource.RLIM_INFINITY or cap < hard:
                resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
                limited = True
            result = process(request, lambda done, total, page: _send(out, ("progress", (done, total, page.seconds))))
        except MemoryError:
            answer = ("memory", None)
        except DocumentError as exc:
            answer = ("document", _error_state(exc))
        except Exception as exc:  # noqa: BLE001 - reported to the parent as a bug
            answer = ("internal", {"name": type(exc).__name__, "message": str(exc)[:300],
                                   "trace": traceback.format_exc(limit=-8)})
        else:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            result.stages["peak_rss_mb"] = usage.ru_maxrss / 1024
            answer = ("ok", result)
        finally:
            if limited:
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        if answer[0] == "memory":
            try:
                _send(out, answer)
            finally:
                os._exit(3)  # state after MemoryError is not trusted: a fresh worker is started
        _send(out, answer)


def _warm_up() -> None:
    """Import the stages and build the usual spaCy pipelines before the first budget starts."""
    import indexing.extract_docx
    import indexing.extract_html
    import indexing.extract_markup
    import indexing.extract_pdf
    import indexing.segment  # noqa: F401
    from indexing import enrich
    from indexing.infer import language_of

    language_of("warm up the language identifier")
    global _ENRICHER
    _ENRICHER = enrich.Enricher()
    _ENRICHER.rules("en")


if __name__ == "__main__":
    # The stages tokenize with blank spaCy pipelines only: keep thinc from importing torch
    # (seconds and hundreds of MB per worker start).
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    # Run the imported module's functions, so what is pickled names ``indexing.isolate``.
    from indexing import isolate

    if sys.argv[1:] == ["--check"]:
        isolate._warm_up()
        print("the document worker starts fine")
    else:
        isolate._serve()
