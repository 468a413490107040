"""The embedding stage: provisions -> chunks -> dense and sparse vectors -> the store.

Runs after a document's provisions are in the catalogue. The catalogue records, per
document, the fingerprint of the encoders that made its vectors, so a document whose
text and encoders are unchanged is not embedded again, and a crash between the two
writes is repaired by the next run (the fingerprint is written last).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from kb.chunking import Chunk, chunk_provisions
from kb.embed import Encoder
from kb.models import DocumentRecord, Provision
from kb.sparse import SparseEncoder
from kb.store.base import ChunkPoint, CollectionSpec, Store, point_id

VERSION = "vectors@1"


def collection_spec(encoders: list[Encoder], sparse: SparseEncoder) -> CollectionSpec:
    """The spec a store must have for these encoders."""
    return CollectionSpec(
        dense={e.name: e.dimension for e in encoders},
        sparse=[sparse.name],
        encoders={**{e.name: e.model_id for e in encoders}, sparse.name: sparse.version},
    )


def payload(record: DocumentRecord, provision: Provision, chunk: Chunk) -> dict:
    """What a search hit needs to show itself without a catalogue lookup."""
    return {
        "doc_id": record.id,
        "provision_id": provision.id,
        "chunk": chunk.chunk,
        "country": record.country,
        "language": record.language,
        "kind": record.kind or "",
        "year": record.year,
        "title": record.title,
        "number": provision.number,
        "citation": provision.citation,
        "heading": provision.heading,
        "page_start": provision.page_start,
        "page_end": provision.page_end,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
        "embed_sha": embed_sha(record, chunk),
    }


def embed_sha(record: DocumentRecord, chunk: Chunk) -> str:
    """Hash of everything a chunk's vectors are computed from (given the encoders)."""
    key = f"{record.language}\0{chunk.text}\0{chunk.embed_text}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass
class EmbedResult:
    chunks: int
    seconds_encoding: float


class VectorWriter:
    """Embeds a document's provisions with every encoder and replaces its points.

    Args:
        store: Where the points go (its collection is created or checked on first use).
        encoders: Dense encoders, each a named vector.
        sparse: The sparse lexical encoder.
    """

    def __init__(self, store: Store, encoders: list[Encoder], sparse: SparseEncoder) -> None:
        self.store = store
        self.encoders = encoders
        self.sparse = sparse
        self.spec = collection_spec(encoders, sparse)
        self._ready = False
        self.reused = 0  # chunks of the last document whose stored vectors were kept

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything that shapes the vectors changes."""
        import kb.chunking as chunking

        key = self.spec.model_dump_json() + VERSION + getattr(chunking, "VERSION", "")
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def ensure(self) -> None:
        if not self._ready:
            self.store.ensure_collection(self.spec)
            self._ready = True

    def points(self, record: DocumentRecord, provisions: list[Provision],
               known: dict[int | str, ChunkPoint] | None = None) -> list[ChunkPoint]:
        """Chunks of the document with their vectors, ready for the store.

        Args:
            record: The document.
            provisions: Its provisions.
            known: Points already stored for it by these same encoders; a chunk whose
                point id and :func:`embed_sha` match one of them keeps its vectors instead
                of being encoded again.
        """
        chunks = chunk_provisions(provisions, record.title, self.encoders)
        if not chunks:
            return []
        known = known or {}
        by_id = {p.id: p for p in provisions}
        payloads = [payload(record, by_id[c.provision_id], c) for c in chunks]
        ids = [point_id(c.provision_id, c.chunk) for c in chunks]
        kept = {i: known[pid] for i, pid in enumerate(ids)
                if pid in known and known[pid].payload.get("embed_sha") == payloads[i]["embed_sha"]}
        todo = [i for i in range(len(chunks)) if i not in kept]
        dense: dict[str, np.ndarray] = {}
        sparse: list = []
        if todo:
            texts = [chunks[i].embed_text for i in todo]
            dense = {e.name: np.asarray(e.encode(texts), dtype=np.float32) for e in self.encoders}
            sparse = self.sparse.encode_documents([chunks[i].text for i in todo], record.language)
        row = {i: n for n, i in enumerate(todo)}
        out = []
        for i in range(len(chunks)):
            if i in kept:
                out.append(ChunkPoint(id=ids[i], dense=kept[i].dense, sparse=kept[i].sparse, payload=payloads[i]))
            else:
                n = row[i]
                out.append(ChunkPoint(id=ids[i], dense={name: vectors[n].tolist() for name, vectors in dense.items()},
                                      sparse={self.sparse.name: sparse[n]}, payload=payloads[i]))
        self.reused = len(kept)
        return out

    def write(self, record: DocumentRecord, provisions: list[Provision], *, reuse: bool = False) -> int:
        """Replace the document's points; returns how many were written.

        Args:
            record: The document.
            provisions: Its provisions.
            reuse: The document's stored points were made by these encoders (the catalogue
                says so): keep the vectors of chunks whose text is unchanged.
        """
        self.ensure()
        known = {p.id: p for p in self.store.scroll(doc_id=record.id)} if reuse else None
        points = self.points(record, provisions, known)
        self.store.replace_document(record.id, points)
        return len(points)
