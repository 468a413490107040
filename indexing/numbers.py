"""Number words and numerals as they appear in statutes, turned into values.

Statutes spell numbers out ("fourteen years", "CUATRO (4)", "vijftien jaren",
"(خمس عشرة) سنة") as often as they write digits. This module knows the cardinal
words of the languages the corpus uses and folds a run of them into a value with
the usual units/hundreds/scales algorithm; it knows nothing about spaCy.
"""

from __future__ import annotations

import re

# Cardinal words by language. Values are plain numbers; scales (>= 100) multiply.
_EN = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1_000,
    "million": 1_000_000, "billion": 1_000_000_000,
}
_ES = {
    "cero": 0, "uno": 1, "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12,
    "trece": 13, "catorce": 14, "quince": 15, "dieciséis": 16, "dieciseis": 16,
    "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21,
    "veintiún": 21, "veintidós": 22, "veintidos": 22, "veintitrés": 23, "veintitres": 23,
    "veinticuatro": 24, "veinticinco": 25, "veintiséis": 26, "veintiseis": 26,
    "veintisiete": 27, "veintiocho": 28, "veintinueve": 29, "treinta": 30, "cuarenta": 40,
    "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
    "cien": 100, "ciento": 100, "doscientos": 200, "trescientos": 300, "cuatrocientos": 400,
    "quinientos": 500, "seiscientos": 600, "setecientos": 700, "ochocientos": 800,
    "novecientos": 900, "mil": 1_000, "millón": 1_000_000, "millon": 1_000_000,
    "millones": 1_000_000,
}
_PT = {
    "zero": 0, "um": 1, "uma": 1, "dois": 2, "duas": 2, "três": 3, "tres": 3, "quatro": 4,
    "cinco": 5, "seis": 6, "sete": 7, "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12,
    "treze": 13, "catorze": 14, "quatorze": 14, "quinze": 15, "dezesseis": 16, "dezasseis": 16,
    "dezessete": 17, "dezassete": 17, "dezoito": 18, "dezenove": 19, "dezanove": 19,
    "vinte": 20, "trinta": 30, "quarenta": 40, "cinquenta": 50, "sessenta": 60, "setenta": 70,
    "oitenta": 80, "noventa": 90, "cem": 100, "cento": 100, "duzentos": 200, "trezentos": 300,
    "quinhentos": 500, "mil": 1_000, "milhão": 1_000_000, "milhões": 1_000_000,
}
_FR = {
    "zéro": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13,
    "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30,
    "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100, "cents": 100,
    "mille": 1_000, "million": 1_000_000, "millions": 1_000_000, "milliard": 1_000_000_000,
}
_NL_UNITS = {
    "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7,
    "acht": 8, "negen": 9,
}
_NL_TENS = {
    "twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50, "zestig": 60, "zeventig": 70,
    "tachtig": 80, "negentig": 90,
}
_NL = {
    **_NL_UNITS, **_NL_TENS, "nul": 0, "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13,
    "veertien": 14, "vijftien": 15, "zestien": 16, "zeventien": 17, "achttien": 18,
    "negentien": 19, "honderd": 100, "duizend": 1_000, "miljoen": 1_000_000,
}
# Dutch writes 21-99 as one word: "vijfentwintig", "tweeëntwintig".
for _u, _uv in _NL_UNITS.items():
    for _t, _tv in _NL_TENS.items():
        _NL[f"{_u}en{_t}"] = _uv + _tv
        _NL[f"{_u}ën{_t}"] = _uv + _tv
_ID = {
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11, "seratus": 100,
    "seribu": 1_000, "ratus": 100, "ribu": 1_000, "juta": 1_000_000, "miliar": 1_000_000_000,
    "belas": 10, "puluh": 10,
}
_AR = {
    "واحد": 1, "واحدة": 1, "اثنين": 2, "اثنتين": 2, "اثنا": 2, "اثنتا": 2, "ثلاث": 3,
    "ثلاثة": 3, "أربع": 4, "أربعة": 4, "خمس": 5, "خمسة": 5, "ست": 6, "ستة": 6, "سبع": 7,
    "سبعة": 7, "ثمان": 8, "ثماني": 8, "ثمانية": 8, "تسع": 9, "تسعة": 9, "عشر": 10,
    "عشرة": 10, "عشرين": 20, "عشرون": 20, "ثلاثين": 30, "ثلاثون": 30, "أربعين": 40,
    "خمسين": 50, "مائة": 100, "مئة": 100, "مائتي": 200, "مائتين": 200, "ألف": 1_000,
    "آلاف": 1_000, "مليون": 1_000_000, "ملايين": 1_000_000,
}

WORDS: dict[str, dict[str, int]] = {
    "en": _EN, "es": _ES, "pt": _PT, "fr": _FR, "nl": _NL, "id": _ID, "ms": _ID, "ar": _AR,
}

# Words that are also articles ("un emprisonnement", "een jaar"): a number only
# when a unit, a scale or a "(4)" echo follows. The caller checks the context.
AMBIGUOUS = frozenset({"un", "une", "una", "uno", "um", "uma", "een", "one"})

# Words that join the parts of one spelled-out number ("twenty-one", "treinta y cinco").
JOINERS = frozenset({"-", "and", "y", "e", "et", "en", "و"})

_DIGITS = re.compile(r"^(?:[A-Za-z]{1,3}\$?|[$€£₱৳]|Rs\.?|Rp\.?)?(\d[\d,.\u00a0 ]*)$")
_EASTERN = str.maketrans("٠١٢٣٤٥٦٧٨٩০১২৩৪৫৬৭৮৯", "01234567890123456789")


def number_words(language: str) -> frozenset[str]:
    """All cardinal words known for ``language`` (lower case), empty if none."""
    return frozenset(WORDS.get(language, {}))


def parse_words(words: list[str], language: str) -> float | None:
    """Fold a run of number words into a value.

    Args:
        words: Lower-cased tokens such as ``["twenty", "-", "one"]``.
        language: ISO 639-1 code choosing the lexicon.

    Returns:
        The value, or None if a word is not a number word of the language.
    """
    lexicon = WORDS.get(language, {})
    total, current, seen = 0.0, 0.0, False
    for word in words:
        if word in JOINERS:
            continue
        if word.startswith("و") and word[1:] in lexicon and word not in lexicon:
            word = word[1:]  # Arabic conjunction prefix: "وعشرين"
        value = lexicon.get(word)
        if value is None:
            return None
        seen = True
        if value >= 1_000:
            total += max(current, 1) * value
            current = 0
        elif value == 100 and current and current < 100:
            current *= 100  # "two hundred", but not Spanish "doscientos"
        elif language == "fr" and value == 20 and current == 4:
            current = 80  # "quatre-vingt"
        elif language in {"id", "ms"} and word in {"belas", "puluh"}:
            current = current + 10 if word == "belas" else max(current, 1) * 10
        else:
            current += value
    return total + current if seen else None


def parse_numeral(text: str) -> float | None:
    """Value of a numeral token: "14", "1,000,000", "P1,000,000.00", "10 000", "২০".

    Separators are read the way the digits suggest: a group of exactly three digits
    after "," "." or a space is a thousands group ("26.364" is 26364 in Spanish and
    "1,000" is 1000), otherwise the separator is a decimal mark.
    """
    match = _DIGITS.match(text.translate(_EASTERN).strip())
    if not match:
        return None
    body = match.group(1).rstrip(",. \u00a0")
    parts = re.split(r"[,.\u00a0 ]", body)
    if len(parts) == 1:
        return float(parts[0])
    if all(len(p) == 3 for p in parts[1:]):
        return float("".join(parts))
    if all(len(p) == 3 for p in parts[1:-1]) and len(parts[-1]) != 3:
        return float("".join(parts[:-1]) + "." + parts[-1])
    return None
