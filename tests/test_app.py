"""The Streamlit app's pages, run with ``streamlit.testing`` on an empty knowledge base and on
the real corpus indexed and scored (real catalogue, real Qdrant Edge store, real encoders)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, run_ctkb
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


@pytest.fixture(scope="module")
def scored_home(real_home: Path) -> Path:
    run_ctkb("score", "--name", "app", home=real_home, check=True)
    return real_home


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
