"""Sparse lexical vectors: BM25 term-frequency weights over hashed, normalised tokens.

Tokens come from the spaCy tokenizer of the text's language (``spacy.blank(lang)``;
"xx", the multi-language tokenizer, for languages spaCy cannot tokenize without extra
packages). Normalisation: case folding, accents stripped (NFKD, combining marks
dropped: "víctima" -> "victima", Arabic short vowels and hamza seats fold the same
way), punctuation, spaces and stopwords dropped, numbers kept ("1591", "273f", "2008").

A term's index is a stable 31-bit hash of its normalised form (blake2b, identical in
every process and on every machine, unlike Python's salted ``hash()``). A document
term's value is BM25's saturated term frequency; Qdrant multiplies in the IDF itself
(the sparse vector is configured with ``Modifier.IDF``), so vectors never need
recomputing when the corpus grows.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from functools import lru_cache
from importlib.metadata import version
from typing import Any

from kb.store.base import SparseVec

K1 = 1.2
B = 0.75
# Average document length (kept terms per chunk) for BM25's length normalisation,
# fixed rather than measured so that a document's vector does not depend on the rest
# of the corpus. Measured on the chunk texts (``Chunk.text``, without the context
# prefix) of the real corpus, 2,117 chunks of at most 256 MiniLM word pieces:
# median 37 kept terms, mean 42, 10th-90th percentile 9-83.
AVGDL = 40.0
FALLBACK_LANGUAGE = "xx"
# Words spaCy lists as stopwords that carry meaning in trafficking law: Spanish "trata"
# is trafficking itself, Portuguese "menor" a minor, French "personne" a person,
# Indonesian "seseorang"/"orang" a person and "tahun" the years of a sentence.
KEEP = frozenset({"trata", "menor", "menores", "personne", "personnes", "seseorang", "orang", "tahun"})
_TATWEEL = "\u0640"
# Combining classes kept: 0 (not a mark), 7 (nukta) and 9 (virama). In Indic scripts
# those spell the consonant ("প্র" is not "পর"); they are not accents.
_SPELLING = frozenset({0, 7, 9})


def fold(text: str) -> str:
    """Case-fold and strip accents: "Víctima" -> "victima", "أطفال" -> "اطفال"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if unicodedata.combining(c) in _SPELLING and c != _TATWEEL)
    return unicodedata.normalize("NFC", kept)


def term_index(term: str) -> int:
    """Stable 31-bit index of a normalised term (same in every process)."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


@lru_cache(maxsize=None)
def _tokenizer(language: str) -> tuple[Any, frozenset[str]]:
    """spaCy's tokenizer and folded stopword set for ``language`` (cached per language)."""
    from kb.nlp import blank

    nlp = blank(language)  # shared with the cue matcher; falls back to "xx" for unknown codes
    stops = frozenset(fold(w) for w in nlp.Defaults.stop_words) - KEEP
    return nlp.tokenizer, stops


def _trim(text: str) -> tuple[int, int]:
    """The token without punctuation or symbols at its edges (inner ones stay: "26.364")."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PS":
        end -= 1
    return start, end


def _keep(token: Any, folded: str, stops: frozenset[str]) -> bool:
    if token.is_space or token.is_punct or not any(c.isalnum() for c in folded):
        return False
    if any(c.isdigit() for c in folded):
        return True  # numbers matter: "1591", "273f", "26.364"
    return folded not in stops


class SparseEncoder:
    """BM25-style sparse vectors for documents and queries.

    Attributes:
        name: The Qdrant sparse vector name.
        version: Changes whenever the vectors would (parameters, tokenizer, stopwords).
    """

    name = "bm25"

    def __init__(self, batch_size: int = 256) -> None:
        self.batch_size = batch_size

    @property
    def version(self) -> str:
        major_minor = ".".join(version("spacy").split(".")[:2])
        return f"bm25-1-k{K1}-b{B}-avgdl{AVGDL:g}-spacy{major_minor}"

    def term_spans(self, text: str, language: str | None = None) -> list[tuple[int, int, str]]:
        """Kept tokens as (start, end, normalised term), offsets into ``text``; for highlighting."""
        tokenizer, stops = _tokenizer(language or FALLBACK_LANGUAGE)
        return self._spans(tokenizer(text), stops)

    def terms(self, text: str, language: str | None = None) -> list[str]:
        """Normalised kept tokens of ``text``, in order (repeats included)."""
        return [term for _, _, term in self.term_spans(text, language)]

    @staticmethod
    def _spans(doc: Any, stops: frozenset[str]) -> list[tuple[int, int, str]]:
        out = []
        for token in doc:
            # Some tokenizers leave edge punctuation on a token (Arabic: "3." at the end).
            start, end = _trim(token.text)
            folded = fold(token.text[start:end])
            if _keep(token, folded, stops):
                out.append((token.idx + start, token.idx + end, folded))
        return out

    def encode_documents(self, texts: list[str], language: str | None = None) -> list[SparseVec]:
        """One vector per text: BM25 saturated term frequency per term (IDF left to Qdrant).

        Args:
            texts: Chunk texts, all in ``language``.
            language: ISO 639-1 code of the texts; None or unknown -> the "xx" tokenizer.
        """
        tokenizer, stops = _tokenizer(language or FALLBACK_LANGUAGE)
        out = []
        for doc in tokenizer.pipe(texts, batch_size=self.batch_size):
            counts = Counter(term for _, _, term in self._spans(doc, stops))
            dl = sum(counts.values())
            norm = K1 * (1 - B + B * dl / AVGDL)
            out.append(_vector({term: tf * (K1 + 1) / (tf + norm) for term, tf in counts.items()}))
        return out

    def encode_query(self, text: str, language: str | None = None) -> SparseVec:
        """Weight 1.0 per distinct query term (Qdrant's IDF does the ranking).

        Without a language the "xx" tokenizer is used; it has no stopword list, so a query
        may keep words like "of" that no document indexes: they match nothing.
        """
        return _vector({term: 1.0 for term in self.terms(text, language)})


def _vector(weights: dict[str, float]) -> SparseVec:
    """Hash terms to indices; terms colliding on an index add up. Indices sorted."""
    merged: dict[int, float] = {}
    for term, weight in weights.items():
        index = term_index(term)
        merged[index] = merged.get(index, 0.0) + weight
    indices = sorted(merged)
    return SparseVec(indices=indices, values=[merged[i] for i in indices])
