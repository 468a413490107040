"""Heading vocabulary for the segmenter, as data: keywords, ordinal words, numbering.

Everything language-specific that :mod:`indexing.segment` needs lives here so that a
new language is a table edit, not a code change. Keywords of every language are
always active (documents mix languages: a Dutch title line over an English treaty,
English glosses in Bengali text); the document language only picks defaults such as
the citation word used for bare-numbered sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- digits -----------------------------------------------------------------------

# Bengali, Arabic-Indic and Extended Arabic-Indic digits -> ASCII. Labels keep the
# printed digits; ``number`` uses ASCII so that "৫" and "5" cite the same way.
_DIGITS = "০১২৩৪৫৬৭৮৯" + "٠١٢٣٤٥٦٧٨٩" + "۰۱۲۳۴۵۶۷۸۹"
DIGIT_TABLE = str.maketrans(_DIGITS, "0123456789" * 3)
DIGIT_CLASS = r"0-9০-৯٠-٩۰-۹"


def ascii_digits(text: str) -> str:
    """``text`` with Bengali/Arabic-Indic digits replaced by ASCII digits."""
    return text.translate(DIGIT_TABLE)


# --- provision keywords -----------------------------------------------------------

@dataclass(frozen=True)
class Keyword:
    """A word that introduces a top-level provision ("Section", "Pasal", "المادة").

    Attributes:
        pattern: Regex of the printed word (capitalised or upper case only: a lower-case
            "section 3" is running text).
        family: Style family; the segmenter prefers the family that dominates a document.
        kind: Provision kind it produces.
        citation: Canonical citation word ("SEC." cites as "Section").
    """

    pattern: str
    family: str
    kind: str
    citation: str


PROVISION_KEYWORDS: list[Keyword] = [
    Keyword(r"SECTION|Section|SEC\.|Sec\.|Sect\.|SECT\.", "section", "section", "Section"),
    Keyword(r"Seksyen|SEKSYEN", "section", "section", "Seksyen"),
    Keyword(r"ধারা", "section", "section", "ধারা"),
    Keyword(r"§", "para", "section", "§"),
    Keyword(r"ARTICLE|Article|ARTICLES?|Art\.|ART\.", "article", "article", "Article"),
    Keyword(r"ARTÍCULO|ARTICULO|Artículo|Articulo", "article", "article", "Artículo"),
    Keyword(r"Artigo|ARTIGO", "article", "article", "Art."),
    Keyword(r"Artikel|ARTIKEL", "article", "article", "Artikel"),
    Keyword(r"Pasal|PASAL", "article", "article", "Pasal"),
    Keyword(r"المادة|مادة", "article", "article", "المادة"),
    Keyword(r"RULE|Rule|REGULATION|Regulation", "rule", "rule", "Rule"),
]

# Citation word of ``Art.``-style abbreviations by document language.
ABBREVIATED_ARTICLE = {"es": "Artículo", "pt": "Art.", "nl": "Artikel", "fr": "Article", "id": "Pasal"}

# Bare numbered sections ("12. Short title") cite with this word and kind per language.
BARE_STYLE: dict[str, tuple[str, str]] = {
    "en": ("Section", "section"),
    "bn": ("ধারা", "section"),
    "ms": ("Seksyen", "section"),
    "es": ("Artículo", "article"),
    "pt": ("Art.", "article"),
    "fr": ("Article", "article"),
    "nl": ("Artikel", "article"),
    "id": ("Pasal", "article"),
    "ar": ("المادة", "article"),
}

# --- divisions ----------------------------------------------------------------------

# (pattern, kind, rank): lower rank = outer container.
DIVISION_KEYWORDS: list[tuple[str, str, int]] = [
    (r"BOOK|Book|LIBRO|Libro|LIVRO|Livro|Boek|BOEK|Buku|BUKU", "book", 0),
    (r"PART|Part|PARTE|Parte|Deel|DEEL|Partie|PARTIE", "part", 1),
    (r"SUBTITLE|Subtitle", "title", 2),
    (r"TITLE|Title|TÍTULO|TITULO|Título|Titulo|TITRE|Titre|Titel|TITEL|Judul|الباب", "title", 2),
    (r"CHAPTER|Chapter|CAPÍTULO|CAPITULO|Capítulo|Capitulo|CHAPITRE|Chapitre|Hoofdstuk|HOOFDSTUK|BAB|Bab|الفصل|অধ্যায়", "chapter", 3),
    (r"SUBCAPÍTULO|Subcapítulo|SUBCHAPTER|Subchapter", "subdivision", 4),
    (r"DIVISION|Division|SECCIÓN|Sección|SEÇÃO|Seção|Afdeling|AFDELING|Bagian|BAGIAN", "division", 4),
    (r"SUBDIVISION|Subdivision|Subsección|Paragraf|PARAGRAF", "subdivision", 5),
]

# Unnumbered headings that open a division and may restart article numbering
# (an annexed regulation, final provisions, an explanatory memorandum).
RESTART_DIVISIONS: list[str] = [
    r"ANEXO|Anexo|ANNEX|Annex|ANNEXE|Annexe|APPENDIX|Appendix|Bijlage|BIJLAGE|LAMPIRAN",
    r"PENJELASAN|Penjelasan",
    r"REGLAMENTO\b|REGLAMENTACI[ÓO]N\b",
    r"DIRECTIVA\b|Directiva\b",
    r"DISPOSICI[ÓO]N(?:ES)?\s+(?:COMPLEMENTARIAS?|TRANSITORIAS?|FINAL(?:ES)?|DEROGATORIAS?|ADICIONAL(?:ES)?|MODIFICATORIAS?)[A-ZÁÉÍÓÚ ]*",
    r"Disposici[óo]n(?:es)?\s+(?:[Cc]omplementarias?|[Tt]ransitorias?|[Ff]inal(?:es)?|[Dd]erogatorias?|[Aa]dicional(?:es)?)[\wáéíóú ]*",
]

# Within these divisions, provisions are numbered by ordinal words ("Primera.-").
ORDINAL_PROVISION_DIVISIONS = r"DISPOSICI|Disposici"

# How a provision inside an annexed text whose numbering restarts is cited: the
# division word, then this joiner, then the provision's own citation ("Anexo, Artículo 3",
# "Penjelasan Pasal 5"). Words not listed join with ", ".
ANNEX_CITATION_JOIN: dict[str, str] = {"Penjelasan": " "}

# Roman-numbered headings of an annexed directive or guideline ("V. NORMAS") cite with
# this word per language ("Numeral V"); other languages cite the bare numeral.
ROMAN_HEADING_WORD: dict[str, str] = {"es": "Numeral", "pt": "Item"}

# A source heading that refers to "this section" is the start of a sentence that
# introduces a list ("In this section:"), not a title.
RUNNING_TEXT_HEADING = re.compile(
    r"\b(?:this|the said) (?:section|Act|Part|Chapter|article)\b|\best[ea] (?:art[íi]culo|ley|cap[íi]tulo)\b|"
    r"\bdeze[mn]? (?:artikel|wet)\b|\b(?:cet|ce présent) article\b|\bdeste (?:artigo|c[óo]digo)\b",
    re.IGNORECASE,
)

# Schedules: top-level provisions of kind "schedule" after which numbered items are
# schedule content, not sections.
SCHEDULE_PATTERN = (
    r"(?:(?P<ord>FIRST|SECOND|THIRD|FOURTH|FIFTH|SIXTH|SEVENTH|EIGHTH|NINTH|TENTH|First|Second|Third|"
    r"Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth)\s+)?(?:SCHEDULE|Schedule)"
    r"(?:\s+(?P<num>[0-9]+|[IVX]+)\b)?"
)

# --- back matter --------------------------------------------------------------------

# Lines that open back matter (signatures, promulgation formulas) wherever they appear
# at a line start; the back matter runs to the next heading.
BACK_MATTER = [
    r"Dado en\b", r"DADO EN\b", r"Dada en\b", r"Reg[ií]strese,", r"Comun[ií]quese,\s*publ[ií]quese",
    r"Ditetapkan di\b", r"Diundangkan di\b",
    r"Done at\b", r"IN WITNESS WHEREOF", r"In witness whereof", r"Given under my hand",
    r"Fait à\b", r"Gegeven te\b", r"Lasten en bevelen\b",
]

# --- ordinal words --------------------------------------------------------------------

ORDINALS: dict[str, dict[str, int]] = {
    "en": {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
           "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "sole": 1},
    "fr": {"premier": 1, "première": 1, "unique": 1},
    "es": {"primero": 1, "primera": 1, "segundo": 2, "segunda": 2, "tercero": 3, "tercera": 3,
           "cuarto": 4, "cuarta": 4, "quinto": 5, "quinta": 5, "sexto": 6, "sexta": 6,
           "séptimo": 7, "séptima": 7, "septima": 7, "octavo": 8, "octava": 8, "noveno": 9,
           "novena": 9, "décimo": 10, "décima": 10, "decima": 10, "único": 1, "única": 1, "unica": 1,
           "undécima": 11, "duodécima": 12, "decimotercera": 13, "decimocuarta": 14, "decimoquinta": 15},
    "pt": {"único": 1, "primeiro": 1},
    "nl": {"eerste": 1, "tweede": 2, "derde": 3, "vierde": 4, "vijfde": 5, "zesde": 6, "zevende": 7,
           "achtste": 8, "negende": 9, "tiende": 10, "enig": 1},
    "id": {"kesatu": 1, "pertama": 1, "kedua": 2, "ketiga": 3, "keempat": 4, "kelima": 5, "keenam": 6,
           "ketujuh": 7, "kedelapan": 8, "kesembilan": 9, "kesepuluh": 10, "kesebelas": 11},
    "bn": {"প্রথম": 1, "দ্বিতীয়": 2, "তৃতীয়": 3, "চতুর্থ": 4, "পঞ্চম": 5, "ষষ্ঠ": 6, "সপ্তম": 7,
           "অষ্টম": 8, "নবম": 9, "দশম": 10, "একাদশ": 11, "দ্বাদশ": 12},
}
ORDINAL_WORDS: dict[str, int] = {w: n for table in ORDINALS.values() for w, n in table.items()}

# Indonesian teens are "Kedua Belas" (12): ordinal word + "Belas" adds ten.
TEEN_SUFFIX = {"belas": 10}

# Arabic ordinals, feminine (المادة) and masculine (الباب، الفصل) forms.
ARABIC_UNITS = {
    "الأولى": 1, "الاولى": 1, "الأول": 1, "الاول": 1, "الحادية": 1, "الحادي": 1,
    "الثانية": 2, "الثاني": 2, "الثالثة": 3, "الثالث": 3, "الرابعة": 4, "الرابع": 4,
    "الخامسة": 5, "الخامس": 5, "السادسة": 6, "السادس": 6, "السابعة": 7, "السابع": 7,
    "الثامنة": 8, "الثامن": 8, "التاسعة": 9, "التاسع": 9, "العاشرة": 10, "العاشر": 10,
}
ARABIC_TENS = {
    "العشرون": 20, "العشرين": 20, "الثلاثون": 30, "الثلاثين": 30, "الأربعون": 40, "الأربعين": 40,
    "الخمسون": 50, "الخمسين": 50, "الستون": 60, "الستين": 60, "السبعون": 70, "السبعين": 70,
    "الثمانون": 80, "الثمانين": 80, "التسعون": 90, "التسعين": 90, "المائة": 100, "المئة": 100,
}
ARABIC_TEEN = {"عشرة", "عشر"}
ARABIC_ORDINAL_RE = r"ال[\u0621-\u064A]+(?:\s+(?:عشرة|عشر))?(?:\s+و\s?ال[\u0621-\u064A]+)?"


def arabic_ordinal(phrase: str) -> int | None:
    """Value of an Arabic ordinal phrase ("الحادية عشرة" -> 11, "الثالثة والعشرون" -> 23)."""
    words = phrase.replace("و", " و ").split() if " و" in phrase or "وال" in phrase else phrase.split()
    words = [w for w in words if w != "و"]
    if not words:
        return None
    total = 0
    if words[0] in ARABIC_UNITS:
        total = ARABIC_UNITS[words[0]]
    elif words[0] in ARABIC_TENS:
        return ARABIC_TENS[words[0]] if len(words) == 1 else None
    else:
        return None
    for word in words[1:]:
        if word in ARABIC_TEEN:
            total += 10
        elif word in ARABIC_TENS:
            total += ARABIC_TENS[word]
        else:
            return None
    return total


def ordinal_value(phrase: str) -> int | None:
    """Value of an ordinal word or phrase in any supported language, else None."""
    phrase = phrase.strip()
    if not phrase:
        return None
    if re.match(r"[\u0621-\u064A]", phrase):
        return arabic_ordinal(phrase)
    words = phrase.lower().split()
    value = ORDINAL_WORDS.get(words[0])
    if value is None:
        return None
    if len(words) > 1 and words[1] in TEEN_SUFFIX:
        value += TEEN_SUFFIX[words[1]]
    return value


# --- numbers ------------------------------------------------------------------------

ROMAN_RE = r"(?=[IVXLC])M{0,3}(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})"
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_value(text: str) -> int | None:
    """Value of a Roman numeral (either case), or None if ``text`` is not one."""
    text = text.upper()
    if not text or not re.fullmatch(ROMAN_RE, text):
        return None
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN[ch]
        total += -value if i + 1 < len(text) and _ROMAN[text[i + 1]] > value else value
    return total


# Latin insertion suffixes ("145 bis", "41 ter") sort after the plain number.
LATIN_SUFFIXES = ["bis", "ter", "quater", "quinquies", "sexies", "septies", "octies", "nonies", "decies"]

# A printed section number: 45, 2A, 273f, 279.01, 149-A, 7104a, 22AA, 145 bis.
NUMBER_RE = (
    rf"[{DIGIT_CLASS}]{{1,5}}(?:\.[{DIGIT_CLASS}]{{1,3}})*(?:-?[A-Za-z]{{1,2}}(?![A-Za-z]))?"
    rf"(?:[ -](?:{'|'.join(LATIN_SUFFIXES)})\b)?"
)


def number_key(number: str) -> tuple[int, str] | None:
    """Sortable key of a printed number: (major, rest) where ``rest`` orders insertions.

    "2" < "2A" < "2B" < "3"; "279" < "279.01" < "279.011" < "279.1"; "145" < "145 bis".
    """
    number = ascii_digits(number).strip()
    m = re.match(r"(\d+)(.*)$", number)
    if not m:
        return None
    rest = m.group(2).strip().lstrip("-").strip()
    for i, suffix in enumerate(LATIN_SUFFIXES):
        if rest.lower() == suffix:
            rest = chr(ord("A") + i + 1)
    return int(m.group(1)), rest.upper()
