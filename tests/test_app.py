"""The Streamlit app's pages, run with ``streamlit.testing`` on an empty knowledge base and on
the real corpus indexed and scored (real catalogue, real Qdrant Edge store, real encoders)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import REPO, copy_catalogue
from streamlit.testing.v1 import AppTest

PAGES = ["app_pages/overview.py", "app_pages/country.py", "app_pages/compare.py", "app_pages/search.py",
         "app_pages/documents.py", "app_pages/review.py", "app_pages/runs.py"]


def _app(home: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None) -> AppTest:
    monkeypatch.setenv("CTKB_HOME", str(home))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def _text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.info, *at.caption, *at.warning, *at.title, *at.subheader)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_knowledge_base_and_says_how_to_add_documents(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    at = _app(tmp_path / "empty-home", monkeypatch, page)
    assert not at.exception, at.exception
    assert "knowledge base is empty" in _text(at)


@pytest.mark.corpus
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_real_corpus(scored_home: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    at = _app(scored_home, monkeypatch, page)
    assert not at.exception, at.exception
    assert "knowledge base is empty" not in _text(at)


@pytest.mark.corpus
def test_the_country_profile_lists_gaps_with_the_caveat_and_the_documents_it_rests_on(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(scored_home, monkeypatch, "app_pages/country.py")
    at.selectbox[0].set_value("ARG").run()
    assert not at.exception, at.exception
    text = _text(at)
    assert "not proof" in text
    assert "arg-ley-26364" in text
    assert any(s.value.startswith("Gaps (") for s in at.subheader)
    assert len(at.expander) >= 10


@pytest.mark.corpus
def test_an_override_saved_in_a_country_profile_survives_a_reload_and_is_in_the_audit_log(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(scored_home, monkeypatch, "app_pages/country.py")
    at.selectbox[0].set_value("ARG").run()
    gap = next(e for e in at.expander if " — absent" in e.label)
    criterion = gap.label.split()[0]
    drafting = next(t for t in gap.toggle if t.label == "How other countries drafted it")
    drafting.set_value(True).run()
    assert not at.exception, at.exception
    gap = next(e for e in at.expander if e.label.startswith(criterion + " "))
    next(t for t in gap.toggle if t.label == "Review this criterion").set_value(True).run()
    gap = next(e for e in at.expander if e.label.startswith(criterion + " "))
    gap.radio[0].set_value("partial")
    gap.text_area[0].input("Art. 9 covers it in part (test review)")
    gap.text_input[0].input("Test Advisor")
    gap.button[0].click().run()
    assert not at.exception, at.exception
    assert any("saved" in m.value for m in at.success)

    reloaded = _app(scored_home, monkeypatch, "app_pages/country.py")
    reloaded.selectbox[0].set_value("ARG").run()
    cell = next(e for e in reloaded.expander if e.label.startswith(criterion + " "))
    assert cell.label.endswith("— partial (machine: absent) ✓"), cell.label
    log = _app(scored_home, monkeypatch, "app_pages/review.py")
    rows = log.dataframe[0].value
    entry = rows[(rows["criterion"] == criterion) & (rows["country"] == "ARG")].iloc[0]
    assert entry["who"] == "Test Advisor" and entry["action"] == "override"
    assert entry["before"] is None and entry["after"] == "partial"


@pytest.mark.corpus
def test_the_overview_filters_countries_by_region(scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(scored_home, monkeypatch, "app_pages/overview.py")
    regions = next(m for m in at.multiselect if m.label == "Regions")
    assert {"Africa", "Asia", "Europe", "North America", "South America"} <= set(regions.options)
    regions.select("South America").run()
    assert not at.exception, at.exception
    assert sorted(at.dataframe[0].value.index) == ["ARG", "BRA", "PER"]


@pytest.mark.corpus
def test_a_search_hit_opens_in_its_document_context_with_a_link_to_compare_it(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(scored_home, monkeypatch, "app_pages/search.py")
    at.text_input[0].input("non-punishment of victims").run()
    assert not at.exception, at.exception
    first = at.expander[0]
    next(t for t in first.toggle if t.label == "Read in context").set_value(True).run()
    assert not at.exception, at.exception
    shown = [m.value for m in at.expander[0].markdown]
    assert sum(m.startswith("➤ ") for m in shown) == 1 and len(shown) >= 4  # the hit and its neighbours


@pytest.mark.corpus
def test_compare_starts_from_a_provision_and_finds_the_closest_provisions_of_other_countries(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.catalog import Catalog

    cat = Catalog(scored_home / "catalog.sqlite")
    article = next(p for p in cat.provisions("arg-ley-26364") if p.citation == "Artículo 5")  # No punibilidad
    cat.close()
    monkeypatch.setenv("CTKB_HOME", str(scored_home))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/compare.py")
    at.query_params["provision"] = article.id
    at.run()
    assert at.radio[0].value == "From a provision"
    assert at.selectbox[1].value.id == article.id
    at.multiselect[0].set_value(["NLD", "ZMB"]).run()
    assert not at.exception, at.exception
    headers = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert headers == ["### ARG (start)", "### NLD", "### ZMB"]
    similar = [m.value for m in at.markdown if "similarity" in m.value]
    assert len(similar) == 6
    # The Dutch guideline's section on non-prosecution and non-punishment of victims comes first.
    assert similar[0].startswith("**Vervolging, 2**"), similar[0]


@pytest.mark.corpus
def test_the_runs_page_shows_a_runs_accuracy_against_a_gold_file(
        scored_home: Path, dev_gold: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(scored_home, monkeypatch, "app_pages/runs.py")
    at.text_input[0].input(str(dev_gold))
    at.selectbox(key="eval-run").set_value(next(o for o in at.selectbox(key="eval-run").options if "scored" in o))
    next(b for b in at.button if b.label == "Evaluate").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value
    overall = table[table["scope"] == "overall"].iloc[0]
    assert overall["macro_f1"] >= 0.8 and overall["n"] >= 500
    assert any(s.startswith("bm25 baseline") for s in table["scope"])


@pytest.mark.corpus
def test_the_profile_and_the_overview_prepare_their_word_and_spreadsheet_downloads(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import docx
    import openpyxl

    from kb.app_data import latest_run
    from kb.catalog import Catalog

    cat = Catalog(scored_home / "catalog.sqlite")
    run = latest_run(cat).id
    cat.close()
    at = _app(scored_home, monkeypatch, "app_pages/country.py")
    at.selectbox[0].set_value("ZMB").run()
    next(b for b in at.button if b.label == "Prepare Word gap memo").click().run()
    assert not at.exception, at.exception
    memo = at.session_state[f"export-memo-{run}-ZMB"]
    assert any(p.style.name == "Heading 2" for p in docx.Document(io.BytesIO(memo)).paragraphs)
    assert [d.proto.label for d in at.get("download_button")] == ["Download Word gap memo"]

    at = _app(scored_home, monkeypatch, "app_pages/overview.py")
    next(b for b in at.button if b.label == "Prepare spreadsheet (XLSX)").click().run()
    assert not at.exception, at.exception
    sheet = at.session_state[f"export-matrix-xlsx-{run}"]
    assert "About" in openpyxl.load_workbook(io.BytesIO(sheet)).sheetnames


@pytest.mark.corpus
def test_the_country_profile_flags_evidence_read_by_ocr_and_its_context(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.app_data import latest_run
    from kb.catalog import Catalog
    from kb.ocr_quality import OCR_CAVEAT, ocr_caveat
    from kb.scoring.runs import RunStore

    scan = "pak-ptpa-2018-gazette"  # the real corpus's gazette scan, indexed by OCR
    cat = Catalog(scored_home / "catalog.sqlite")
    ocr = {p.id: p.ocr_confidence for p in cat.provisions(scan)}
    run = latest_run(cat)
    cited = [e for s in RunStore(cat).scores(run.id) if s.doc_id == scan for e in s.evidence]
    cat.close()
    assert cited and all(ocr[e.provision_id] is not None for e in cited)

    at = _app(scored_home, monkeypatch, "app_pages/country.py")
    at.selectbox[0].set_value("PAK").run()
    assert not at.exception, at.exception
    flagged = [e for e in at.expander if any(OCR_CAVEAT in c.value for c in e.caption)]
    assert flagged, [e.label for e in at.expander]
    gap = flagged[0]
    notes = [c.value for c in gap.caption if OCR_CAVEAT in c.value]
    assert all(n.startswith("⚠ " + OCR_CAVEAT + " (mean OCR confidence 0.") for n in notes)
    assert set(notes) <= {"⚠ " + ocr_caveat(c) for c in ocr.values()}
    # Read in context: the evidence and its neighbours, each flagged (the whole document is a scan).
    criterion = gap.label.split()[0]
    toggle = next(t for t in gap.toggle if t.label == "Read in context")
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    gap = next(e for e in at.expander if e.label.startswith(criterion + " "))
    shown = [m.value for m in gap.markdown if m.value.startswith(("➤ **", "**Section"))]
    assert sum(OCR_CAVEAT in c.value for c in gap.caption) >= len(notes) + 1, shown

    other = _app(scored_home, monkeypatch, "app_pages/country.py")
    other.selectbox[0].set_value("ARG").run()  # text-layer documents only: no caveat anywhere
    assert not any(OCR_CAVEAT in c.value for c in other.caption)


@pytest.mark.corpus
def test_the_library_table_shows_the_pages_read_by_ocr_and_the_outline_flags_them(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.ocr_quality import OCR_CAVEAT

    scan = "pak-ptpa-2018-gazette"
    at = _app(scored_home, monkeypatch, "app_pages/documents.py")
    table = at.dataframe[0].value.set_index("id")
    assert table.loc[scan, "ocr"].startswith("5 pages OCR, 0.")
    assert table.loc["arg-ley-26364", "ocr"] == ""
    at.selectbox[0].set_value(scan).run()
    assert not at.exception, at.exception
    assert any("5 of 5 pages were read by OCR" in w.value for w in at.warning)
    assert len(at.expander) >= 10 and all(any(OCR_CAVEAT in c.value for c in e.caption) for e in at.expander)


@pytest.mark.corpus
def test_search_hits_from_a_scan_carry_the_ocr_caveat_and_the_others_do_not(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.ocr_quality import OCR_CAVEAT

    at = _app(scored_home, monkeypatch, "app_pages/search.py")
    next(m for m in at.multiselect if m.label == "Countries").set_value(["PAK"])
    at.text_input[0].input("protection of victims and witnesses").run()
    assert not at.exception, at.exception
    # The gazette (a scan) and its Markdown transcript state the same act: hits come from both.
    flagged = {e.label: any(OCR_CAVEAT in c.value for c in e.caption) for e in at.expander}
    assert any(flagged.values()) and not all(flagged.values()), flagged
    gazette = "Prevention of Trafficking in Persons Act, 2018"
    assert all(label.startswith("PAK · ") and gazette in label for label in flagged)


# -- standards: listed apart, never a country; their text beside each criterion citing them ---------

STANDARDS_SECTION = "Standards (international instruments and model laws)"


def _legal_basis() -> dict[str, list[str]]:
    """Criterion id -> its legal basis, read from the rubric file (no scoring machinery)."""
    import yaml

    data = yaml.safe_load((REPO / "rubrics" / "4p.yaml").read_text(encoding="utf-8"))
    return {c["id"]: c["legal_basis"] for c in data["criteria"]}


@pytest.fixture(scope="module")
def standards_scored(scored_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the scored catalogue whose latest run also scores every standard (as country
    INTL, all present), as runs made before standards were left out of scoring did: every view
    must still leave them out. The pages driven here read the catalogue only."""
    from datetime import datetime, timedelta

    from kb.catalog import Catalog
    from kb.scoring.runs import RunStore
    from kb.standards import standards

    home = tmp_path_factory.mktemp("standards-app") / "home"
    copy_catalogue(scored_home, home)
    cat = Catalog(home / "catalog.sqlite")
    store = RunStore(cat)
    run = store.get("scored")
    scores = store.scores(run.id)
    template = [s for s in scores if s.country == "ZMB" and s.evidence]
    fake = [s.model_copy(update={"doc_id": d.id, "country": "INTL", "level": "present"})
            for d in standards(cat) for s in template]
    assert fake
    later = (datetime.fromisoformat(run.created_at) + timedelta(seconds=1)).isoformat()
    store.save(run.model_copy(update={"id": run.id + "-intl", "name": "with-standards", "created_at": later}),
               scores + fake)
    cat.close()
    return home


def _standard_ids(home: Path) -> set[str]:
    from kb.catalog import Catalog
    from kb.standards import is_standard

    cat = Catalog(home / "catalog.sqlite")
    try:
        return {d.id for d in cat.documents() if is_standard(d)}
    finally:
        cat.close()


@pytest.mark.corpus
def test_the_overview_the_profile_and_compare_never_offer_a_standard_as_a_country(
        standards_scored: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(standards_scored, monkeypatch, "app_pages/overview.py")
    assert not at.exception, at.exception
    assert "-intl (" in _text(at)  # the run that scored the standards is the one shown
    countries = set(at.dataframe[0].value.index)
    assert "ZMB" in countries and "INTL" not in countries
    assert "International" not in next(m for m in at.multiselect if m.label == "Regions").options
    assert "INTL" not in next(s for s in at.selectbox if s.label == "Open a country profile").options

    at = _app(standards_scored, monkeypatch, "app_pages/country.py")
    assert "INTL" not in at.selectbox[0].options and "ZMB" in at.selectbox[0].options

    at = _app(standards_scored, monkeypatch, "app_pages/compare.py")
    assert "INTL" not in next(m for m in at.multiselect if m.label.startswith("Countries")).options
    at.radio[0].set_value("From a provision").run()
    at.selectbox[0].set_value(sorted(_standard_ids(standards_scored))[0]).run()  # start from a standard's article
    assert not at.exception, at.exception
    others = next(m for m in at.multiselect if m.label.startswith("Countries to compare with")).options
    assert "ZMB" in others and "INTL" not in others


@pytest.mark.corpus
def test_the_documents_page_lists_the_standards_in_their_own_section(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    standard = _standard_ids(scored_home)
    assert len(standard) >= 4  # the Protocol, the CoE Convention, the EU Directive, ILO P029
    at = _app(scored_home, monkeypatch, "app_pages/documents.py")
    assert not at.exception, at.exception
    assert STANDARDS_SECTION in [s.value for s in at.subheader]
    national, standards = (set(t.value["id"]) for t in at.dataframe[:2])
    assert standards == standard and not national & standard and "zmb-ahta-2008" in national
    assert standard <= set(at.selectbox[0].options)  # still readable article by article


@pytest.mark.corpus
def test_the_country_profile_quotes_the_standards_beside_a_gap_and_names_those_not_indexed(
        standards_scored: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.app_data import escape_markdown, latest_run
    from kb.catalog import Catalog
    from kb.scoring.country import country_view
    from kb.scoring.runs import RunStore
    from kb.standards import is_standard

    basis = _legal_basis()
    cites_coe26 = next(c for c, b in basis.items() if "CoE Art 26" in b)
    cites_untoc = {c for c, b in basis.items() if any(x.startswith("UNTOC ") for x in b)}
    cat = Catalog(standards_scored / "catalog.sqlite")
    docs = cat.documents()
    coe = next(d for d in docs if is_standard(d) and d.title.startswith("Council of Europe Convention"))
    assert not any("Convention against Transnational Organized Crime" in d.title.split(",")[0] for d in docs)
    article = next(p for p in cat.provisions(coe.id) if p.parent_id is None and p.number == "26")
    phrase = max(article.text.splitlines(), key=len)[:60]  # a sentence of the article, not its heading
    view = country_view(RunStore(cat).scores(latest_run(cat).id), [(c, "p", c) for c in basis])
    cat.close()
    # A country lacking the non-punishment criterion (CoE Art 26) and one citing UNTOC.
    country, untoc = next((country, gap) for country, rows in sorted(view.items()) if country != "INTL"
                          for gap in sorted(r.criterion for r in rows if r.level != "present" and r.criterion in
                                            cites_untoc)
                          if any(r.criterion == cites_coe26 and r.level != "present" for r in rows))

    at = _app(standards_scored, monkeypatch, "app_pages/country.py")
    at.selectbox[0].set_value(country).run()
    assert not at.exception, at.exception
    gap = next(e for e in at.expander if e.label.startswith(cites_coe26 + " "))
    shown = "\n".join(m.value for m in gap.markdown)
    assert "**What the standards say**" in shown and "**National text**" in shown
    assert escape_markdown(phrase) in shown, (phrase, shown[:2000])
    assert "**CoE Art 26** — " in shown and escape_markdown("Article 26") in shown
    assert not any("CoE Art 26" in c.value for c in gap.caption)
    other = next(e for e in at.expander if e.label.startswith(untoc + " "))
    lines = [line for c in other.caption for line in c.value.split("  \n")]
    unindexed = [line for line in lines if line.startswith("UNTOC Art ")]
    assert len(unindexed) == sum(b.startswith("UNTOC ") for b in basis[untoc]), lines
    assert all(line.endswith("text not in the knowledge base") for line in unindexed), unindexed
    shown = "\n".join(m.value for m in other.markdown)  # the criterion's other instruments, with their text
    assert all(f"**{escape_markdown(b.split()[0])}" in shown for b in basis[untoc] if not b.startswith("UNTOC "))


@pytest.mark.corpus
def test_compare_by_criterion_shows_the_standards_text_above_the_countries(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.app_data import escape_markdown
    from kb.catalog import Catalog
    from kb.standards import is_standard

    basis = _legal_basis()
    criterion = next(c for c, b in basis.items() if "CoE Art 26" in b)
    cat = Catalog(scored_home / "catalog.sqlite")
    coe = next(d for d in cat.documents() if is_standard(d) and d.title.startswith("Council of Europe Convention"))
    article = next(p for p in cat.provisions(coe.id) if p.parent_id is None and p.number == "26")
    cat.close()
    at = _app(scored_home, monkeypatch, "app_pages/compare.py")
    at.selectbox[0].set_value(criterion).run()
    at.multiselect[0].set_value(["ARG", "ZMB"]).run()
    assert not at.exception, at.exception
    box = next(e for e in at.expander if e.label == "What the standards say")
    assert escape_markdown(max(article.text.splitlines(), key=len)[:60]) in "\n".join(m.value for m in box.markdown)
    headers = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert headers == ["### ARG", "### ZMB"]
