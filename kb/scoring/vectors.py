"""Rubric texts (queries, exemplars) as vectors, embedded once and cached in the catalogue.

Scoring compares rubric texts with the chunk vectors already in the store, so rescoring
after a rubric edit embeds only the rubric texts that changed, and never a provision.
The cache key is (encoder model id, role, sha256 of the text), so a changed model misses.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Literal

import numpy as np

from kb.catalog import Catalog

Role = Literal["query", "document"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS text_vectors (
    model_id TEXT NOT NULL,
    role TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, role, sha256)
);
"""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TextVectors:
    """Cached vectors of short texts for the encoders of a knowledge base.

    Args:
        catalog: Holds the cache table.
        encoders: A callable returning the dense encoders; called only on a cache miss, so
            a rescore with an unchanged rubric never loads a model.
        model_ids: Encoder name -> model id, as recorded with the store's collection.
    """

    def __init__(self, catalog: Catalog, encoders: Callable[[], list], model_ids: dict[str, str]) -> None:
        self.catalog = catalog
        self._encoders = encoders
        self.model_ids = model_ids
        self.embedded = 0  # texts embedded by this object (cache misses): tests and the CLI report it
        catalog._db.executescript(SCHEMA)

    def get(self, name: str, texts: list[str], role: Role) -> np.ndarray:
        """Unit vectors of ``texts`` by encoder ``name`` (rows in the order given)."""
        model_id = self.model_ids[name]
        keys = [_sha(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        db = self.catalog._db
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            rows = db.execute(
                f"SELECT sha256, vector FROM text_vectors WHERE model_id=? AND role=? AND sha256 IN "
                f"({','.join('?' * len(part))})", (model_id, role, *part)).fetchall()
            found.update({sha: np.frombuffer(blob, dtype=np.float32) for sha, blob in rows})
        missing = [t for t, k in dict(zip(texts, keys)).items() if k not in found]
        if missing:
            encoder = next(e for e in self._encoders() if e.name == name)
            if role == "query" and not getattr(encoder, "symmetric", False):
                vectors = np.stack([encoder.encode_query(t) for t in missing])
            else:  # documents, or an encoder that embeds queries as documents: one batch
                vectors = np.asarray(encoder.encode(missing))
            vectors = vectors.astype(np.float32)
            self.embedded += len(missing)
            with self.catalog.transaction() as tx:
                tx.executemany("INSERT OR REPLACE INTO text_vectors VALUES (?,?,?,?)",
                               [(model_id, role, _sha(t), v.tobytes()) for t, v in zip(missing, vectors)])
            found.update({_sha(t): v for t, v in zip(missing, vectors)})
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        out = np.stack([found[k] for k in keys])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def rubric_texts(rubric, languages: set[str]) -> dict[str, list[str]]:
    """Queries and exemplars the scorer embeds for documents in ``languages``, by role."""
    queries: dict[str, None] = {}
    exemplars: dict[str, None] = {}
    for c in rubric.criteria:
        for lang in languages:
            queries.update(dict.fromkeys(c.queries_for(lang)))
            exemplars.update(dict.fromkeys(c.exemplars_for(lang)))
    return {"query": list(queries), "document": list(exemplars)}
