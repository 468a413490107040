"""Vocabulary and spaCy Matcher patterns used by :mod:`indexing.enrich`.

Everything here is data: word lists per family and functions that turn them into
token patterns. The patterns run on a blank pipeline's tokens after number runs
have been merged into single tokens marked by ``NUM_NORM``. Lists mix
languages on purpose: a Spanish law quoting "artículo 5" inside an English text is
still a reference, and a foreign word never matches by accident in practice.
"""

from __future__ import annotations

# The number pass marks merged number tokens through NORM: a native attribute the
# Matcher reads in C, where a custom ``_`` attribute would cost a Python call per token.
NUM_NORM = "__ctkb_num__"
NUM = {"NORM": NUM_NORM}


def is_num(token) -> bool:
    """Whether the number pass merged ``token`` into a number."""
    return token.norm_ == NUM_NORM

# --- penalties ---------------------------------------------------------------
YEAR_UNITS = frozenset({
    "year", "years", "yr", "yrs", "año", "años", "an", "ans", "année", "années", "ano", "anos",
    "jaar", "jaren", "tahun", "سنة", "سنوات", "سنين", "عام", "أعوام", "বছর", "বৎসর", "বছরের",
    "বৎসরের",
})
MONTH_UNITS = frozenset({
    "month", "months", "mes", "meses", "mois", "maand", "maanden", "bulan", "شهر", "أشهر",
    "شهور", "মাস", "মাসের",
})
DAY_UNITS = frozenset({
    "day", "days", "día", "días", "jour", "jours", "dia", "dias", "dag", "dagen", "hari",
    "يوم", "أيام", "দিন",
})
UNITS = YEAR_UNITS | MONTH_UNITS | DAY_UNITS
# Arabic duals carry the number in the noun: "(سنتين)" is two years.
DUALS = {"سنتين": (2, "year"), "سنتان": (2, "year"), "شهرين": (2, "month"), "شهران": (2, "month")}

PRISON_WORDS = frozenset({
    "imprisonment", "imprisoned", "imprison", "prisión", "prision", "reclusión", "reclusion",
    "presidio", "prisão", "reclusão", "detenção", "emprisonnement", "réclusion",
    "gevangenisstraf", "hechtenis", "penjara", "kurungan",
})

FINE_WORDS = frozenset({
    "fine", "fined", "fines", "multa", "multas", "amende", "amendes", "geldboete", "denda",
})
# "fines" is Spanish for "purposes" ("a los fines de"); per language, only its own words.
FINE_WORDS_BY_LANGUAGE = {
    "en": frozenset({"fine", "fined", "fines"}), "es": frozenset({"multa", "multas"}),
    "pt": frozenset({"multa", "multas"}), "fr": frozenset({"amende", "amendes"}),
    "nl": frozenset({"geldboete", "geldboetes"}), "id": frozenset({"denda"}),
}

LEAD_WORDS = frozenset({
    "penalty", "penalties", "punishment", "pena", "penas", "peine", "peines", "straf",
    "pidana", "العقوبة", "দণ্ড",
})
# Fixed phrases, matched on lower-case tokens by a PhraseMatcher (cheap on long texts).
LIFE_PHRASES = [
    "imprisonment for life", "imprisoned for life", "prison for life", "life imprisonment",
    "perpetua", "perpetuo", "perpétua", "perpétuité", "levenslange", "levenslang", "à vie",
    "seumur hidup",
]
# "or life", "to life": a life term only in a clause that also imprisons ("threat to life").
LIFE_WEAK_PHRASES = ["or life", "or for life", "to life", "term of life"]
DEATH_PHRASES = [
    "punished with death", "punishable with death", "punish with death", "penalty of death",
    "sentence of death", "punishment of death", "sentenced to death", "death penalty",
    "death sentence", "capital punishment", "pena de muerte", "peine de mort", "pena de morte",
    "doodstraf", "pidana mati",
]
# A fine keyword that denies a fine ("without the option of a fine").
NO_FINE_PHRASES = ["option of a fine", "option of fine"]

# Scripts whose tokenizer keeps clitics on the word ("بالسجن", "কারাদণ্ডে") need a
# substring test; a REGEX predicate costs a Python call per token, so only these
# languages get them.
SCRIPT_KEYWORD_LANGUAGES = frozenset({"ar", "bn", "ur", "fa", "xx"})
SCRIPT_KEYWORDS = {
    "PRISON": r"السجن|الحبس|কারাদণ্ড",
    "FINE": r"غرامة|অর্থদণ্ড",
    "LIFE": r"المؤبد|যাবজ্জীবন",
    "DEATH": r"الإعدام|মৃত্যুদণ্ড",
}
CURRENCY_SYMBOLS = frozenset({"P", "K", "$", "US$", "N$", "Rs", "Rs.", "Rp", "Rp.", "₱", "৳", "£", "€", "TSh", "Tsh"})
# Split a currency mark glued to a grouped amount ("K500,000", "P1,000,000.00").
CURRENCY_PREFIX_REGEX = r"(?:US\$|N\$|Rs\.?|Rp\.?|TSh|Tsh|[A-Z])(?=\d{1,3}(?:,\d{3})+(?:\.\d+)?$)"

# A fine keyword that denies a fine ("without the option of a fine").
FINE_NEGATION = [[{"LOWER": "option"}, {"LOWER": "of"}, {"LOWER": "a", "OP": "?"}, {"LOWER": "fine"}]]

MAX_QUALIFIERS = [
    "not more than", "not exceeding", "not to exceed", "no more than", "up to", "may extend to",
    "extend to", "maximum of", "at most", "ten hoogste", "hoogstens", "no mayor de",
    "no mayor a", "hasta", "máximo de", "como máximo", "n'excédant pas", "n’excédant pas",
    "ne dépassant pas", "au plus", "jusqu'à", "jusqu’à", "maximum de", "até", "no máximo",
    "paling lama", "paling banyak", "لا تزيد على", "لا تزيد عن", "لا تتجاوز", "لا يتجاوز",
    "অনধিক", "সর্বোচ্চ",
]
MIN_QUALIFIERS = [
    "not less than", "no less than", "minimum punishment of", "minimum of", "at least",
    "not be less than", "exceeding", "no menor de", "no menor a", "no inferior a",
    "mínimo de", "como mínimo", "pas inférieur à", "pas inférieure à", "au moins",
    "minimum de", "ten minste", "niet minder dan", "no mínimo", "não inferior a",
    "paling singkat", "paling sedikit", "لا تقل عن", "لا يقل عن", "অন্যূন", "ন্যূনতম",
]
# Between two numbers these make a range: "de 4 a 8 anos", "from ten to twenty years".
RANGE_CONNECTORS = frozenset({"a", "à", "to", "até", "tot", "-", "–", "sampai", "hingga", "al"})
# Words near a number that make it an age, not a term: "under 16 years of age".
AGE_BEFORE = frozenset({
    "age", "aged", "edad", "âge", "leeftijd", "menor", "menores", "mineur", "mineure",
    "under", "below", "over", "older", "younger", "usia", "umur", "beneden", "عمر", "سن",
})
AGE_AFTER = frozenset({"age", "old", "edad", "âge", "oud", "oude"})

CURRENCY_WORDS = {
    "shillings": "shillings", "shilling": "shillings", "rupees": "rupees", "rupee": "rupees",
    "pesos": "pesos", "peso": "pesos", "francs": "francs", "franc": "francs",
    "kwacha": "kwacha", "dollars": "dollars", "dollar": "dollars", "euros": "euro",
    "euro": "euro", "riyal": "riyal", "riyals": "riyal", "ريال": "riyal", "taka": "taka",
    "টাকা": "taka", "rupiah": "rupiah", "soles": "soles", "reais": "reais", "units": "penalty units",
}

# --- cross-references ----------------------------------------------------------
REF_NOUNS = {
    "section": ["section", "sections", "sec", "sec.", "s.", "ss", "ss.", "§", "§§", "sección",
                "secciones", "ধারা", "ধারার"],
    "subsection": ["subsection", "subsections", "sub-section", "sub-sections"],
    "article": ["article", "articles", "art", "art.", "arts", "arts.", "artículo", "artículos",
                "articulo", "articulos", "artigo", "artigos", "artikel", "artikelen", "pasal",
                "المادة", "المواد"],
    "paragraph": ["paragraph", "paragraphs", "para", "para.", "paras", "párrafo", "párrafos",
                  "parágrafo", "paragraphe", "alinéa", "alinea", "inciso", "incisos", "ayat",
                  "clause", "clauses"],
    "subparagraph": ["subparagraph", "subparagraphs", "sub-paragraph", "sub-paragraphs"],
    "part": ["part", "parts"],
    "chapter": ["chapter", "chapters", "capítulo", "chapitre", "hoofdstuk", "bab"],
    "schedule": ["schedule"],
    "title": ["title", "título", "titre", "titel"],
}
NOUN_KIND = {word: kind for kind, words in REF_NOUNS.items() for word in words}
TARGET_REGEX = r"^(?:\d+[A-Za-z]{0,3}(?:[.\-]\d+[A-Za-z]{0,2})*(?:-[A-Z])?[º°ª]?|[০-৯]+)$"
ROMAN_REGEX = r"^[IVXLC]{1,6}$"
SUFFIXES = frozenset({"bis", "ter", "quater", "quinquies", "sexies", "septies", "octies"})
LIST_JOINERS = frozenset({",", "and", "or", "to", "y", "o", "e", "ou", "et", "en", "-", "–", "a", "&"})
RANGE_JOINERS = frozenset({"to", "-", "–", "a", "à"})
EXT_PREPS = ["of", "under", "in", "del", "de", "da", "do", "du", "van", "dari", "des"]
EXT_DETS = ["the", "la", "el", "le", "l'", "l’", "les", "het", "a", "o", "its"]
EXT_HEADS = [
    "act", "code", "law", "constitution", "ordinance", "decree", "convention", "protocol",
    "directive", "statute", "title", "ley", "código", "codigo", "decreto", "decreto-lei",
    "decreto-ley", "reglamento", "loi", "décret", "wet", "wetboek", "lei", "undang-undang",
    "constitución", "constituição", "grondwet", "u.s.c.", "usc", "r.a.", "republic",
    "regulations", "rules",
]
SKIP_BEFORE_EXTERNAL = frozenset({",", "respectively", "respectivamente", "respectivement"})


def external_pattern() -> list[dict]:
    """Tokens naming another instrument: "of the Penal Code", "de la Ley N° 26.364"."""
    return [
        {"LOWER": {"IN": EXT_PREPS}},
        {"LOWER": {"IN": EXT_DETS}, "OP": "?"},
        {"TEXT": {"REGEX": r"^(?:[A-Z]|-$|in$|of$|and$|for$|on$|de$|des$|van$|the$)"}, "OP": "{0,8}"},
        {"LOWER": {"IN": EXT_HEADS}},
    ]


def ref_patterns() -> list[list[dict]]:
    """A reference noun followed by a number or a bracketed label."""
    nouns = list(NOUN_KIND)
    noun = {"LOWER": {"IN": nouns}}
    dot = {"ORTH": ".", "OP": "?"}
    return [
        [noun, dot, {"TEXT": {"REGEX": TARGET_REGEX}}],
        [noun, dot, NUM],
        [noun, {"ORTH": "("}, {"TEXT": {"REGEX": r"^(?:\d{1,3}[A-Za-z]?|[a-z]{1,4}|[ivx]{1,5})$"}}, {"ORTH": ")"}],
        [{"LOWER": {"IN": REF_NOUNS["part"] + REF_NOUNS["chapter"] + REF_NOUNS["title"]
                    + ["inciso", "incisos"]}}, {"TEXT": {"REGEX": ROMAN_REGEX}}],
        [{"LOWER": "sub"}, {"ORTH": "-"}, {"LOWER": {"IN": ["section", "sections", "paragraph"]}},
         {"TEXT": {"REGEX": TARGET_REGEX}}],
    ]


# --- definitions -------------------------------------------------------------
OPEN_QUOTES = ['"', "“", "”", "'", "‘", "«", "*", "„", "”", "’"]
CLOSE_QUOTES = ['"', "”", "“", "'", "’", "»", "*", "‟"]
QUOTES = sorted(set(OPEN_QUOTES) | set(CLOSE_QUOTES))
DEF_VERBS = [
    ["means"], ["includes"], ["include"], ["mean"], ["shall", "mean"], ["shall", "include"],
    ["refers", "to"], ["has", "the", "meaning"], ["has", "the", "same", "meaning"],
    ["shall", "have", "the", "same", "meaning"], ["significa"], ["designa"], ["désigne"],
    ["betekent"], ["adalah"], ["ialah"], ["অর্থ"], ["বলিতে"], ["comprend"], ["s’", "entend"],
    ["s'", "entend"], ["s'entend"],
]
# A trigger followed by the term: "se entiende por trata de personas el ...".
TRIGGERS_BEFORE_TERM = [
    ["se", "entiende", "por"], ["se", "entenderá", "por"], ["entiéndese", "por"],
    ["entenderse", "por"], ["on", "entend", "par"], ["il", "faut", "entendre", "par"],
    ["wordt", "verstaan", "onder"], ["worden", "verstaan", "onder"], ["considera-se"],
    ["consideram-se"], ["entende-se", "por"], ["entende", "-se", "por"], ["يقصد", "ب"],
    ["يقصد", "بـ"],
]
# The term sits between these: "Por explotación se entiende", "Onder uitbuiting wordt verstaan".
TERM_THEN_TRIGGER = [
    (["por"], ["se", "entiende"]), (["onder"], ["wordt", "verstaan"]),
    (["onder"], ["wordt", "ten", "minste", "verstaan"]), (["par"], ["on", "entend"]),
]
# Words that close a term introduced by a trigger (articles, copulas, punctuation).
TERM_STOPPERS = frozenset({
    "el", "la", "los", "las", "lo", "al", "a", "un", "una", "como", "le", "les", "l'", "l’",
    "une", "tout", "toute", "tous", "toutes", "o", "os", "as", "um", "uma", "aquele",
    "aquela", "toda", "todo", "quando", "het", "een", "elke", "iedere", "cuando",
    "que", ":", ",", ";", ".", "—", "–", "-", "(", "se", "is", "are", "wordt",
})
LEADING_ARTICLES = frozenset({"the", "a", "an", "le", "la", "les", "l'", "l’", "el", "los", "las", "o", "a", "het", "de", "een"})
# A provision holding one of these cues may define terms in a bare "term : text" list.
LIST_DEFINITION_CUES = [
    "définitions", "au sens de la présente", "يقصد", "yang dimaksud dengan", "wordt verstaan onder",
    "se entiende por", "para os fins", "para efeitos", "a los fines de", "definiciones",
    "begripsbepalingen", "for the purposes of this",
]
LIST_MARK_REGEX = r"^(?:\(?[a-z]{1,2}[.)]?|\(?\d{1,2}[.)]?|[০-৯]{1,2}[.)]?|[-•–])$"
LIST_VERBS = ["désigne", "s’entend", "s'entend", "comprend", "adalah", "ialah", "means"]
