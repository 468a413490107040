"""Page numbers of provisions in a real PDF, checked against pypdf's own page texts.

The expected page of each provision is found independently: the first line of the
provision's text is looked up in the text pypdf extracts for each page (whitespace
collapsed), scanning forward from the previous match so that repeated phrases resolve
in document order.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from segment_invariants import check_invariants

from indexing.clean import prepare
from indexing.segment import segment

DOC_ID = "lka-saarc-trafficking-act-2005"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _corpus() -> Path:
    value = os.environ.get("CTKB_CORPUS")
    if not value:
        pytest.fail("CTKB_CORPUS is not set: point it at the corpus directory holding manifest.yaml")
    return Path(value)


@pytest.mark.corpus
def test_provisions_start_on_the_page_where_their_heading_is_printed() -> None:
    corpus = _corpus()
    manifest = {d["id"]: d for d in yaml.safe_load((corpus / "manifest.yaml").read_text(encoding="utf-8"))}
    meta = manifest[DOC_ID]
    path = corpus / meta["path"]
    _, doc = prepare(path, "pdf")
    seg = segment(doc, doc_id=DOC_ID, doc_sha256=meta["sha256"], language=meta["language"])
    check_invariants(doc, seg)
    pages = [_squash(page.extract_text() or "") for page in PdfReader(path).pages]

    checked = 0
    cursor = 0
    for provision in seg.provisions:
        first_line = provision.text.split("\n", 1)[0]
        snippet = _squash(first_line)[:40]
        if len(snippet) < 15:
            continue  # too short to identify one page
        expected = next((i + 1 for i in range(cursor, len(pages)) if snippet in pages[i]), None)
        if expected is None:
            continue  # the line wraps across a page break; cannot be located independently
        cursor = expected - 1
        assert provision.page_start == expected, (
            f"{provision.citation}: page_start {provision.page_start}, heading printed on page {expected}"
        )
        assert provision.page_end is not None and provision.page_end >= provision.page_start
        checked += 1
    print(f"\n{DOC_ID}: {checked} provision page numbers checked against pypdf")
    assert checked >= 10, f"only {checked} provisions could be located independently"
    top = [p.page_start for p in seg.top_level]
    assert top == sorted(top), "top-level provisions must not go back in pages"
