"""Modality: does a provision impose a duty ("shall") or grant a power ("may")?

The 4P standard reads a power where a duty is expected as *partial*. Duty and power words
per language are data; matching reuses the cue machinery (folded, lower-cased tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from kb.cues import _nlp, phrase_pattern

DUTY: dict[str, list[str]] = {
    "en": ["shall", "must", "is required to", "are required to", "has a duty", "have a duty", "is obliged",
           "are obliged", "is entitled to", "are entitled to", "shall be entitled", "has the right", "have the right"],
    "es": ["deberá", "deberán", "debe", "deben", "está obligado", "están obligados", "garantizará", "garantizarán",
           "tendrá derecho", "tendrán derecho", "tienen derecho", "tiene derecho"],
    "pt": ["deverá", "deverão", "deve", "devem", "é obrigado", "garantirá", "tem direito", "têm direito",
           "terá direito", "terão direito"],
    "fr": ["doit", "doivent", "est tenu", "sont tenus", "assure", "assurent", "garantit", "a droit", "ont droit",
           "bénéficie", "bénéficient"],
    "nl": ["moet", "moeten", "is verplicht", "zijn verplicht", "draagt zorg", "dragen zorg", "heeft recht",
           "hebben recht"],
    "ar": ["يجب", "تلتزم", "يلتزم", "على الجهات", "يحق", "له الحق", "لها الحق", "تتولى", "يتولى"],
    "id": ["wajib", "harus", "berhak", "bertanggung jawab"],
    "bn": ["করিবে", "করিতে হইবে", "বাধ্য", "অধিকারী"],
}
POWER: dict[str, list[str]] = {
    "en": ["may", "is empowered", "are empowered", "at the discretion", "is authorised to", "is authorized to"],
    "es": ["podrá", "podrán", "puede", "pueden", "facultad", "facultado"],
    "pt": ["poderá", "poderão", "pode", "podem"],
    "fr": ["peut", "peuvent", "pourra", "pourront"],
    "nl": ["kan", "kunnen", "mag", "mogen", "is bevoegd", "zijn bevoegd"],
    "ar": ["يجوز", "للوزير أن", "يمكن"],
    "id": ["dapat", "boleh"],
    "bn": ["পারিবে", "পারিবেন"],
}


@dataclass(frozen=True)
class Modality:
    duty: bool
    power: bool


@lru_cache(maxsize=16)
def _matcher(language: str):
    from spacy.matcher import Matcher

    nlp = _nlp(language)
    matcher = Matcher(nlp.vocab)
    for label, table in (("duty", DUTY), ("power", POWER)):
        phrases = table.get(language, table["en"])
        matcher.add(label, [phrase_pattern(p, language) for p in phrases])
    return matcher


def modality_of(doc, language: str) -> Modality:
    """Duty and power words in a document tokenised by the cue pipeline of ``language``."""
    labels = {doc.vocab.strings[m] for m, _, _ in _matcher(language)(doc)}
    return Modality(duty="duty" in labels, power="power" in labels)


def modality(texts: list[str], language: str) -> list[Modality]:
    """Duty and power words found in each text."""
    return [modality_of(doc, language) for doc in _nlp(language).pipe(texts, batch_size=64)]
