"""The real app in a real browser: ``streamlit run app.py`` as a subprocess, driven by headless
Chromium through Playwright's sync API.

The knowledge base is the fictional sample corpus (XAA en, XAB es, XAC fr) plus one more
fictional law written here (XAD), whose provisions hold HTML and Markdown that must be shown
literally. Chromium is Debian's package (``make setup`` installs it; never ``playwright
install``). A screenshot of every step is saved under ``test-artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, run_ctkb

from kb.appserver import start_app, stop_app

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "test-artifacts" / "browser"
TIMEOUT_MS = 60_000  # the machine may be busy with other test runs

# A FICTIONAL law: Zembla does not exist. Its provisions carry markup that must never be interpreted.
SCRIPT = "<script>alert(1)</script>"
LITERALS = [SCRIPT, "<b>bold</b>", "**not bold**", "# not a heading", "[link](http://x)"]
FICTIONAL_LAW = f"""FICTIONAL SAMPLE LAW written for the ctkb browser test. The Republic of Zembla does not exist; \
this is not real law.

TRAFFICKING IN PERSONS (RENDERING TEST) ACT, 2024

Section 1. Offence of trafficking in persons.
(1) Any person who recruits, transports, transfers, harbours or receives a person by means of threat, force, \
deception or abuse of a position of vulnerability, for the purpose of exploitation, commits the offence of \
trafficking in persons {SCRIPT} and is liable to imprisonment for a term of ten years.
(2) The consent of the victim is irrelevant <b>bold</b> where any of the means set out in subsection (1) has been used.

Section 2. Markup in a provision.
The following characters are part of this provision and are shown as written: **not bold**
# not a heading
[link](http://x)
"""
FICTIONAL_MANIFEST = """# FICTIONAL document for the ctkb browser test (literal rendering). Not real law.
- id: xad-rendering-test-act
  path: xad/rendering-test-act.txt
  country: XAD
  jurisdiction: Republic of Zembla (fictional)
  title: Trafficking in Persons (Rendering Test) Act, 2024 (FICTIONAL — Republic of Zembla)
  year: 2024
  kind: act
  language: en
  format: txt
  notes: Fictional law written for the ctkb browser test; not real law.
"""
FICTIONAL_DOC = "xad-rendering-test-act"


# --- the knowledge base, the server, the browser ---------------------------------------------------

@pytest.fixture(scope="module")
def browser_home(tmp_path_factory: pytest.TempPathFactory, sample_home: Path) -> Path:
    """The sample corpus and the fictional markup law, indexed and scored through the CLI."""
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(sample_home, home)  # the sample corpus, indexed once per session
    law = tmp_path_factory.mktemp("fictional-law")
    (law / "xad").mkdir()
    (law / "xad" / "rendering-test-act.txt").write_text(FICTIONAL_LAW, encoding="utf-8")
    (law / "manifest.yaml").write_text(FICTIONAL_MANIFEST, encoding="utf-8")
    run_ctkb("index", "--manifest", str(law / "manifest.yaml"), home=home, check=True)
    run_ctkb("score", home=home, check=True)
    return home


def _country(home: Path, code: str) -> dict[str, dict]:
    """``ctkb country CODE --json``, by criterion (read before the app starts: it holds the store)."""
    data = json.loads(run_ctkb("country", code, "--json", home=home, check=True).stdout)
    return {row["criterion"]: row for row in data["criteria"]}


@pytest.fixture(scope="module")
def levels(browser_home: Path) -> dict[str, dict[str, dict]]:
    return {code: _country(browser_home, code) for code in ("XAA", "XAB", "XAD")}


def launch_chromium(playwright):
    """Debian's chromium (``make setup`` installs it with apt); Playwright's own browsers are never downloaded."""
    exe = shutil.which("chromium")
    if not exe:
        pytest.fail("chromium is not installed: run `make setup` (it runs `apt-get install -y chromium`)")
    return playwright.chromium.launch(executable_path=exe, headless=True)


@pytest.fixture(scope="module")
def app_url(browser_home: Path, levels, tmp_path_factory: pytest.TempPathFactory):
    proc, url = start_app(browser_home, tmp_path_factory.mktemp("streamlit") / "streamlit.log")
    try:
        yield url
    finally:
        stop_app(proc)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `make setup` (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    pg.shot_prefix = request.node.name.removeprefix("test_")[:40]
    try:
        yield pg
    finally:
        with contextlib.suppress(Exception):  # the state the test ended in, failed or not
            pg.screenshot(path=ARTIFACTS / f"{pg.shot_prefix}-last.png", full_page=True)
        context.close()


# --- Streamlit helpers ---------------------------------------------------------------------------

def settle(pg) -> None:
    """Wait until the app's script has finished running (the "running" indicator is gone)."""
    pg.wait_for_timeout(300)  # a click's rerun request reaches the server first
    pg.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=TIMEOUT_MS)
    pg.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=TIMEOUT_MS)


def shot(pg, step: str) -> None:
    pg.screenshot(path=ARTIFACTS / f"{pg.shot_prefix}-{step}.png", full_page=True)


def choose(pg, label: str, value: str) -> None:
    """Pick ``value`` in the selectbox labelled ``label``: type to filter, click the option.

    Typed key by key: ``fill`` alone shows the text without opening the list or committing a choice.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = pg.get_by_role("combobox", name=label, exact=True)
    option = pg.get_by_role("option", name=value, exact=True)
    for _ in range(3):
        box.click()
        box.press("ControlOrMeta+a")
        box.press_sequentially(value, delay=30)
        try:
            option.click(timeout=10_000)
            break
        except PlaywrightTimeout:  # the widget re-rendered under the typing: type again
            box.press("Escape")
            settle(pg)
    settle(pg)
    assert box.input_value() == value, f"could not pick {value!r} in {label!r}"


def expander(pg, label_start: str):
    """The expander whose label starts with ``label_start`` (the summary also holds an icon's name)."""
    label = pg.locator("summary").get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile("^" + re.escape(label_start)))
    return pg.get_by_test_id("stExpander").filter(has=label).first


def label_of(exp) -> str:
    return text(exp.locator("summary").get_by_test_id("stMarkdownContainer"))


def expand(pg, exp) -> None:
    if exp.locator("details").get_attribute("open") is None:
        exp.locator("summary").click()
    exp.get_by_test_id("stExpanderDetails").wait_for(state="visible")
    settle(pg)


def toggle(scope, name: str) -> None:
    """Turn on the toggle ``name`` (its input is visually hidden: click its label)."""
    scope.get_by_role("switch", name=name).first.locator("xpath=ancestor::label[1]").click()


def text(locator) -> str:
    """Rendered text, whitespace-normalised."""
    return " ".join(locator.inner_text().split())


def grid_rows(pg) -> list[list[str]]:
    """The rows of the page's first dataframe, read from the grid's accessible table (drawn on a canvas,
    so its cells have text content but no rendered text)."""
    grid = pg.get_by_test_id("stDataFrame").first
    grid.locator("td").first.wait_for(state="attached")
    return grid.locator("tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('th, td')].map(c => c.textContent.trim()))")


# --- the tests ------------------------------------------------------------------------------------

def _gap_with_example(levels) -> tuple[str, str, str]:
    """A criterion absent in XAB and present in XAA, XAA's evidence citation and words of it."""
    for criterion, row in sorted(levels["XAB"].items()):
        theirs = levels["XAA"].get(criterion)
        if row["level"] == "absent" and theirs and theirs["level"] == "present" and theirs["evidence"]:
            best = max(theirs["evidence"], key=lambda e: e["probability"])
            words = best["snippet"].strip("…").split()[1:8]  # inner words: the snippet's ends may be cut
            return criterion, best["citation"], " ".join(words)
    raise AssertionError("the sample corpus has no XAB gap that XAA drafted: the journey has nothing to show")


def test_an_advisor_overrides_a_gap_and_the_override_survives_a_reload_and_is_in_the_review_log(
        page, app_url: str, levels) -> None:
    pg = page
    pg.shot_prefix = "journey"
    criterion, citation, words = _gap_with_example(levels)

    pg.goto(app_url)
    pg.get_by_role("heading", name="Overview").wait_for()
    pg.get_by_role("combobox", name="Open a country profile").wait_for()
    settle(pg)
    assert any(row[:1] == ["XAB"] for row in grid_rows(pg)), grid_rows(pg)
    shot(pg, "1-overview")

    choose(pg, "Open a country profile", "XAB")
    pg.get_by_role("link", name="Open profile").click()
    pg.get_by_role("heading", name=re.compile(r"^Gaps \(\d+\)")).wait_for()
    settle(pg)
    assert "country=XAB" in pg.url
    assert "not proof" in text(pg.get_by_test_id("stMain"))  # the caveat
    shot(pg, "2-country")

    gap = expander(pg, f"{criterion} ")
    expand(pg, gap)
    assert label_of(gap).endswith("— absent")
    assert "Legal basis." in text(gap.get_by_test_id("stExpanderDetails"))
    shot(pg, "3-gap")

    toggle(gap, "How other countries drafted it")
    example = gap.get_by_text(f"XAA — {citation}")
    example.wait_for()
    settle(pg)
    assert words in text(gap), f"XAA's provision ({words!r}) is not shown under the drafting example"
    shot(pg, "4-drafting")

    toggle(gap, "Review this criterion")
    gap.get_by_text("Your review", exact=True).wait_for()
    settle(pg)
    gap.get_by_test_id("stRadioOption").filter(has_text=re.compile("^partial$")).click()
    gap.get_by_label("Comment").fill("Art. 5 covers it in part (browser test review)")
    gap.get_by_label("Your name").fill("Browser Advisor")
    gap.get_by_role("button", name="Save review").click()
    expander(pg, f"{criterion} ").locator("summary", has_text="✓").wait_for()
    pg.get_by_text(f"Review of {criterion} saved").wait_for()  # the confirmation survives the rerun
    settle(pg)
    shot(pg, "5-saved")

    pg.reload()
    pg.get_by_role("heading", name=re.compile(r"^Gaps \(\d+\)")).wait_for()
    settle(pg)
    gap = expander(pg, f"{criterion} ")
    label = label_of(gap)
    assert label.endswith("— partial (machine: absent) ✓"), f"after a reload the gap's label is {label!r}"
    expand(pg, gap)
    body = text(gap.get_by_test_id("stExpanderDetails"))
    assert body.startswith("partial machine: absent") and "· reviewed" in body, body[:300]
    shot(pg, "6-reloaded")

    pg.get_by_role("link", name="Review log").click()
    pg.get_by_role("heading", name="Review log").wait_for()
    settle(pg)
    rows = [r for r in grid_rows(pg) if "Browser Advisor" in r]
    shot(pg, "7-review-log")
    assert len(rows) == 1, grid_rows(pg)
    assert {"XAB", criterion, "override", "partial"} <= set(rows[0]), rows[0]
    assert not pg.dialogs


def _dom_has_no_markup_from_the_document(pg) -> None:
    """No element was made from the document's markup; no script ran."""
    found = pg.evaluate("""() => ({
        scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.includes('alert(1)')).length,
        bold: [...document.querySelectorAll('b, strong')].filter(e => /^\\s*(not )?bold\\s*$/.test(e.textContent)).length,
        links: document.querySelectorAll('a[href="http://x"], a[href="http://x/"]').length,
        headings: [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].filter(
            e => e.textContent.includes('not a heading')).length,
    })""")
    assert found == {"scripts": 0, "bold": 0, "links": 0, "headings": 0}, found
    assert not pg.dialogs, f"a script from the document ran: {pg.dialogs}"


def test_provision_text_is_shown_literally_on_the_documents_page_and_in_a_country_profile(
        page, app_url: str, levels) -> None:
    pg = page
    pg.shot_prefix = "literal"
    # Documents page: the provisions' expanders (st.text).
    pg.goto(app_url + "/documents")
    pg.get_by_role("heading", name="Documents").wait_for()
    pg.get_by_role("combobox", name="Document").wait_for()
    settle(pg)
    choose(pg, "Document", FICTIONAL_DOC)
    pg.get_by_role("heading", name=re.compile("Rendering Test")).wait_for()
    shown = []
    for label in ("Section 1 ", "Section 2 "):
        exp = expander(pg, label)
        expand(pg, exp)
        shown.append(exp.get_by_test_id("stExpanderDetails").inner_text())
    shot(pg, "1-documents")
    for literal in LITERALS:
        assert any(literal in s for s in shown), f"{literal!r} is not shown literally on the Documents page: {shown}"
    _dom_has_no_markup_from_the_document(pg)

    # Country profile: the evidence (st.markdown of escape_markdown) and its context (marked_markdown).
    criterion = next(c for c, row in sorted(levels["XAD"].items())
                     if any(SCRIPT in e["snippet"] for e in row["evidence"]))
    pg.goto(app_url + "/country?country=XAD")
    pg.get_by_role("heading", name=re.compile(r"^Gaps \(\d+\)")).wait_for()
    settle(pg)
    if levels["XAD"][criterion]["level"] == "present":  # criteria found are listed on demand
        toggle(pg, "Show the criteria found")
        settle(pg)
    exp = expander(pg, f"{criterion} ")
    expand(pg, exp)
    toggle(exp, "Read in context")
    exp.get_by_text("Section 2", exact=True).wait_for()
    settle(pg)
    body = exp.get_by_test_id("stExpanderDetails").inner_text()
    shot(pg, "2-country")
    for literal in LITERALS:
        assert literal in body, f"{literal!r} is not shown literally in the country profile:\n{body}"
    _dom_has_no_markup_from_the_document(pg)


UPLOAD = REPO / "tests" / "fixtures" / "xad-upload-act.txt"  # FICTIONAL law (Kingdom of Dunmore)


def test_an_uploaded_law_is_indexed_and_scored_with_a_progress_bar_then_shown_everywhere_and_removable(
        page, app_url: str, levels) -> None:
    pg = page
    pg.shot_prefix = "upload"
    pg.goto(app_url + "/documents")
    pg.get_by_role("heading", name="Documents").wait_for()
    settle(pg)
    pg.get_by_role("tab", name="Add a document").click()
    pg.locator('input[type="file"]').first.set_input_files(str(UPLOAD))
    pg.get_by_label("Country (ISO 3166 alpha-3", exact=False).fill("XAE")
    pg.get_by_label("Title", exact=True).fill("Human Trafficking Act 2024 (fictional upload)")
    shot(pg, "1-form")
    pg.get_by_role("button", name="Add and score").click()
    pg.get_by_test_id("stProgress").first.wait_for()  # the progress bar while it indexes and scores
    shot(pg, "2-progress")
    done = pg.get_by_text(re.compile(r"^xae-human-trafficking-act-2024-fictional-upload: 5 provisions indexed"))
    done.wait_for(timeout=180_000)
    settle(pg)
    shot(pg, "3-added")
    assert any("xae-human-trafficking-act-2024-fictional-upload" in row for row in grid_rows(pg)), grid_rows(pg)

    pg.goto(app_url)
    pg.get_by_role("combobox", name="Open a country profile").wait_for()
    settle(pg)
    assert any(row[:1] == ["XAE"] for row in grid_rows(pg)), grid_rows(pg)
    shot(pg, "4-overview")

    pg.goto(app_url + "/documents")
    pg.get_by_role("heading", name="Documents").wait_for()
    settle(pg)
    pg.get_by_role("tab", name="Replace or remove").click()
    choose(pg, "Document to replace or remove", "xae-human-trafficking-act-2024-fictional-upload")
    pg.get_by_text("Yes, remove xae-human-trafficking-act-2024-fictional-upload").click()
    pg.get_by_role("button", name="Remove").click()
    pg.get_by_text("xae-human-trafficking-act-2024-fictional-upload removed.").wait_for()
    settle(pg)
    shot(pg, "5-removed")
    pg.goto(app_url)
    pg.get_by_role("combobox", name="Open a country profile").wait_for()
    settle(pg)
    assert not any(row[:1] == ["XAE"] for row in grid_rows(pg)), grid_rows(pg)
    assert not pg.dialogs
