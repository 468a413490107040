"""The knowledge base as the app and the CLI use it: catalogue + vector store + encoders.

    kb = KnowledgeBase.open(Settings.from_env())
    hits = kb.search("non-punishment of victims", countries=["ARG"], mode="hybrid")

Heavy parts (models, the store) are opened on first use and held for the life of the
object; the app keeps one per process.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field

from kb.catalog import Catalog
from kb.errors import CtkbError
from kb.models import Strict
from kb.settings import Settings
from kb.store.base import SearchFilter, Store, StoreQuery

Mode = Literal["hybrid", "semantic", "exact"]
MODES: tuple[str, ...] = ("hybrid", "semantic", "exact")


class Hit(Strict):
    """One provision found by a search, with what is needed to cite it."""

    doc_id: str
    provision_id: str
    country: str
    title: str
    language: str
    kind: str | None = None
    year: int | None = None
    citation: str
    number: str
    heading: str | None = None
    pages: list[int] | None = None
    score: float
    text: str
    start: int
    end: int
    highlights: list[tuple[int, int]] = Field(default_factory=list, description="Matched words, offsets in text.")

    def as_json(self) -> dict:
        return self.model_dump()


class KnowledgeBase:
    """Catalogue, store and encoders behind one object.

    Args:
        settings: Where things are and which models to use.
    """

    def __init__(self, settings: Settings, *, store: Store | None = None, encoders: list | None = None) -> None:
        self.settings = settings
        self.catalog = Catalog(settings.catalog_path)
        # A long-lived process (the app) opens the heavy parts once and lends them to a
        # short-lived KnowledgeBase per request, whose catalogue stays in its own thread.
        if store is not None:
            self.__dict__["store"] = store
        if encoders is not None:
            self.__dict__["encoders"] = encoders

    @classmethod
    def open(cls, settings: Settings | None = None) -> "KnowledgeBase":
        return cls(settings or Settings.from_env())

    # -- heavy parts, opened on first use --------------------------------------------

    @cached_property
    def store(self) -> Store:
        from kb.store.factory import open_store

        return open_store(self.settings)

    @cached_property
    def encoders(self):
        from kb.embed import make_encoders

        return make_encoders(self.settings)

    @cached_property
    def sparse(self):
        from kb.sparse import SparseEncoder

        return SparseEncoder()

    def vector_writer(self):
        """The embedding stage for the indexer, bound to this knowledge base's store."""
        from indexing.vectors import VectorWriter

        return VectorWriter(self.store, self.encoders, self.sparse)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
        self.catalog.close()

    # -- search ------------------------------------------------------------------------

    def languages_reached(self, flt: SearchFilter) -> set[str]:
        """Languages of the indexed documents that ``flt`` can match (from the catalogue)."""
        langs = set()
        for doc_id, country, kind, language, status in self.catalog.facets():
            if status != "indexed":
                continue
            if (flt.countries and country not in flt.countries) or (flt.kinds and kind not in flt.kinds):
                continue
            if (flt.doc_ids and doc_id not in flt.doc_ids) or (flt.languages and language not in flt.languages):
                continue
            langs.add(language)
        return langs

    def build_query(self, text: str, mode: Mode, flt: SearchFilter, limit: int) -> StoreQuery:
        """The store query for a mode: exact = sparse only, semantic = dense only, hybrid = all,
        fused by Qdrant with the weights of :func:`kb.fusion.weights_for`."""
        from kb.fusion import weights_for

        if mode not in MODES:
            raise CtkbError(f"unknown search mode {mode!r}", hint=f"use one of: {', '.join(MODES)}")
        from indexing.infer import language_of

        weights = weights_for(mode, self.languages_reached(flt), [e.name for e in self.encoders], self.sparse.name,
                              query_language=language_of(text) if len(text.split()) >= 3 else None)
        dense = {e.name: e.encode_query(text).tolist() for e in self.encoders if weights.get(e.name, 0) > 0}
        sparse = {}
        if weights.get(self.sparse.name, 0) > 0:
            vec = self.sparse.encode_query(text)
            if vec.indices:
                sparse[self.sparse.name] = vec
        if not dense and not sparse:
            raise CtkbError(f"nothing to search for in {text!r}", hint="use words that are not all stopwords")
        used = {name: w for name, w in weights.items() if name in dense or name in sparse}
        # Chunks, not provisions, come back: ask for more and keep each provision's best chunk.
        return StoreQuery(dense=dense, sparse=sparse, weights=used, filter=flt, limit=min(limit * 4, 1000),
                          prefetch_limit=max(self.settings.prefetch_limit, limit * 8))

    def search(
        self,
        text: str,
        *,
        countries: list[str] | None = None,
        languages: list[str] | None = None,
        kinds: list[str] | None = None,
        doc_ids: list[str] | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
        mode: Mode = "hybrid",
        limit: int = 10,
    ) -> list[Hit]:
        """Provisions that answer ``text``, best first, one hit per provision."""
        if not text.strip():
            raise CtkbError("empty search query", hint="type some words to search for")
        flt = SearchFilter(
            countries=[c.upper() for c in countries or []], languages=list(languages or []),
            kinds=list(kinds or []), doc_ids=list(doc_ids or []), year_min=year_min, year_max=year_max,
        )
        if self.store.spec() is None:
            return []
        query = self.build_query(text, mode, flt, limit)
        hits: list[Hit] = []
        seen: set[str] = set()
        from kb.highlight import highlight_spans

        terms = set(self.sparse.terms(text, None))  # highlighted in every mode: users scan for their words
        # Equal fused scores are common (RRF); Qdrant's order among them varies between processes,
        # so ties are broken by point id: the same store gives the same output every time.
        for found in sorted(self.store.query(query), key=lambda h: (-h.score, h.id)):
            p = found.payload
            if p["provision_id"] in seen:
                continue
            seen.add(p["provision_id"])
            pages = None if p.get("page_start") is None else [p["page_start"], p.get("page_end") or p["page_start"]]
            hits.append(Hit(
                doc_id=p["doc_id"], provision_id=p["provision_id"], country=p["country"], title=p["title"],
                language=p["language"], kind=p.get("kind") or None, year=p.get("year"), citation=p["citation"],
                number=p["number"], heading=p.get("heading"), pages=pages, score=found.score, text=p["text"],
                start=p["start"], end=p["end"],
                highlights=highlight_spans(self.sparse, p["text"], terms, p["language"]),
            ))
            if len(hits) >= limit:
                break
        return hits


# Queries used to check a migrated store answers like the original (any corpus will do).
SAMPLE_QUERIES = (
    "trafficking in persons offence and penalty",
    "protection and assistance of victims",
    "non-punishment of victims for offences they were compelled to commit",
    "national coordination committee",
    "child trafficking",
)


def migrate_to_server(settings: Settings, url: str, api_key: str | None = None):
    """Copy the embedded store of ``settings.home`` into the Qdrant server at ``url``.

    The catalogue stays in ``CTKB_HOME``; afterwards set ``CTKB_QDRANT_URL`` to use the server.

    Returns:
        The :class:`kb.store.migrate.MigrationReport` (counts per document, sample queries compared).
    """
    from kb.store.factory import open_store
    from kb.store.migrate import migrate

    source = KnowledgeBase(settings.model_copy(update={"qdrant_url": None, "qdrant_api_key": None}))
    try:
        if source.store.spec() is None:
            raise CtkbError(f"no embedded vectors under {settings.home}", hint="run `ctkb index` first")
        target = open_store(settings.model_copy(update={"qdrant_url": url, "qdrant_api_key": api_key}))
        samples = [source.build_query(q, mode, SearchFilter(), 10) for q in SAMPLE_QUERIES for mode in MODES]
        try:
            return migrate(source.store, target, sample_queries=samples)
        finally:
            target.close()
    finally:
        source.close()
