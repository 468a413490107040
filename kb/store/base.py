"""The store contract shared by the Qdrant engines.

Points are chunks of provisions. Each point carries named dense vectors (one per
encoder), named sparse vectors (BM25-style term weights, IDF applied by Qdrant) and a
payload with the provision's citation data. Fusion of the named vectors is done by
Qdrant itself (prefetch + reciprocal-rank fusion).
"""

from __future__ import annotations

import uuid
from typing import Any, Iterator, Protocol, runtime_checkable

from pydantic import Field, model_validator

from kb.errors import CtkbError
from kb.models import Strict

# Payload keys that get a payload index (filters must be fast at 50k+ points).
KEYWORD_INDEXES = ("doc_id", "provision_id", "country", "language", "kind", "number")
INTEGER_INDEXES = ("year",)

_POINT_NAMESPACE = uuid.UUID("6f1c1d1e-7d5a-4c4e-9a57-2c0b5d1f0a11")


def point_id(provision_id: str, chunk: int) -> str:
    """Deterministic point id (a UUID, as Qdrant requires) for one chunk of a provision."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{provision_id}:{chunk}"))


class SparseVec(Strict):
    """A sparse vector: term indices (sorted, unique) and their weights."""

    indices: list[int]
    values: list[float]

    @model_validator(mode="after")
    def _same_length(self) -> "SparseVec":
        if len(self.indices) != len(self.values):
            raise ValueError("indices and values differ in length")
        return self


class CollectionSpec(Strict):
    """What a collection holds: named dense vectors with their dimension and the encoder
    that made them, and named sparse vectors. Recorded with the collection; opening it
    with a different spec is refused."""

    dense: dict[str, int] = Field(description="vector name -> dimension")
    sparse: list[str] = Field(default_factory=list)
    encoders: dict[str, str] = Field(default_factory=dict, description="vector name -> encoder id (model@version)")


class ChunkPoint(Strict):
    id: str
    dense: dict[str, list[float]]
    sparse: dict[str, SparseVec] = Field(default_factory=dict)
    payload: dict[str, Any]


class SearchFilter(Strict):
    """Payload filter: values within one field are OR-ed, fields are AND-ed."""

    countries: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)
    doc_ids: list[str] = Field(default_factory=list)
    numbers: list[str] = Field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None

    def keyword_conditions(self) -> list[tuple[str, list[str]]]:
        """(payload key, accepted values) for every keyword field that filters."""
        fields = (("country", self.countries), ("language", self.languages), ("kind", self.kinds),
                  ("doc_id", self.doc_ids), ("number", self.numbers))
        return [(key, list(values)) for key, values in fields if values]

    @property
    def empty(self) -> bool:
        return not (self.countries or self.languages or self.kinds or self.doc_ids or self.numbers
                    or self.year_min is not None or self.year_max is not None)


class StoreQuery(Strict):
    """One fused query. Each named vector given becomes a prefetch; with more than one,
    Qdrant fuses them with reciprocal-rank fusion (weights per vector name, default 1)."""

    dense: dict[str, list[float]] = Field(default_factory=dict)
    sparse: dict[str, SparseVec] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    filter: SearchFilter = Field(default_factory=SearchFilter)
    limit: int = Field(default=10, ge=1, le=1000)
    prefetch_limit: int = Field(default=50, ge=1, le=5000)
    with_payload: bool = True

    @model_validator(mode="after")
    def _something_to_search(self) -> "StoreQuery":
        if not self.dense and not self.sparse:
            raise ValueError("a query needs at least one dense or sparse vector")
        return self


class StoreHit(Strict):
    id: str
    score: float
    payload: dict[str, Any] = Field(default_factory=dict)


class StoreError(CtkbError):
    """The vector store cannot be used as asked."""


class SpecMismatchError(StoreError):
    """The collection was built with other encoders than the ones configured."""

    def __init__(self, where: str, stored: CollectionSpec, wanted: CollectionSpec) -> None:
        self.stored, self.wanted = stored, wanted
        super().__init__(
            f"{where}: the vectors were made with {stored.encoders or stored.dense}, "
            f"but ctkb is configured for {wanted.encoders or wanted.dense}",
            hint="re-index into a fresh store (`ctkb index --reembed`), or set CTKB_MODEL back to the stored model",
        )


@runtime_checkable
class Store(Protocol):
    """A vector store holding the chunks of every indexed document."""

    name: str

    def ensure_collection(self, spec: CollectionSpec) -> None:
        """Create the collection with ``spec`` (and its payload indexes), or check that the
        existing one matches it; raises :class:`SpecMismatchError` otherwise."""

    def spec(self) -> CollectionSpec | None:
        """The recorded spec, or None when there is no collection yet."""

    def replace_document(self, doc_id: str, points: list[ChunkPoint]) -> None:
        """Delete every point of ``doc_id`` and write ``points`` in its place."""

    def delete_document(self, doc_id: str) -> None: ...

    def count(self, doc_id: str | None = None) -> int: ...

    def document_ids(self) -> set[str]:
        """Ids of the documents that have points."""

    def query(self, query: StoreQuery) -> list[StoreHit]: ...

    def scroll(self, batch: int = 256, with_vectors: bool = True, *, doc_id: str | None = None
               ) -> Iterator[ChunkPoint]:
        """Every point (or every point of ``doc_id``), with its vectors (for migration, checks
        and re-indexing unchanged text)."""

    def close(self) -> None: ...
