"""Properties of the segmenter on generated fictional laws, plus small fictional examples.

Every text in this file is FICTIONAL, written for the tests; none is quoted from a law.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segment_invariants import check_invariants

from indexing.segment import segment
from kb.models import CleanDocument, HeadingHint, PageSpan

SHA = "0" * 64


def _seg(text: str, language: str = "en", hints: list[tuple[int, int, int]] | None = None, pages=None):
    doc = CleanDocument(
        text=text,
        headings=[HeadingHint(start=s, end=e, level=lv) for s, e, lv in (hints or [])],
        pages=pages or [],
    )
    seg = segment(doc, doc_id="fictional", doc_sha256=SHA, language=language)
    check_invariants(doc, seg)
    return seg


def _numbers(seg) -> list[str]:
    return [p.number for p in seg.top_level if p.kind != "schedule"]


def _hinted(lines: list[str], heading: re.Pattern[str]) -> tuple[str, list[tuple[int, int, int]]]:
    """Join lines with blank lines; lines matching ``heading`` become level-3 hints."""
    text, hints, pos = "", [], 0
    for line in lines:
        if heading.match(line):
            hints.append((pos, pos + len(line), 3))
        text += line + "\n\n"
        pos += len(line) + 2
    return text, hints


# --- generated fictional laws ------------------------------------------------------------

SENTENCES = [
    "A person who sells a fictional widget commits an offence.",
    "The Minister may make rules under section 3 of this Act.",
    "Nothing in this Act applies to imaginary persons.",
    "section 4 of the Fictional Act is hereby amended.",
    "The Board shall meet at least once a year.",
]
STYLES = {
    "numbered": lambda n, t: f"{n}. {t}",
    "section": lambda n, t: f"Section {n}. {t}",
    "caps": lambda n, t: f"SEC. {n}. {t}",
    "para": lambda n, t: f"§ {n}. {t}",
    "article": lambda n, t: f"Article {n}",
}
TITLES = ["Short title", "Interpretation", "Offence of widget selling", "Penalties", "Regulations"]


@st.composite
def fictional_laws(draw, well_formed: bool):
    style = draw(st.sampled_from(sorted(STYLES)))
    count = draw(st.integers(min_value=1, max_value=12))
    numbers, n = [], 0
    for _ in range(count):
        n += 1
        numbers.append(str(n))
        if draw(st.booleans()) and draw(st.booleans()):
            numbers.append(f"{n}A")
    lines = ["FICTIONAL WIDGETS ACT", "An Act about imaginary widgets."]
    for number in numbers:
        lines.append(STYLES[style](number, draw(st.sampled_from(TITLES))))
        if style == "article":
            lines.append(draw(st.sampled_from(TITLES)))
        for k in range(draw(st.integers(min_value=0, max_value=3))):
            lines.append(f"({k + 1}) " + draw(st.sampled_from(SENTENCES)))
            if draw(st.booleans()):
                lines.append("(a) " + draw(st.sampled_from(SENTENCES)))
        if not well_formed:
            lines += draw(st.lists(st.sampled_from(
                ["", "(b) " + SENTENCES[0], '"5. A quoted section of another Act.', "under section 2 of the Act;",
                 "(iv) " + SENTENCES[2], "  ", "17. ", "Part III", "SCHEDULE"]), max_size=3))
    text = "\n\n".join(lines) if draw(st.booleans()) else "\n".join(lines)
    hints = []
    if draw(st.booleans()):
        pos = 0
        for line in text.split("\n"):
            if re.match(r"(Section|SEC\.|§|Article|\d+[A-Z]?\.) ", line + " ") and not line.startswith('"'):
                hints.append((pos, pos + len(line), 3))
            pos += len(line) + 1
    return text, hints, numbers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fictional_laws(well_formed=False))
def test_any_fictional_law_satisfies_the_span_invariants(law) -> None:
    text, hints, _ = law
    _seg(text, hints=hints)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fictional_laws(well_formed=True))
def test_a_well_formed_fictional_law_yields_exactly_its_sections(law) -> None:
    text, hints, numbers = law
    seg = _seg(text, hints=hints)
    assert _numbers(seg) == numbers


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("Sección 12.()ab\n §“\"-—")), max_size=300))
def test_arbitrary_text_never_breaks_the_invariants(text: str) -> None:
    _seg(text)


# --- heading styles -----------------------------------------------------------------------

def test_numbered_sections_with_inserted_numbers_are_found() -> None:
    seg = _seg("1. Short title\n\nThis Act is fictional.\n\n2. Interpretation\n\nWords mean things.\n\n"
               "2A. Inserted section\n\nInserted text.\n\n3. Offence\n\nA fictional offence.")
    assert _numbers(seg) == ["1", "2", "2A", "3"]
    assert seg.top_level[0].citation == "Section 1"
    assert seg.top_level[0].heading == "Short title"


def test_keyword_sections_in_every_case_are_found_and_cited_as_sections() -> None:
    seg = _seg("SECTION 1. Title. — This fictional Act is the Widgets Act.\n\n"
               "SEC. 2. Scope. — It applies to widgets.\n\nSection 3. Commencement\n\nIt starts today.")
    assert _numbers(seg) == ["1", "2", "3"]
    assert [p.citation for p in seg.top_level] == ["Section 1", "Section 2", "Section 3"]
    assert seg.top_level[0].heading == "Title"


def test_code_sections_with_section_signs_and_letters() -> None:
    text, hints = _hinted(["§ 1581. Fictional peonage", "(a) Whoever does a fictional thing.",
                           "§ 1593A. Fictional benefit", "Text.", "§ 1594. Fictional attempts", "Text."],
                          re.compile("§"))
    seg = _seg(text, hints=hints)
    assert _numbers(seg) == ["1581", "1593A", "1594"]
    assert seg.top_level[0].citation == "§ 1581"
    assert [p.label for p in seg.provisions if p.parent_id == seg.top_level[0].id] == ["(a)"]


def test_decimal_code_numbers_order_between_integers() -> None:
    text, hints = _hinted(["279 Fictional kidnapping", "279 (1) Every person who does a fictional thing.",
                           "279.01 Fictional trafficking", "279.01 (1) Every person.", "279.011 Fictional minors",
                           "Text.", "279.1 Fictional hostage", "Text.", "280 Fictional abduction", "Text."],
                          re.compile(r"\d+(\.\d+)? Fictional"))
    seg = _seg(text, hints=hints)
    assert _numbers(seg) == ["279", "279.01", "279.011", "279.1", "280"]


def test_spanish_articles_with_ordinal_signs_and_final_dispositions() -> None:
    text = ("ARTICULO 1º— Objeto. La presente ley ficticia regula los widgets.\n\n"
            "ARTICULO 2º— Los widgets ficticios son libres.\n\nArt. 3° — Comuníquese.\n\n"
            "DISPOSICIONES COMPLEMENTARIAS FINALES\n\nPrimera.- Vigencia\n\nLa ley ficticia rige mañana.\n\n"
            "Segunda.- Reglamento\n\nSe dicta un reglamento ficticio.")
    seg = _seg(text, language="es")
    assert _numbers(seg) == ["1", "2", "3", "Primera", "Segunda"]
    assert seg.top_level[0].citation == "Artículo 1"
    assert seg.top_level[0].heading == "Objeto"
    assert seg.top_level[3].kind == "provision"
    assert any(d.label.startswith("DISPOSICIONES") for d in seg.divisions)


def test_articles_with_a_title_on_the_next_line_and_chapters() -> None:
    text, hints = _hinted(["CHAPTER I", "GENERAL PROVISIONS", "Article 1", "Purpose", "This fictional treaty exists.",
                           "Article 2", "Scope", "It applies to imaginary States.", "CHAPTER II", "FINAL CLAUSES",
                           "Article 3", "Entry into force", "Never."], re.compile("(CHAPTER|Article)"))
    seg = _seg(text, hints=hints)
    assert _numbers(seg) == ["1", "2", "3"]
    assert seg.top_level[0].heading == "Purpose"
    assert [d.label for d in seg.divisions] == ["CHAPTER I", "CHAPTER II"]
    assert seg.top_level[2].path == ["CHAPTER II"]
    assert [m.kind for m in seg.matter] == ["division", "division"]


def test_article_premier_and_dutch_and_indonesian_keywords() -> None:
    assert _numbers(_seg("Article premier\n\nTexte fictif.\n\nArticle 2\n\nAutre texte.", "fr")) == ["1", "2"]
    nl = _seg("Artikel 273f\n\n1. Fictieve tekst.\n\n2. Meer tekst.\n\nArtikel 274\n\nTekst.", "nl")
    assert _numbers(nl) == ["273f", "274"]
    assert nl.top_level[0].citation == "Artikel 273f"
    assert [p.label for p in nl.provisions if p.parent_id == nl.top_level[0].id] == ["1.", "2."]
    idn = _seg("BAB I\nKETENTUAN UMUM\n\nPasal 1\nTeks fiktif.\n\nPasal 2\n(1) Teks fiktif.\n(2) Lagi.", "id")
    assert _numbers(idn) == ["1", "2"]
    assert idn.divisions[0].label == "BAB I" and idn.divisions[0].heading == "KETENTUAN UMUM"


def test_arabic_ordinal_article_words_become_ascii_numbers() -> None:
    words = ["الأولى", "الثانية", "الثالثة", "الرابعة", "الخامسة", "السادسة", "السابعة", "الثامنة",
             "التاسعة", "العاشرة", "الحادية عشرة", "الثانية عشرة", "الحادية والعشرون"]
    text, hints = _hinted([line for w in words for line in (f"المادة {w}", "نص خيالي.")], re.compile("المادة"))
    seg = _seg(text, language="ar", hints=hints)
    assert _numbers(seg)[:12] == [str(i) for i in range(1, 13)]
    assert seg.top_level[0].label == "الأولى" and seg.top_level[0].citation == "المادة 1"


def test_bengali_digits_keep_their_label_and_get_an_ascii_number() -> None:
    seg = _seg("১। সংক্ষিপ্ত শিরোনাম কাল্পনিক।\n\n২। (১) কাল্পনিক পাঠ।\n(২) আরও পাঠ।\n\n৩। শেষ।", "bn")
    assert _numbers(seg) == ["1", "2", "3"]
    assert seg.top_level[1].label == "২" and seg.top_level[1].citation == "ধারা 2"
    assert [p.label for p in seg.provisions if p.parent_id == seg.top_level[1].id] == ["(১)", "(২)"]


def test_hyphenated_code_articles() -> None:
    seg = _seg("Art. 149: Texto fictício.\n\n§ 1: Pena fictícia.\n\nArt. 149-A: Outro texto fictício.\n\n"
               "I - primeiro inciso;\n\nII - segundo inciso.\n\nArt. 150: Fim.", "pt")
    assert _numbers(seg) == ["149", "149-A", "150"]
    assert seg.top_level[1].citation == "Art. 149-A"


def test_schedule_is_a_top_level_provision_whose_numbered_items_are_not_sections() -> None:
    seg = _seg("1. Short title\n\nFictional.\n\n2. Regulations\n\nFictional rules.\n\nFIRST SCHEDULE\n\n"
               "1. Fictional guideline one.\n\n2. Fictional guideline two.")
    assert _numbers(seg) == ["1", "2"]
    assert seg.top_level[-1].kind == "schedule"


# --- must not --------------------------------------------------------------------------

def test_cross_references_at_a_line_start_are_not_sections() -> None:
    text = ("1. A person who fictionally offends commits an offence\n"
            "under this Act. The penalty is set out in\n"
            "section 3 of this Act.\n"
            "Section 7 of the Fictional Act is hereby amended.\n"
            "2. The Minister may make fictional rules.\n"
            "3. This Act binds no one.")
    seg = _seg(text)
    assert _numbers(seg) == ["1", "2", "3"]


def test_quoted_sections_of_an_amended_act_belong_to_the_amending_section() -> None:
    text = ('SECTION 1. Section 1 of Fictional Act No. 1 is hereby amended to read as follows:\n\n'
            '"SECTION 1. Short Title. — This Act is the Fictional Act."\n\n'
            'SEC. 2. Section 9 of Fictional Act No. 1 is hereby amended to read as follows:\n\n'
            '"SEC. 9. Fictional Duties. — (a) x x x;\n\n(b) A new duty."\n\n(a) x x xSEC. 3. Repeal. — Gone.')
    seg = _seg(text)
    assert _numbers(seg) == ["1", "2", "3"]
    assert '"SEC. 9.' in seg.top_level[1].text


def test_numbered_list_items_in_an_article_law_are_not_articles() -> None:
    text = ("Pasal 1\nDalam Peraturan fiktif ini yang dimaksud dengan:\n1. Widget adalah benda fiktif.\n"
            "2. Orang adalah orang fiktif.\n3. Daerah adalah daerah fiktif.\n\nPasal 2\nTeks fiktif.\n\n"
            "Pasal 3\nTeks fiktif.")
    seg = _seg(text, "id")
    assert _numbers(seg) == ["1", "2", "3"]
    assert [p.label for p in seg.provisions if p.parent_id == seg.top_level[0].id] == ["1.", "2.", "3."]


def test_a_quoted_article_of_another_code_inside_an_amending_article_is_not_an_article() -> None:
    text, hints = _hinted(["ARTICULO 10.— Incorpórase como artículo 145 bis del Código Penal ficticio:",
                           "Artículo 145 bis: El que captare widgets ficticios será reprimido.",
                           "ARTICULO 11.— Sustitúyese el artículo 41 del Código ficticio:",
                           "Artículo 41 ter: Texto ficticio.", "ARTICULO 12.— Comuníquese."],
                          re.compile("(ARTICULO|Artículo)"))
    seg = _seg(text, "es", hints)
    assert _numbers(seg) == ["10", "11", "12"]


def test_definition_items_and_cross_referenced_subsections_are_not_children_sequences() -> None:
    text = ("5. Fictional offences\n\n(1) Subject to subsections (2) to (4), a person commits an offence. "
            "(2) A person is liable to a fine— (a) of one widget; or (b) of two widgets. (3) No one else.")
    seg = _seg(text)
    top = seg.top_level[0]
    kids = [p for p in seg.provisions if p.parent_id == top.id]
    assert [k.label for k in kids] == ["(1)", "(2)", "(3)"]
    grandkids = [p.label for p in seg.provisions if p.parent_id == kids[1].id]
    assert grandkids == ["(a)", "(b)"]
    assert seg.provisions[2].citation == "Section 5(1)" or kids[0].citation == "Section 5(1)"
    assert [p.citation for p in seg.provisions if p.parent_id == kids[1].id][0] == "Section 5(2)(a)"


# --- tree, ids, pages, matter ----------------------------------------------------------------

def test_nested_children_roman_after_alpha() -> None:
    seg = _seg("3. Fictional\n\n(1) A person who—\n(a) does one thing; or\n(i) a part;\n(ii) another part;\n"
               "(b) does another thing,\ncommits an offence.\n(2) Second.")
    labels = [(p.label, p.depth) for p in seg.provisions]
    assert labels == [("3", 0), ("(1)", 1), ("(a)", 2), ("(i)", 3), ("(ii)", 3), ("(b)", 2), ("(2)", 1)]
    assert seg.provisions[3].kind == "subparagraph"


def test_ids_are_deterministic_and_repeated_numbers_get_distinct_ids() -> None:
    text = "Artículo 1.- Primero ficticio.\n\nArtículo 2.- Otro.\n\nANEXO\n\nArtículo 1.- Del anexo ficticio."
    a, b = _seg(text, "es"), _seg(text, "es")
    assert [p.id for p in a.provisions] == [p.id for p in b.provisions]
    assert _numbers(a) == ["1", "2", "1"]
    assert len({p.id for p in a.top_level}) == 3


def test_front_and_back_matter_are_matter_spans() -> None:
    text = ("FICTIONAL ACT\n\nBe it enacted.\n\n1. Short title\n\nThis is fictional.\n\n2. End\n\nThe end.\n\n"
            "Done at Nowhere on the first day.\n\nSIGNED, A Fictional President")
    seg = _seg(text)
    kinds = [m.kind for m in seg.matter]
    assert kinds == ["front", "back"]
    assert text[seg.matter[-1].start:].startswith("Done at")


def test_page_start_is_the_page_where_the_heading_is_printed() -> None:
    page1 = "1. Short title\nThis fictional Act"
    page2 = "continues here.\n2. Second section\nText."
    text = page1 + "\n\n" + page2
    pages = [PageSpan(number=1, start=0, end=len(page1)),
             PageSpan(number=2, start=len(page1) + 2, end=len(text))]
    seg = _seg(text, pages=pages)
    assert [(p.page_start, p.page_end) for p in seg.top_level] == [(1, 2), (2, 2)]


def test_a_document_without_numbered_sections_still_has_provisions() -> None:
    text, hints = _hinted(["Guidance on fictional widgets", "Introduction", "Some guidance text.",
                           "What to do", "More guidance text."], re.compile("(Introduction|What)"))
    seg = _seg(text, hints=hints)
    assert [p.heading for p in seg.top_level] == ["Introduction", "What to do"]
    assert all(p.kind == "provision" for p in seg.top_level)
    plain = _seg("Just one fictional paragraph without any heading.")
    assert len(plain.top_level) == 1


def test_an_empty_document_has_no_provisions() -> None:
    assert _segment_empty().provisions == []


def _segment_empty():
    return segment(CleanDocument(text="  \n "), doc_id="fictional", doc_sha256=SHA, language="en")


# --- layouts reported on real documents, reproduced on fictional text -----------------------
# Every text below is FICTIONAL, written for these tests.

def _lines_with_hints(rows: list[tuple[str, int | None]], sep: str = "\n\n") -> tuple[str, list]:
    """Join (line, hint level or None) rows; hinted lines become whole-line source headings."""
    text, hints = "", []
    for line, level in rows:
        if level is not None:
            hints.append((len(text), len(text) + len(line), level))
        text += line + sep
    return text, hints


def test_a_directive_annexed_after_the_closing_formula_is_segmented() -> None:
    # Fictional resolution approving a fictional directive (roman headings, decimal items).
    text = ("RESOLUCIÓN FICTICIA Nº 1-2099\n\nSE RESUELVE:\n\n"
            "Artículo 1.- Aprobar la Directiva ficticia que forma parte de la presente resolución.\n\n"
            "Artículo 2.- Publicar la presente resolución en un diario imaginario.\n\n"
            "Regístrese, comuníquese y publíquese.\n\nFULANO DE TAL\n\nMinistro de Asuntos Ficticios\n\n"
            "DIRECTIVA GENERAL Nº 001-2099-FICT\n\n"
            "I. OBJETIVO:\n\nOrientar a los consultores ficticios sobre ofertas imaginarias.\n\n"
            "II. FINALIDAD:\n\nPrevenir ofertas de empleo ficticias.\n\n"
            "III. NORMAS:\n\n3.1 La primera norma ficticia se aplica a todos.\n\n"
            "3.2 La segunda norma ficticia se aplica a algunos.\n\n"
            "IV. VIGENCIA\n\nLa directiva ficticia rige desde su publicación.")
    seg = _seg(text, "es")
    assert _numbers(seg) == ["1", "2", "I", "II", "III", "IV"]
    top = seg.top_level
    assert [p.citation for p in top[2:4]] == ["Directiva, Numeral I", "Directiva, Numeral II"]
    assert top[2].heading == "OBJETIVO" and top[2].kind == "provision"
    kids = [p.citation for p in seg.provisions if p.parent_id == top[4].id]
    assert kids == ["Directiva, Numeral 3.1", "Directiva, Numeral 3.2"]
    back = [m for m in seg.matter if m.kind == "back"]
    assert back and text[back[0].start:back[0].end].startswith("Regístrese")
    assert "DIRECTIVA" not in text[back[0].start:back[0].end]


def test_roman_list_items_inside_an_annex_item_are_not_headings() -> None:
    # Fictional: "I. Conductas:" in title case inside an item is a list, not a heading.
    text = ("Artículo 1.- Aprobar la directiva ficticia.\n\nArtículo 2.- Publicar.\n\n"
            "Regístrese, comuníquese y publíquese.\n\n"
            "I. OBJETIVO\n\nUn objetivo ficticio.\n\nII. MECÁNICA\n\n2.1 Se consideran:\n\n"
            "I. Conductas: la captación ficticia.\n\nII. Medios: el engaño ficticio.\n\n"
            "III. VIGENCIA\n\nDesde mañana.")
    seg = _seg(text, "es")
    assert _numbers(seg) == ["1", "2", "I", "II", "III"]


def test_fallback_skips_mastheads_running_headers_and_list_introductions() -> None:
    # Fictional OCR'd gazette whose section numbers were lost.
    rows = [("THE FICTIONAL GAZETTE", 1), ("EXTRAORDINARY", 1), ("NATIONAL FICTION SECRETARIAT", 1),
            ("Capital City, the first day of a fictional month.", None),
            ("Short title and commencement:", 1), ("(1) This Act may be called the Fictional Widgets Act.", None),
            ("Definitions", 1), ('In this Act "widget" means a fictional thing.', None),
            ("THE FICTIONAL GAZETTE, PAGE 2", 1), ("and includes any imaginary gadget.", None),
            ("Selling widgets", 1), ("(1) A person who sells widgets commits an offence.", None),
            ("In this section:", 1), ('"sell" includes barter.', None),
            ("THE FICTIONAL GAZETTE EXTRA PAGE 3", 1), ("and exchange.", None),
            ("Abetment of selling (1) Any person who abets the selling of widgets is liable.", None),
            ("Repeal", 1), ("The Old Fictional Ordinance is repealed.", None),
            ("THE FICTIONAL GAZETTE. PAGE 4", 1), ("Printed by a fictional press.", None)]
    text, hints = _lines_with_hints(rows)
    seg = _seg(text, hints=hints)
    assert [p.heading for p in seg.top_level] == [
        "Short title and commencement", "Definitions", "Selling widgets", "Abetment of selling", "Repeal"]
    assert text[seg.matter[0].start:seg.matter[0].end].startswith("THE FICTIONAL GAZETTE")


def test_a_status_line_repeated_under_every_article_is_not_its_heading() -> None:
    # Fictional protocol with a status line printed under every article.
    parts = []
    for n in range(1, 5):
        parts += [f"Article {n}", "Not yet in force on a fictional date", f"{n}. Each Member shall act fictionally."]
    seg = _seg("\n".join(parts))
    assert _numbers(seg) == ["1", "2", "3", "4"]
    assert [p.heading for p in seg.top_level] == [None] * 4


def test_a_title_shared_by_a_few_of_many_sections_is_kept() -> None:
    # Fictional: "Interpretation" heads three of ten sections (one per Part).
    titles = ["Interpretation", "Offences", "Penalties", "Interpretation", "Powers", "Duties",
              "Interpretation", "Rules", "Repeal", "Savings"]
    text = "\n\n".join(f"{n}. {t}\n\nFictional text of section {n}." for n, t in enumerate(titles, 1))
    seg = _seg(text)
    assert [p.heading for p in seg.top_level] == titles


def test_a_rubric_printed_before_an_article_heads_the_next_article() -> None:
    # Fictional code with rubrics on the line before each article (no blank lines).
    text = ("Art. 1: Fazer algo fictício contra alguém, mediante violência ou grave ameaça imaginária:\n"
            "Pena - detenção, de um a dois anos.\nAmeaça fictícia\n"
            "Art. 2: Ameaçar alguém, por palavra ou gesto, de causar-lhe mal fictício e grave:\n"
            "Pena - detenção, de um mês.\nPerseguição imaginária\n"
            "Art. 3: Perseguir alguém, reiteradamente e por qualquer meio imaginário:\nPena - multa.")
    seg = _seg(text, "pt")
    top = seg.top_level
    assert [p.heading for p in top] == [None, "Ameaça fictícia", "Perseguição imaginária"]
    assert top[1].text.startswith("Ameaça fictícia\nArt. 2") and top[0].text.endswith("um a dois anos.")


def test_a_single_short_closing_line_stays_with_its_provision() -> None:
    # Fictional: one short line after a sentence is the end of section 1, not a rubric.
    text = ("1. The Minister may make fictional rules.\nSee the Schedule\n"
            "2. A person who sells widgets commits an offence.\n3. This Act binds the fictional State.")
    seg = _seg(text)
    assert seg.top_level[0].text.endswith("See the Schedule") and seg.top_level[1].heading is None


def test_margin_notes_interleaved_at_page_ends_become_section_headings() -> None:
    # Fictional PDF text: each page's margin notes follow its body as short lines.
    page1 = ("1. This Act may be cited as the Fictional Widgets Act and shall\n"
             "come into operation on such date as the Minister may appoint\n"
             "by Order published in the fictional Gazette of the Republic.\n"
             "2. Any person who sells a widget without a licence commits\n"
             "an offence of widget selling and shall on conviction be liable\n"
             "to imprisonment for a fictional term not exceeding one year.\n"
             "Short title and\ndate of operation.\nOffence of\nwidget selling.")
    page2 = ("3. The Minister may make regulations for the purposes of this\n"
             "Act, including regulations on licences for selling widgets in\n"
             "any part of the fictional Republic or outside its borders.\n"
             "4. In this Act, unless the context otherwise requires, a widget\n"
             "means a fictional thing made for sale to fictional persons.\n"
             "Minister may make\nregulations.\nInterpretation.")
    text = page1 + "\n\n" + page2
    pages = [PageSpan(number=1, start=0, end=len(page1)), PageSpan(number=2, start=len(page1) + 2, end=len(text))]
    seg = _seg(text, pages=pages)
    assert [p.heading for p in seg.top_level] == [
        "Short title and date of operation", "Offence of widget selling", "Minister may make regulations",
        "Interpretation"]


def test_provisions_of_annexes_that_restart_numbering_have_distinct_citations() -> None:
    # Fictional decree with an annexed regulation and an Indonesian-style explanation.
    es = _seg("Artículo 1.- Primero ficticio.\n\nArtículo 2.- Otro.\n\nANEXO\n\n"
              "REGLAMENTO DE LA LEY FICTICIA\n\nArtículo 1.- Del anexo ficticio.\n\nArtículo 2.- Segundo del anexo.", "es")
    assert [p.number for p in es.top_level] == ["1", "2", "1", "2"]
    assert [p.citation for p in es.top_level] == ["Artículo 1", "Artículo 2", "Anexo, Artículo 1", "Anexo, Artículo 2"]
    assert es.divisions[0].label == "ANEXO" and es.divisions[0].heading.startswith("REGLAMENTO")
    idn = _seg("Pasal 1\nKetentuan fiktif.\n\nPasal 2\nKetentuan lain.\n\nPENJELASAN\n\nPasal 1\nCukup jelas.\n\n"
               "Pasal 2\nCukup jelas.", "id")
    assert [p.citation for p in idn.top_level] == ["Pasal 1", "Pasal 2", "Penjelasan Pasal 1", "Penjelasan Pasal 2"]


def test_numbering_restarting_under_unnumbered_headings_is_cited_with_the_heading() -> None:
    # Fictional Dutch guideline: numbered paragraphs restart under each unnumbered heading,
    # one heading followed by an introductory paragraph.
    rows = [("Achtergrond", 4), ("1", 3), ("Wijzigingen", 4), ("Tekst over fictieve wijzigingen.", None),
            ("2", 3), ("Doel", 4), ("Tekst over een fictief doel.", None),
            ("Opsporing", 4), ("1", 3), ("Signalen", 4), ("Tekst over fictieve signalen.", None),
            ("2", 3), ("Onderzoek", 4), ("Tekst over fictief onderzoek.", None),
            ("Slachtoffers", 4), ("Een inleidende fictieve alinea.", None),
            ("1", 3), ("Verblijf", 4), ("Tekst over fictief verblijf.", None)]
    text, hints = _lines_with_hints(rows)
    seg = _seg(text, "nl", hints=hints)
    assert _numbers(seg) == ["1", "2", "1", "2", "1"]
    assert [p.citation for p in seg.top_level] == [
        "Achtergrond, 1", "Achtergrond, 2", "Opsporing, 1", "Opsporing, 2", "Slachtoffers, 1"]
