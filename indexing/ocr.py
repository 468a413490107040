"""OCR of PDF pages that have no usable text layer (Tesseract, through pytesseract).

Why pytesseract and not OCRmyPDF: both run the same Tesseract engine; on the Pakistan
gazette scan of the corpus they gave about the same character error rate (content CER:
OCRmyPDF's text layer read back with pypdf 3.81 %, pytesseract on the page at the scan's
own resolution 3.47 %), but pytesseract gives word confidences directly, needs no
Ghostscript, and does not rewrite the PDF. Figures: docs/ocr.md.

A page is rendered with pdfium (pypdfium2) at the resolution of its largest image, the
scan's own (on the 100 dpi gazette, rendering at 150 or 300 dpi lost section numbers that
Tesseract read at 100 dpi, and did not lower the error rate), read with the Tesseract
language pack of the document's language, and rebuilt line by line from Tesseract's word
boxes; enumerators OCR misreads are mended (:func:`fix_labels`). Tesseract's reading and
mean word confidence are cached under the hash of the rendered page, so indexing the same
page again (``--force``, a re-saved copy) does not OCR it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from kb.errors import CorruptDocumentError, DocumentError

VERSION = "ocr@1"

OcrMode = Literal["auto", "always", "never"]
OCR_MODES: tuple[str, ...] = ("auto", "always", "never")

# A page's text layer is usable when it has this many non-space characters, most of
# them letters or digits (a scanner's stamp or a page number alone is not a text layer).
MIN_LAYER_CHARS = 20
MIN_DPI, MAX_DPI, DEFAULT_DPI = 72, 400, 300

# ISO 639-1 (the manifest's language) -> Tesseract language pack.
TESSERACT_LANGS: dict[str, str] = {
    "en": "eng", "es": "spa", "fr": "fra", "pt": "por", "ar": "ara", "nl": "nld", "ms": "msa",
    "id": "ind", "bn": "ben", "de": "deu", "it": "ita", "ru": "rus", "zh": "chi_sim", "tr": "tur",
    "th": "tha", "vi": "vie", "ur": "urd", "hi": "hin", "sw": "swa", "tl": "tgl",
}
# Debian package of a language pack: tesseract-ocr-<code with _ as ->.
_PACKAGE = "tesseract-ocr-{}"


class OcrUnavailableError(DocumentError):
    """Tesseract or the language pack a document needs is not installed."""


@dataclass(frozen=True)
class OcrOptions:
    """How a PDF's pages get text.

    Attributes:
        mode: ``auto`` OCRs pages without a usable text layer and keeps the others;
            ``always`` OCRs every page; ``never`` reads text layers only (a scan then
            fails with :class:`kb.errors.NeedsOcrError`).
        language: The document's language (ISO 639-1); None reads with English.
        cache_dir: Where OCR'd pages are cached (None: no cache).
        page_timeout: Seconds Tesseract may take on one page.
        max_pages: Most pages one document may have OCR'd (``CTKB_OCR_MAX_PAGES``): OCR time
            is not bounded by the document's time budget, so this bounds it instead.
    """

    mode: OcrMode = "auto"
    language: str | None = None
    cache_dir: str | None = None
    page_timeout: float = 180.0
    max_pages: int = 500


@dataclass
class OcrPage:
    """What OCR made of one page."""

    text: str
    confidence: float  # mean word confidence, 0-1
    words: int
    dpi: int
    seconds: float
    cached: bool = False


PageCallback = Callable[[int, int, "OcrPage | None"], None]


def usable_layer(text: str) -> bool:
    """Whether a page's extracted text is a real text layer, not stray marks."""
    visible = "".join(text.split())
    if len(visible) < MIN_LAYER_CHARS:
        return False
    good = sum(ch.isalnum() for ch in visible)
    return good >= 0.5 * len(visible)


def tesseract_language(language: str | None, path: str | Path) -> str:
    """The installed Tesseract pack for ``language``.

    Raises:
        OcrUnavailableError: Tesseract or the pack is missing, saying how to install it.
    """
    import pytesseract

    code = TESSERACT_LANGS.get((language or "en").lower(), "eng")
    try:
        installed = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, OSError):
        raise OcrUnavailableError(
            path, "needs OCR but Tesseract is not installed",
            hint=f"install it: `apt-get install tesseract-ocr {_PACKAGE.format(code.replace('_', '-'))}` "
                 "(or run `make setup`), then index again; `--ocr never` skips OCR") from None
    if code not in installed:
        have = ", ".join(sorted(installed - {"osd"})) or "none"
        raise OcrUnavailableError(
            path, f"needs OCR in language {language or 'en'!r} but Tesseract's {code!r} pack is not installed "
                  f"(installed: {have})",
            hint=f"install it: `apt-get install {_PACKAGE.format(code.replace('_', '-'))}`, then index again")
    return code


def engine_version() -> str:
    import pytesseract

    return f"{VERSION}+tesseract-{pytesseract.get_tesseract_version()}"


def ocr_pages(path: str | Path, numbers: list[int], options: OcrOptions,
              on_page: PageCallback | None = None) -> dict[int, OcrPage]:
    """OCR the given pages (1-based) of a PDF.

    Args:
        path: The PDF.
        numbers: Page numbers to OCR.
        options: Language, cache and per-page time limit.
        on_page: Called after each page with (done, total, page).

    Returns:
        Page number -> what OCR read.

    Raises:
        OcrUnavailableError: Tesseract or the language pack is missing.
        CorruptDocumentError: pdfium cannot render the file or a page.
        DocumentError: A page took longer than ``options.page_timeout``.
    """
    import pypdfium2 as pdfium

    if not numbers:
        return {}
    if len(numbers) > options.max_pages:
        raise DocumentError(path, f"has {len(numbers)} pages to OCR, more than the limit of {options.max_pages} "
                                  "for one document", hint="split the scan into smaller files, or raise "
                                                           "CTKB_OCR_MAX_PAGES")
    # Tesseract's OpenMP threads make it 3x slower on this 2-core machine (21.5 s against
    # 6.2 s for the 5-page gazette): one thread per page, unless the user set otherwise.
    # pytesseract passes no environment of its own to the tesseract process it starts.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    lang = tesseract_language(options.language, path)
    engine = engine_version()
    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # pdfium raises PdfiumError for files pypdf could open
        raise CorruptDocumentError(path, f"cannot be rendered for OCR ({exc})") from None
    results: dict[int, OcrPage] = {}
    try:
        for done, number in enumerate(numbers, start=1):
            results[number] = _one_page(pdf, number, path, lang, engine, options)
            if on_page:
                on_page(done, len(numbers), results[number])
    finally:
        pdf.close()
    return results


def _one_page(pdf, number: int, path: str | Path, lang: str, engine: str, options: OcrOptions) -> OcrPage:
    start = time.perf_counter()
    try:
        page = pdf[number - 1]
        dpi = _dpi(page)
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
    except Exception as exc:
        raise CorruptDocumentError(path, f"cannot be rendered for OCR ({exc})", page=number) from None
    key = hashlib.sha256(b"%s|%s|%s|%d|%d|" % (engine.encode(), lang.encode(), image.mode.encode(),
                                               image.width, image.height) + image.tobytes()).hexdigest()
    found = _cache_read(options.cache_dir, key)
    if found is None:
        found = _tesseract(image, lang, path, number, options.page_timeout)
        found.dpi = dpi
        _cache_write(options.cache_dir, key, found)
    else:
        found.cached = True
    # The cache keeps Tesseract's own reading; mending is redone, so improving it needs no new OCR.
    found.text = fix_labels(found.text)
    found.seconds = time.perf_counter() - start
    return found


def _dpi(page) -> int:
    """Render at the resolution of the page's largest image (a scan's own), clamped."""
    import pypdfium2.raw as pdfium_c

    best = 0.0
    try:
        for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
            left, bottom, right, top = obj.get_bounds()
            width_px, _ = obj.get_px_size()
            if right - left > 72:  # at least an inch wide: not a logo or a stamp
                best = max(best, width_px / ((right - left) / 72))
    except Exception:  # an unreadable image object: fall back to the default resolution
        best = 0.0
    if best <= 0:
        return DEFAULT_DPI
    return int(min(MAX_DPI, max(MIN_DPI, round(best))))


def _tesseract(image, lang: str, path: str | Path, number: int, timeout: float) -> OcrPage:
    import pytesseract

    try:
        data = pytesseract.image_to_data(image, lang=lang, config="--psm 3",
                                         output_type=pytesseract.Output.DICT, timeout=timeout)
    except RuntimeError as exc:  # pytesseract's timeout
        raise DocumentError(path, f"OCR of the page took longer than {timeout:g} s ({exc})", page=number,
                            hint="check the scan; split the document, or index it with `--ocr never`") from None
    except pytesseract.TesseractError as exc:
        raise DocumentError(path, f"Tesseract failed on the page ({exc.message.strip()[:200]})", page=number,
                            hint="check the page opens in a viewer") from None
    text, confidences = _assemble(data)
    mean = sum(confidences) / len(confidences) / 100 if confidences else 0.0
    return OcrPage(text=text, confidence=round(mean, 4), words=len(confidences), dpi=0, seconds=0.0)


def _assemble(data: dict) -> tuple[str, list[float]]:
    """Lines of words in Tesseract's reading order; a blank line between paragraphs."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    for i, word in enumerate(data["text"]):
        if not word or not word.strip():
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word.strip())
        conf = float(data["conf"][i])
        if conf >= 0:
            confidences.append(conf)
    out: list[str] = []
    last: tuple[int, int] | None = None
    for key, words in lines.items():
        if last is not None and key[:2] != last:
            out.append("")
        out.append(" ".join(words))
        last = key[:2]
    return "\n".join(out) + ("\n" if out else ""), confidences


# Braces never enclose an enumerator in legislation; Tesseract reads "(1)" as "{1)",
# "(1}" or "(!)" on low-resolution scans, which hides subsection labels from the segmenter.
_LABEL = re.compile(r"(?<![\w)}])([({])\s?([0-9]{1,3}[A-Za-z]?|[a-z]{1,4}|[!|I])\s?([)}])(?![\w({])")


# A section number at the start of a line in the "12. Heading.—Text" style, with the
# digit 1 read as i, l or | ("i. Short title", "ll. Safety of victims") or the full stop
# read as a comma ("9, Cognizance.—").
_NOISE_AFTER_NUMBER = re.compile(r"(?m)^(\d{1,3}\.)[ \t]+[_|][ \t]+(?=[A-Z])")  # "7. _ Presumption"
_SECTION = re.compile(r"(?m)^([0-9il|]{1,3})[.,](?=[ \t]+[A-Z][^\n]{0,150}?(?:\.[-—–_]|—))")


def fix_labels(text: str) -> str:
    """Mend enumerators OCR misread: ``{1)``, ``(1}``, ``{c}``, ``(!)`` -> ``(1)``, ``(c)``;
    ``i.``, ``ll.``, ``9,`` opening a "N. Heading.—" line -> ``1.``, ``11.``, ``9.``."""
    def mend(m: re.Match[str]) -> str:
        label = m.group(2)
        braced = "{" in m.group(1) + m.group(3)
        if label == "!" or (braced and label in ("l", "I", "|")):
            label = "1"  # "(l)" and "(I)" in parentheses are list items; in a brace, a misread 1
        elif label in ("I", "|"):
            return m.group(0)
        return f"({label})"

    def section(m: re.Match[str]) -> str:
        return re.sub(r"[il|]", "1", m.group(1)) + "."

    return _NOISE_AFTER_NUMBER.sub(r"\1 ", _SECTION.sub(section, _LABEL.sub(mend, text)))


def _cache_read(folder: str | None, key: str) -> OcrPage | None:
    if not folder:
        return None
    file = Path(folder) / key[:2] / f"{key}.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return OcrPage(text=data["text"], confidence=float(data["confidence"]), words=int(data["words"]),
                       dpi=int(data["dpi"]), seconds=0.0)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: OCR again


def _cache_write(folder: str | None, key: str, page: OcrPage) -> None:
    if not folder:
        return
    file = Path(folder) / key[:2] / f"{key}.json"
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"text": page.text, "confidence": page.confidence, "words": page.words,
                                   "dpi": page.dpi}), encoding="utf-8")
        os.replace(tmp, file)  # whole or not at all
    except OSError:
        pass  # a cache that cannot be written only costs time


def tesseract_installed() -> bool:
    return shutil.which("tesseract") is not None


def flag_provisions(seg, clean):
    """Give each provision on OCR'd pages the mean OCR confidence of those pages.

    Args:
        seg: A :class:`kb.models.Segmentation`.
        clean: The :class:`kb.models.CleanDocument` it was made from.

    Returns:
        The segmentation, provisions from OCR'd pages carrying ``ocr_confidence``.
    """
    confidence = {p.number: p.ocr_confidence for p in clean.pages if p.ocr_confidence is not None}
    if not confidence:
        return seg
    provisions = []
    for prov in seg.provisions:
        if prov.page_start is None:
            provisions.append(prov)
            continue
        found = [confidence[n] for n in range(prov.page_start, (prov.page_end or prov.page_start) + 1)
                 if n in confidence]
        provisions.append(prov.model_copy(update={"ocr_confidence": round(sum(found) / len(found), 4)})
                          if found else prov)
    return seg.model_copy(update={"provisions": provisions})


def ocr_summary(clean) -> tuple[int, float | None]:
    """(pages from OCR, their mean confidence) of a cleaned document."""
    found = [p.ocr_confidence for p in clean.pages if p.ocr_confidence is not None]
    return len(found), (round(sum(found) / len(found), 4) if found else None)
