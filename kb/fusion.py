"""Which vectors a search mode uses, and their weights in Qdrant's reciprocal-rank fusion.

The weights are chosen by measurement on the retrieval query set
(``tests/retrieval_queries.yaml``; ``make bench`` and ``tests/test_retrieval_quality.py``
print the figures). MiniLM reads English only, so it is weighted down when the search is
restricted to documents in other languages, where the multilingual USE carries the meaning.
"""

from __future__ import annotations

# weights per vector name; "non_english" applies when none of the documents the filter reaches is English
HYBRID_WEIGHTS: dict[str, dict[str, float]] = {
    "default": {"bm25": 1.0, "minilm": 1.0, "use": 1.0},
    "non_english": {"bm25": 1.0, "minilm": 0.0, "use": 1.0},
    # Measured on the query set: English queries over Spanish laws, recall@10 0.77 with the
    # sparse vector, 0.91 without; its words only add noise there.
    "cross_lingual": {"bm25": 0.0, "minilm": 0.0, "use": 1.0},
}
SEMANTIC_WEIGHTS: dict[str, dict[str, float]] = {
    "default": {"minilm": 1.0, "use": 1.0},
    "non_english": {"minilm": 0.0, "use": 1.0},
    "cross_lingual": {"minilm": 0.0, "use": 1.0},
}


def _profile(doc_languages: set[str], query_language: str | None) -> str:
    if doc_languages and "en" not in doc_languages:
        if query_language == "en":
            # An English query over laws in other languages: its words rarely match. Only English
            # is trusted here: short queries in related languages (es/pt/it) are often mislabelled.
            return "cross_lingual"
        return "non_english"
    return "default"


def weights_for(
    mode: str, doc_languages: set[str], dense: list[str], sparse: str, query_language: str | None = None
) -> dict[str, float]:
    """Weight per vector name for one query (0 means the vector is not queried).

    Args:
        mode: "hybrid", "semantic" or "exact".
        doc_languages: Languages of the documents the query's filter can reach (empty: unknown).
        query_language: The query's language as detected, if known.
        dense: Names of the dense vectors configured.
        sparse: Name of the sparse vector.
    """
    if mode == "exact":
        return {sparse: 1.0}
    table = SEMANTIC_WEIGHTS if mode == "semantic" else HYBRID_WEIGHTS
    chosen = table[_profile(doc_languages, query_language)]
    names = dense if mode == "semantic" else [*dense, sparse]
    weights = {name: chosen.get(name, 1.0) for name in names}
    if not any(weights.values()):  # e.g. only MiniLM configured: keep it rather than search nothing
        weights = {name: 1.0 for name in names}
    return weights
