"""Deliverables (kb.exports, `ctkb export`) from the real corpus, read back with python-docx, openpyxl,
csv and pypdf.

The exports run on a copy of the scored catalogue with two advisor reviews (one gap made, one
gap closed) and a provision holding control characters, so that the reviewed levels and the
sanitising of document text are part of every export. Each file is made once per module;
the expectations are computed here from the run, the reviews and the catalogue directly.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import REPO, copy_catalogue, run_ctkb
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from kb.app_data import LEVEL_COLOUR, gaps
from kb.catalog import Catalog
from kb.errors import NotFoundError
from kb.exports import compare_xlsx, export_compare, matrix_csv, write_atomic
from kb.exports.context import id_ranges
from kb.exports.text import xml_safe
from kb.reviews import ReviewedCell, ReviewStore, apply_reviews
from kb.rubric import Rubric, load_rubric
from kb.scoring.country import country_view
from kb.scoring.models import NOT_PROOF_OF_ABSENCE
from kb.scoring.runs import RunStore

COUNTRY = "ZMB"
OTHERS = ["ARG", "PHL"]
RUN = "scored"
REVIEWER = "Export Tester"
GAP_COMMENT = "Only recruitment is covered; transport and harbouring are not (export test)"
CLOSE_COMMENT = "Covered by the 2022 amendment, not yet indexed (export test)"
CONTROL = "\x0b\x00\x1f"
PILLARS = ["Prevention", "Protection", "Prosecution", "Partnerships"]


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(REPO / "rubrics" / "4p.yaml")


@pytest.fixture(scope="module")
def home(scored_home: Path, tmp_path_factory: pytest.TempPathFactory, rubric: Rubric) -> Path:
    """A copy of the scored catalogue (exports need nothing else) with the reviews and the control characters."""
    home = tmp_path_factory.mktemp("exports") / "home"
    copy_catalogue(scored_home, home)
    cat = Catalog(home / "catalog.sqlite")
    run = RunStore(cat).get(RUN)
    rows = country_view(RunStore(cat).scores(RUN), [(c.id, c.pillar, c.title) for c in rubric.criteria])[COUNTRY]
    made = next(r for r in rows if r.level == "present" and r.evidence)
    closed = next(r for r in rows if r.level == "absent")
    reviews = ReviewStore(cat)
    reviews.save(COUNTRY, made.criterion, level="partial", evidence=[made.evidence[0].provision_id],
                 comment=GAP_COMMENT, reviewer=REVIEWER, machine=made, run_id=run.id)
    reviews.save(COUNTRY, closed.criterion, level="present", evidence=[], comment=CLOSE_COMMENT, reviewer=REVIEWER,
                 machine=closed, run_id=run.id)
    # Characters XML cannot hold, in the provision the reviewer cites (same length: offsets stay valid).
    pid = made.evidence[0].provision_id
    data = json.loads(cat._db.execute("SELECT data FROM provisions WHERE id=?", (pid,)).fetchone()[0])
    text = data["text"]
    data["text"] = text[:5] + CONTROL + text[5 + len(CONTROL):]
    cat._db.execute("UPDATE provisions SET data=? WHERE id=?", (json.dumps(data), pid))
    cat.close()
    (home / "made-gap").write_text(made.criterion)
    (home / "closed-gap").write_text(closed.criterion)
    return home


@pytest.fixture(scope="module")
def catalog(home: Path):
    cat = Catalog(home / "catalog.sqlite")
    yield cat
    cat.close()


@pytest.fixture(scope="module")
def made_gap(home: Path) -> str:
    return (home / "made-gap").read_text()


@pytest.fixture(scope="module")
def closed_gap(home: Path) -> str:
    return (home / "closed-gap").read_text()


@pytest.fixture(scope="module")
def cells(catalog: Catalog, rubric: Rubric) -> dict[str, list[ReviewedCell]]:
    """Every country's cells in the run with the reviews applied, computed without kb.exports."""
    view = country_view(RunStore(catalog).scores(RUN), [(c.id, c.pillar, c.title) for c in rubric.criteria])
    reviews = ReviewStore(catalog).current()
    return {country: apply_reviews(rows, reviews) for country, rows in view.items()}


@pytest.fixture(scope="module")
def outputs(home: Path, tmp_path_factory: pytest.TempPathFactory, made_gap: str) -> dict[str, Path]:
    """The memo, the matrix workbook and the Word comparison, written by the real CLI (in parallel)."""
    folder = tmp_path_factory.mktemp("exports-out")
    paths = {"memo": folder / "zmb-memo.docx", "matrix": folder / "matrix.xlsx", "compare": folder / "compare.docx"}
    commands = {
        "memo": ["export", "memo", "--country", COUNTRY, "--run", RUN, "--out", str(paths["memo"])],
        "matrix": ["export", "matrix", "--run", RUN, "--out", str(paths["matrix"])],
        "compare": ["export", "compare", "--criterion", made_gap, "--country", COUNTRY, "--country", ",".join(OTHERS),
                    "--run", RUN, "--out", str(paths["compare"])],
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(commands, pool.map(lambda args: run_ctkb(*args, home=home, check=True), commands.values())))
    for name, result in results.items():
        assert result.stdout.startswith(f"wrote {paths[name]}: "), result.stdout
    assert f"gap memo for {COUNTRY}: " in results["memo"].stdout and "(scored)" in results["memo"].stdout
    return paths


@pytest.fixture(scope="module")
def memo(outputs: dict[str, Path]):
    return Document(str(outputs["memo"]))


def _sections(doc) -> list[tuple[str, list]]:
    """The memo's Heading 2 sections: (heading, paragraphs up to the next Heading 1 or 2)."""
    out: list[tuple[str, list]] = []
    for p in doc.paragraphs:
        style = p.style.name
        if style == "Heading 2":
            out.append((p.text, []))
        elif style == "Heading 1":
            out.append(("", []))  # closes the current section
        elif out:
            out[-1][1].append(p)
    return [(h, ps) for h, ps in out if h]


_TOP_LEVEL: dict[tuple[int, str], list] = {}


def _provisions(catalog: Catalog, doc_id: str):
    """A document's top-level provisions (read once per catalogue)."""
    key = (id(catalog), doc_id)
    if key not in _TOP_LEVEL:
        _TOP_LEVEL[key] = [p for p in catalog.provisions(doc_id) if p.parent_id is None]
    return _TOP_LEVEL[key]


def _quoted_provision(catalog: Catalog, line: str, quote: str):
    """The catalogue provision a citation line and its quote name, or None.

    The line reads ``[XXX: ]citation[ (heading)] — title [doc-id][, p. N]``; the quote is the
    provision's text (XML-safe), possibly shortened.
    """
    doc_id = re.search(r" \[([^\]]+)\](?:, pp?\. [\d–]+)?$", line).group(1)
    body = re.sub(r"^[A-Z]{3,4}: ", "", line)
    for p in _provisions(catalog, doc_id):
        if body.startswith(p.citation + " ") and _norm(xml_safe(p.text)).startswith(_norm(quote)):
            return p
    return None


# -- the memo -------------------------------------------------------------------------


@pytest.mark.corpus
def test_the_memo_has_one_gap_section_per_absent_or_partial_criterion_after_reviews(
        memo, cells: dict[str, list[ReviewedCell]], rubric: Rubric, made_gap: str, closed_gap: str) -> None:
    mine = cells[COUNTRY]
    shown = [c.machine.model_copy(update={"level": c.level}) for c in mine]
    expected = [(r.criterion, r.level) for r in gaps(shown, rubric)]
    got = [(h.split()[0], re.search(r" — (absent|partial)", h).group(1)) for h, _ in _sections(memo)]
    assert got == expected  # one to one, in the app's order
    assert made_gap in [c for c, _ in got] and closed_gap not in [c for c, _ in got]
    titles = {c.id: c.title for c in rubric.criteria}
    for heading, _ in _sections(memo):
        assert heading.startswith(f"{heading.split()[0]} {titles[heading.split()[0]]} — ")


@pytest.mark.corpus
def test_every_quoted_provision_in_the_memo_is_a_provision_of_the_knowledge_base(memo, catalog: Catalog) -> None:
    paragraphs = memo.paragraphs
    quoted = [(p.text, paragraphs[i + 1]) for i, p in enumerate(paragraphs) if p.style.name == "Provision Citation"]
    assert len(quoted) > 10
    countries = set()
    for line, quote in quoted:
        assert quote.style.name == "Quote"
        found = _quoted_provision(catalog, line, quote.text)
        assert found is not None, f"{line!r} does not name a provision whose text is quoted"
        countries.add(catalog.document(found.doc_id).country)
    assert COUNTRY in countries and len(countries - {COUNTRY}) >= 2  # national text and other countries' drafting
    assert "INTL" not in countries
    text = "\n".join(p.text for p in paragraphs)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)


@pytest.mark.corpus
def test_each_gap_section_has_the_standard_the_national_text_reviewer_notes_and_other_countries(
        memo, rubric: Rubric) -> None:
    for heading, paragraphs in _sections(memo):
        c = rubric.criterion(heading.split()[0])
        subheadings = [p.text for p in paragraphs if p.style.name == "Heading 3"]
        assert subheadings == ["The standard", "What the standards say", "Assessment", "What the national text says",
                               "Reviewer notes", "How other countries drafted it"]
        body = "\n".join(p.text for p in paragraphs)
        assert _norm(c.present) in _norm(body) and "; ".join(c.legal_basis) in body
        national = body.split("What the national text says", 1)[1].split("Reviewer notes", 1)[0]
        if " — absent" in heading:
            assert "Nothing addressing this criterion was found" in national and NOT_PROOF_OF_ABSENCE[1:] in national


def _standards_part(paragraphs: list) -> list:
    """A gap section's paragraphs under "What the standards say", up to the next Heading 3."""
    start = next(i for i, p in enumerate(paragraphs) if p.style.name == "Heading 3"
                 and p.text == "What the standards say")
    end = next(i for i in range(start + 1, len(paragraphs)) if paragraphs[i].style.name == "Heading 3")
    return paragraphs[start + 1:end]


@pytest.mark.corpus
def test_under_each_gap_the_memo_quotes_each_cited_standard_or_says_its_text_is_not_in_the_knowledge_base(
        memo, catalog: Catalog, rubric: Rubric, cells: dict[str, list[ReviewedCell]]) -> None:
    from kb.exports import memo_docx
    from kb.standards import Resolver

    resolver = Resolver(catalog, rubric)
    cited = {c.id: resolver.for_criterion(c) for c in rubric.criteria}
    # ZMB's gaps cite indexed instruments only; add a country lacking a criterion that cites UNTOC (not indexed).
    other = next(country for country, mine in sorted(cells.items()) if country != COUNTRY and any(
        c.level != "present" and any(r.status == "not_indexed" for r in cited[c.criterion]) for c in mine))
    memos = {COUNTRY: memo, other: Document(io.BytesIO(memo_docx(catalog, other, run=RUN, rubric=rubric)))}
    quoted = missing = 0
    for country, doc in memos.items():
        sections = _sections(doc)
        assert sections, country
        for heading, paragraphs in sections:
            criterion = heading.split()[0]
            part = _standards_part(paragraphs)
            lines = [p.text for p in part]
            for r in cited[criterion]:
                # A citation naming one provision is shown as the rubric writes it; a range, per target.
                names = (r.citation, r.label)
                if r.status != "resolved":
                    assert any(line.startswith(names) and "not in the knowledge base" in line for line in lines), \
                        (country, criterion, r.label, lines)
                    missing += 1
                    continue
                start = _norm(xml_safe(r.text))[:60]
                at = [i for i, p in enumerate(part[:-1]) if p.text.startswith(names)
                      and p.text.endswith(f", {r.provision.citation} [{r.doc_id}]:")
                      and part[i + 1].style.name == "Quote" and _norm(part[i + 1].text).startswith(start)]
                assert at, (country, criterion, r.label, start, lines)
                assert r.instrument in part[at[0]].text
                quoted += 1
            assert len(lines) >= len(cited[criterion])
    assert quoted >= 20 and missing >= 1, (quoted, missing)


@pytest.mark.corpus
def test_a_reviewed_override_is_in_the_memo_marked_reviewed_with_the_reviewers_notes(memo, made_gap: str) -> None:
    heading, paragraphs = next(s for s in _sections(memo) if s[0].startswith(made_gap + " "))
    assert heading.endswith("— partial (reviewed)")
    body = "\n".join(p.text for p in paragraphs)
    assert f"reviewed by {REVIEWER}" in body and "(machine: present" in body
    assert GAP_COMMENT in body and "override" in body
    unreviewed = [h for h, _ in _sections(memo) if not h.startswith(made_gap + " ")]
    assert all(not h.endswith("(reviewed)") for h in unreviewed)
    summary = memo.tables[2]  # title table, documents, then the executive summary per pillar
    assert [c.text for c in summary.rows[0].cells] == ["Pillar", "Present", "Partial", "Absent", "Coverage",
                                                       "Reviewed"]
    assert sum(int(r.cells[5].text) for r in summary.rows[1:]) == 2


@pytest.mark.corpus
def test_the_memo_title_page_and_properties_carry_the_provenance(memo, catalog: Catalog) -> None:
    run = RunStore(catalog).get(RUN)
    props = memo.core_properties
    assert props.title == "Gap analysis: Zambia (ZMB)" and run.id in props.comments and props.created is not None
    assert memo.paragraphs[0].style.name == "Title"
    first = {r.cells[0].text: r.cells[1].text for r in memo.tables[0].rows}
    assert first["Country"] == "Zambia (ZMB)" and run.id in first["Scoring run"]
    assert run.rubric_checksum in first["Rubric"] and first["Calibration"] == run.calibration_checksum
    documents = memo.tables[1]
    zmb = [d for d in catalog.documents() if d.country == COUNTRY]
    assert [r.cells[0].text for r in documents.rows[1:]] == [d.id for d in zmb]
    assert [r.cells[4].text for r in documents.rows[1:]] == [d.sha256 for d in zmb]
    about = {r.cells[0].text: r.cells[1].text for r in memo.tables[-1].rows}
    assert about["run"] == f"{run.id} (scored)" and about["calibration checksum"] == run.calibration_checksum
    assert about["rubric checksum (sha256)"] == run.rubric_checksum
    assert all(about[f"model: {k}"] == v for k, v in run.models.items())
    assert about["exported at (UTC)"].endswith("+00:00")


@pytest.mark.corpus
def test_the_memo_is_editable_word_structure_not_images(memo) -> None:
    styles = {p.style.name for p in memo.paragraphs}
    assert {"Title", "Heading 1", "Heading 2", "Heading 3", "Quote", "Provision Citation", "List Bullet"} <= styles
    assert all(t.style.name == "Table Grid" for t in memo.tables)
    assert len(memo.inline_shapes) == 0


# -- the memo as PDF ------------------------------------------------------------------


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:  # `make setup` installs it; install it here too when the tests run on their own
        subprocess.run(["apt-get", "install", "-y", "-q", "libreoffice-writer"], capture_output=True, timeout=900)
        found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.fail("LibreOffice is missing and could not be installed: `apt-get install libreoffice-writer`")
    return found


@pytest.fixture(scope="module")
def memo_pdf(outputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> PdfReader:
    folder = tmp_path_factory.mktemp("memo-pdf")
    profile = (folder / "profile").as_uri()  # its own profile: parallel runs do not share a lock
    result = subprocess.run([_soffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                             "--outdir", str(folder), str(outputs["memo"])], capture_output=True, text=True,
                            timeout=300)
    pdf = folder / "zmb-memo.pdf"
    assert pdf.is_file(), f"LibreOffice made no PDF ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return PdfReader(pdf)


@pytest.mark.corpus
def test_the_memo_converts_to_pdf_with_its_first_gap_on_the_pages(memo_pdf: PdfReader, memo) -> None:
    assert 3 <= len(memo_pdf.pages) <= 200
    text = _norm(" ".join(page.extract_text() for page in memo_pdf.pages))
    first_gap = _sections(memo)[0][0]
    assert _norm(first_gap) in text
    assert "Gap analysis: Zambia (ZMB)" in _norm(memo_pdf.pages[0].extract_text())


# -- the matrix -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(outputs: dict[str, Path]):
    return load_workbook(outputs["matrix"])


def _citation_exists(catalog: Catalog, evidence: str) -> bool:
    doc_id, rest = evidence.split(": ", 1)
    citation = re.sub(r", pp?\. [\d–]+$", "", rest)
    return any(p.citation == citation for p in _provisions(catalog, doc_id))


@pytest.mark.corpus
def test_the_matrix_workbook_has_a_sheet_per_pillar_with_frozen_headers_filters_and_colours(workbook) -> None:
    assert workbook.sheetnames == ["Matrix", *PILLARS, "Criteria", "About"]
    for name in ["Matrix", *PILLARS]:
        ws = workbook[name]
        assert ws.freeze_panes in ("B2", "C2") and ws.auto_filter.ref == ws.dimensions
        fills = {rule.dxf.fill.fgColor.rgb[-6:] for cf in ws.conditional_formatting for rule in cf.rules}
        assert fills == {c.lstrip("#").upper() for c in LEVEL_COLOUR.values()}
    level_ranges = {str(cf.sqref) for cf in workbook["Protection"].conditional_formatting}
    assert f"D2:D{workbook['Protection'].max_row}" in level_ranges


@pytest.mark.corpus
def test_the_matrix_levels_reviewed_flags_and_evidence_match_the_run_and_reviews(
        workbook, cells: dict[str, list[ReviewedCell]], catalog: Catalog, rubric: Rubric, made_gap: str) -> None:
    pillar_of = {c.id: rubric.pillars[c.pillar] for c in rubric.criteria}
    rows = {}
    for pillar in PILLARS:
        ws = workbook[pillar]
        header = [c.value for c in ws[1]]
        for values in ws.iter_rows(min_row=2, values_only=True):
            row = dict(zip(header, values))
            assert pillar_of[row["Criterion"]] == pillar
            rows[(row["Country"], row["Criterion"])] = row
    expected = {(c.country, c.criterion): c for cs in cells.values() for c in cs}
    assert set(rows) == set(expected)
    for key, cell in expected.items():
        row = rows[key]
        assert (row["Level"], row["Machine level"], row["Reviewed"]) == (
            cell.level, cell.machine.level, "yes" if cell.reviewed else "no")
        assert row["Confidence"] == pytest.approx(cell.machine.confidence, abs=1e-4)
    evidence = [e for row in rows.values() for e in (row["Evidence (document: citation, pages)"] or "").split("\n")
                if e]
    assert len(evidence) > 100 and all(_citation_exists(catalog, e) for e in evidence)
    assert REVIEWER in rows[(COUNTRY, made_gap)]["Reviewer notes"]
    grid = workbook["Matrix"]
    header = [c.value for c in grid[1]]
    zmb = next(r for r in grid.iter_rows(min_row=2, values_only=True) if r[0] == COUNTRY)
    assert zmb[header.index(made_gap)] == "partial ✓"


@pytest.mark.corpus
def test_the_matrix_about_sheet_names_the_run_checksums_and_every_document(workbook, catalog: Catalog) -> None:
    run = RunStore(catalog).get(RUN)
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True)}
    assert about["run"] == f"{run.id} (scored)" and about["calibration checksum"] == run.calibration_checksum
    assert about["rubric checksum (sha256)"] == run.rubric_checksum
    scored = {s.doc_id for s in RunStore(catalog).scores(RUN)}
    for d in catalog.documents():
        if d.id in scored:
            assert about[f"document: {d.id}"] == f"sha256 {d.sha256}"


@pytest.mark.corpus
def test_the_matrix_csv_reads_back_with_its_provenance_lines_and_the_workbooks_levels(
        catalog: Catalog, rubric: Rubric, workbook) -> None:
    text = matrix_csv(catalog, run=RUN, rubric=rubric)
    lines = text.splitlines(keepends=True)
    provenance = [line for line in lines if line.startswith("#")]
    assert lines[:len(provenance)] == provenance  # all first
    assert any(line.startswith("# run: ") and "(scored)" in line for line in provenance)
    assert any(line.startswith("# document: zmb-ahta-2008: sha256 ") for line in provenance)
    rows = list(csv.DictReader(io.StringIO("".join(lines[len(provenance):]), newline="")))
    sheet = {}
    for pillar in PILLARS:
        for values in workbook[pillar].iter_rows(min_row=2, values_only=True):
            sheet[(values[0], values[1])] = (values[3], values[4])
    assert {(r["country"], r["criterion"]): (r["level"], r["reviewed"]) for r in rows} == sheet
    assert len(rows) == len(sheet)


# -- the comparison ---------------------------------------------------------------------


@pytest.mark.corpus
def test_the_comparison_docx_has_a_column_per_country_asked_with_the_reviewed_level_marked(
        outputs: dict[str, Path], catalog: Catalog, made_gap: str) -> None:
    doc = Document(str(outputs["compare"]))
    levels, side = doc.tables[0], doc.tables[1]
    assert [c.text for c in levels.rows[0].cells] == ["", COUNTRY, *OTHERS]
    assert [c.text.split(" — ")[0] for c in side.rows[0].cells] == [COUNTRY, *OTHERS]
    assert levels.rows[1].cells[1].text == "partial (reviewed; machine: present)"
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[0].text.startswith(made_gap + " ")
    quoted = 0
    for row in side.rows[1:]:
        for cell in row.cells:
            ps = cell.paragraphs
            for i, p in enumerate(ps):
                if p.style.name == "Provision Citation":
                    assert _quoted_provision(catalog, p.text, ps[i + 1].text) is not None, p.text
                    quoted += 1
    assert quoted >= 2


@pytest.mark.corpus
def test_the_comparison_workbook_has_a_column_per_country_asked(catalog: Catalog, rubric: Rubric,
                                                                made_gap: str) -> None:
    wb = load_workbook(io.BytesIO(compare_xlsx(catalog, made_gap, [COUNTRY, *OTHERS], run=RUN, rubric=rubric)))
    assert wb.sheetnames == ["Comparison", "Provisions", "About"]
    ws = wb["Comparison"]
    assert [c.value for c in ws[1]] == [made_gap, COUNTRY, *OTHERS]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == ws.dimensions
    assert ws["B2"].value == "partial (reviewed; machine: present)"
    provisions = wb["Provisions"]
    rows = [dict(zip([c.value for c in provisions[1]], r)) for r in provisions.iter_rows(min_row=2, values_only=True)]
    assert {r["Country"] for r in rows} == {COUNTRY, *OTHERS}
    for r in rows:
        if r["Citation"]:
            doc = next(d for d in catalog.documents() if d.title == r["Document"])
            assert any(p.citation == r["Citation"] for p in _provisions(catalog, doc.id))
            assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", r["Text"])


# -- text from OCR ----------------------------------------------------------------------

SCAN = "pak-ptpa-2018-gazette"  # the real corpus's 5-page gazette scan, indexed by OCR


@pytest.mark.corpus
def test_a_quote_of_ocr_text_in_the_memo_carries_the_caveat_and_the_provenance_names_the_scan(
        catalog: Catalog) -> None:
    from kb.exports import memo_docx
    from kb.ocr_quality import OCR_CAVEAT, ocr_caveat

    ocr = {p.id: p.ocr_confidence for p in catalog.provisions(SCAN)}
    assert ocr and all(c is not None for c in ocr.values())
    memo = Document(io.BytesIO(memo_docx(catalog, "PAK", run=RUN)))
    paragraphs = memo.paragraphs
    from_scan = 0
    for i, p in enumerate(paragraphs):
        if p.style.name != "Provision Citation":
            continue
        quote, under = paragraphs[i + 1], paragraphs[i + 2]
        found = _quoted_provision(catalog, p.text, quote.text)
        assert found is not None, p.text
        from_scan += found.doc_id == SCAN
        if found.ocr_confidence is not None:  # every provision of the scan; a page OCR'd elsewhere too
            assert found.doc_id != SCAN or found.ocr_confidence > 0.5
            assert under.text == f"⚠ {ocr_caveat(found.ocr_confidence)}", (p.text, under.text)
            assert all(run.italic for run in under.runs)
        else:
            assert found.doc_id != SCAN
            assert OCR_CAVEAT not in under.text, p.text  # text-layer quotes carry no caveat
    assert from_scan >= 1
    record = catalog.document(SCAN)
    about = {r.cells[0].text: r.cells[1].text for r in memo.tables[-1].rows}
    assert about[f"OCR: {SCAN}"] == (f"{record.ocr_pages} of {record.pages} pages from OCR, mean OCR confidence "
                                     f"{record.ocr_confidence:.2f}; {OCR_CAVEAT}")
    assert about[f"document: {SCAN}"] == f"sha256 {record.sha256}"  # the document row is as before
    assert any(p.text.startswith(f"Read by OCR (scanned pages): {SCAN} (") for p in paragraphs[:20])


@pytest.mark.corpus
def test_a_comparison_with_ocr_text_flags_it_in_word_and_in_the_workbook(catalog: Catalog, rubric: Rubric) -> None:
    from kb.exports import compare_docx
    from kb.ocr_quality import OCR_CAVEAT

    view = country_view(RunStore(catalog).scores(RUN), [(c.id, c.pillar, c.title) for c in rubric.criteria])
    criterion = next(r.criterion for r in view["PAK"] if r.best_doc_id == SCAN and r.evidence and r.level != "absent")
    countries = ["PAK", COUNTRY]
    wb = load_workbook(io.BytesIO(compare_xlsx(catalog, criterion, countries, run=RUN, rubric=rubric)))
    sheet = wb["Provisions"]
    rows = [dict(zip([c.value for c in sheet[1]], r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    scan_title = catalog.document(SCAN).title
    pak = [r for r in rows if r["Country"] == "PAK"]
    assert pak and all(r["Document"] == scan_title and r["OCR"].startswith(OCR_CAVEAT + " (mean OCR confidence ")
                       for r in pak)
    assert all(not r["OCR"] for r in rows if r["Country"] != "PAK")
    side = {r[0]: r[1:] for r in wb["Comparison"].iter_rows(values_only=True)}
    assert side["OCR 1"][0].startswith(OCR_CAVEAT) and not side["OCR 1"][1]

    doc = Document(io.BytesIO(compare_docx(catalog, criterion, countries, run=RUN, rubric=rubric)))
    pak_cell = doc.tables[1].rows[1].cells[0]
    texts = [p.text for p in pak_cell.paragraphs]
    at = next(i for i, p in enumerate(pak_cell.paragraphs) if p.style.name == "Quote")
    assert texts[at + 1].startswith("⚠ " + OCR_CAVEAT), texts
    assert not any(OCR_CAVEAT in p.text for p in doc.tables[1].rows[1].cells[1].paragraphs)


# -- errors and documentation ----------------------------------------------------------


def test_every_export_command_is_documented_in_the_readme() -> None:
    from kb.cli import app

    group = next(g for g in app.registered_groups if g.name == "export")
    names = [c.name or c.callback.__name__ for c in group.typer_instance.registered_commands]
    assert names == ["memo", "matrix", "compare"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert [n for n in names if not re.search(rf"^### `ctkb export {n}`", readme, re.M)] == []


@pytest.mark.corpus
def test_a_memo_for_a_country_without_documents_fails_clearly_and_writes_no_file(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "fra.docx"
    result = run_ctkb("export", "memo", "--country", "FRA", "--run", RUN, "--out", str(out), home=home)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: no documents for country 'FRA' in run ")
    assert "— countries in this run: ARG, " in result.stderr and COUNTRY in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.corpus
def test_a_comparison_of_an_unknown_criterion_lists_the_ids_and_writes_no_file(
        catalog: Catalog, rubric: Rubric, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as caught:
        export_compare(catalog, "PRS-99", [COUNTRY, "ARG"], tmp_path / "cmp.xlsx", run=RUN, rubric=rubric)
    assert str(caught.value).startswith("no criterion 'PRS-99' — the 4p rubric's criteria are PRV-01 to PRV-10, ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.corpus
@pytest.mark.parametrize(("command", "name", "valid"), [
    (["memo", "--country", COUNTRY], "memo.pdf", ".docx"),
    (["matrix"], "matrix.docx", ".xlsx, .csv"),
    (["compare", "--criterion", "PRS-01", "--country", "ZMB,ARG"], "cmp.csv", ".docx, .xlsx"),
])
def test_an_output_format_an_export_does_not_write_is_refused_with_the_valid_ones(
        home: Path, tmp_path: Path, command: list[str], name: str, valid: str) -> None:
    result = run_ctkb("export", *command, "--run", RUN, "--out", str(tmp_path / name), home=home)
    assert result.returncode == 1 and f"writes {valid} files" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_text_for_word_and_excel_loses_only_what_xml_cannot_hold() -> None:
    assert xml_safe("a\x00b\x0bc\x1f\td\ne\r\ufffef \U0001F600") == "abc\td\ne\rf \U0001F600"
    assert id_ranges(["PRV-01", "PRV-02", "PRV-03", "PRT-01", "PRT-03", "PRT-04"]) == \
        "PRV-01 to PRV-03, PRT-01, PRT-03 to PRT-04"


def test_a_write_that_fails_leaves_neither_the_file_nor_a_temporary_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "memo.docx"

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("kb.exports.service.os.replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"data")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data" and list(tmp_path.iterdir()) == [target]
