"""Which words of a provision to highlight for a query: the same tokens the lexical search matched."""

from __future__ import annotations

from kb.sparse import SparseEncoder


def highlight_spans(
    sparse: SparseEncoder, text: str, terms: set[str], language: str | None
) -> list[tuple[int, int]]:
    """Offsets in ``text`` of the tokens whose normalised form is one of ``terms``.

    Args:
        sparse: The lexical encoder (its tokenizer and normalisation decide what matches).
        text: The provision text shown to the user.
        terms: Normalised query terms (``sparse.terms(query)``).
        language: The text's language, for the tokenizer.
    """
    if not terms:
        return []
    return [(start, end) for start, end, term in sparse.term_spans(text, language) if term in terms]
