"""The app's Standards page (the article view), run with ``streamlit.testing`` on an empty
knowledge base and on the real corpus indexed and scored (real catalogue, real Qdrant Edge)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO
from streamlit.testing.v1 import AppTest

from kb.catalog import Catalog

PAGE = "app_pages/standards.py"


def _app(home: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CTKB_HOME", str(home))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(PAGE)
    at.run()
    return at


def _text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.info, *at.caption, *at.warning, *at.title, *at.subheader, *at.text)]
    return "\n".join(str(p) for p in parts)


def test_the_standards_page_on_an_empty_knowledge_base_says_how_to_add_documents(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(tmp_path / "empty-home", monkeypatch)
    assert not at.exception, at.exception
    assert "knowledge base is empty" in _text(at)


@pytest.mark.corpus
def test_the_article_view_shows_the_article_and_each_countrys_implementing_provisions(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(scored_home, monkeypatch)
    assert not at.exception, at.exception
    options = at.selectbox[0].options  # shown as "CoE — Council of Europe Convention …"
    assert any(o.startswith("CoE — Council of Europe Convention") for o in options)
    assert len(options) == 4  # the four instruments only: no national law is offered
    at.selectbox[0].set_value("intl-coe-convention-2005").run()
    at.selectbox[1].set_value("26").run()
    assert not at.exception, at.exception
    article = next(p for p in Catalog(scored_home / "catalog.sqlite").provisions("intl-coe-convention-2005")
                   if p.parent_id is None and p.number == "26")
    text = _text(at)
    assert any("Article 26" in s.value for s in at.subheader)
    assert article.text[:60] in text  # the standard's own words
    assert "criteria citing it" in text.lower() and "PRT-" in text
    countries = [e.label.split(" — ")[0] for e in at.expander if " match(es)" in e.label]
    assert {"ARG", "ZMB", "NLD"} <= set(countries) and "INTL" not in countries
    arg = next(e for e in at.expander if e.label.startswith("ARG — "))
    shown = "\n".join(str(m.value) for m in arg.markdown)
    assert "evidence for PRT-" in shown or "similarity" in shown
    assert [b for b in at.get("download_button")], "the CSV download is offered"


@pytest.mark.corpus
def test_a_paragraph_that_does_not_exist_is_an_error_listing_the_paragraphs(
        scored_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(scored_home, monkeypatch)
    at.selectbox[0].set_value("intl-palermo-protocol-2000").run()
    at.selectbox[1].set_value("6").run()
    at.text_input[0].input("9").run()
    assert not at.exception, at.exception
    assert at.error and "paragraph" in at.error[0].value and "3" in at.error[0].value
