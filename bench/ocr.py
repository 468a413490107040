"""OCR benchmark (``make bench``): a 5-page scan read within 60 s, and re-indexed within 2 s.

The scan is the corpus's Pakistan gazette (``pak/prevention-of-trafficking-in-persons-act-2018.pdf``,
5 pages, no text layer). In one process, on a fresh home, with the encoders loaded once:

1. OCR alone: the 5 pages through :func:`indexing.ocr.ocr_pages` with no cache; against the
   60 s target.
2. The first index of the scan (``auto``): reading (OCR, cache filled), segmenting, embedding.
3. Re-indexing it (``--force``: same bytes, every stage rerun, OCR pages from the cache),
   median of 3; against the 2 s target.
4. The reference, measured in the same run: re-indexing the act's text transcript (the
   Markdown beside the scan) the same way; the ratio scan / transcript says what reading a
   scan still costs once its OCR is cached.

Run: ``CTKB_CORPUS=../shared/corpus python -m bench.ocr``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from indexing.manifest import Entry
from indexing.ocr import OcrOptions, ocr_pages
from indexing.pipeline import Indexer
from kb.knowledge import KnowledgeBase
from kb.models import DocumentMeta
from kb.settings import Settings

OCR_TARGET_S = 60.0
REINDEX_TARGET_S = 2.0
SCAN = "pak/prevention-of-trafficking-in-persons-act-2018.pdf"


def _entry(file: Path, doc_id: str) -> Entry:
    meta = DocumentMeta(id=doc_id, path=str(file), country="PAK", title="Prevention of Trafficking in Persons Act, 2018",
                        language="en", kind="act", year=2018)
    return Entry(meta=meta, file=file)


def _timed(indexer: Indexer, entry: Entry) -> tuple[float, str]:
    t0 = time.perf_counter()
    outcome = indexer.index_one(entry)
    seconds = time.perf_counter() - t0
    if outcome.status != "indexed":
        raise SystemExit(f"{entry.meta.id}: {outcome.status}: {outcome.message}")
    return seconds, outcome.message


def main() -> int:
    corpus = Path(os.environ.get("CTKB_CORPUS", "../shared/corpus")).resolve()
    scan = corpus / SCAN
    if not scan.is_file():
        print(f"error: {scan} not found; set CTKB_CORPUS to the real corpus", file=sys.stderr)
        return 2
    transcript = scan.with_suffix(".md")
    with tempfile.TemporaryDirectory(prefix="ctkb-bench-ocr-") as tmp:
        t0 = time.perf_counter()
        pages = ocr_pages(scan, [1, 2, 3, 4, 5], OcrOptions(language="en"))
        ocr_s = time.perf_counter() - t0
        per_page = ", ".join(f"{p.seconds:.1f}" for p in pages.values())
        print("== OCR of a 5-page scan (the Pakistan gazette, no text layer)")
        print(f"OCR alone: {ocr_s:.1f} s for 5 pages ({per_page} s per page, rendered at "
              f"{next(iter(pages.values())).dpi} dpi); target {OCR_TARGET_S:.0f} s, ratio {ocr_s / OCR_TARGET_S:.2f}")

        kb = KnowledgeBase.open(Settings(home=Path(tmp) / "home"))
        try:
            writer = kb.vector_writer()
            warm_s, _ = _timed(Indexer(kb.catalog, writer), _entry(transcript, "transcript"))  # loads the encoders
            first_s, message = _timed(Indexer(kb.catalog, writer, ocr="auto"), _entry(scan, "gazette"))
            print(f"first index of the scan (OCR, segment, embed; encoders already loaded): {first_s:.1f} s — {message}")
            again = [_timed(Indexer(kb.catalog, writer, force=True, ocr="auto"), _entry(scan, "gazette")) for _ in range(3)]
            re_s = statistics.median(s for s, _ in again)
            reference = [_timed(Indexer(kb.catalog, writer, force=True), _entry(transcript, "transcript"))[0]
                         for _ in range(3)]
            ref_s = statistics.median(reference)
        finally:
            kb.close()
        print(f"re-index of the scan (--force, OCR from the cache): median {re_s:.2f} s of "
              f"{', '.join(f'{s:.2f}' for s, _ in again)}; target {REINDEX_TARGET_S:.0f} s, "
              f"ratio {re_s / REINDEX_TARGET_S:.2f} — {again[-1][1]}")
        print(f"reference, same run: re-index of its text transcript (Markdown): median {ref_s:.2f} s "
              f"(first, with encoder loading: {warm_s:.1f} s); ratio scan / transcript {re_s / ref_s:.2f}")
        ok = ocr_s < OCR_TARGET_S and re_s < REINDEX_TARGET_S
        print(f"OCR benchmark: {'within' if ok else 'OUTSIDE'} both targets")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
