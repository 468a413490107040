"""Settings, read once from the environment and passed down explicitly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Everything configurable. Build with :meth:`from_env`; nothing reads the
    environment at import time.

    Attributes:
        home: Where the knowledge base lives (``CTKB_HOME``, default ``.ctkb``).
        corpus: Default corpus folder (``CTKB_CORPUS``, default ``corpus``).
        model: Sentence-transformers model name or path (``CTKB_MODEL``).
        encoders: Dense encoders, comma-separated: ``minilm``, ``use`` (``CTKB_ENCODERS``).
        qdrant_url: Qdrant server URL (``CTKB_QDRANT_URL``); unset means embedded.
        qdrant_api_key: API key for the server (``CTKB_QDRANT_API_KEY``).
        doc_timeout: Seconds one document may take from extraction to enrichment (``CTKB_DOC_TIMEOUT``).
        doc_memory_mb: Memory one document may take from extraction to enrichment, in MB
            (``CTKB_DOC_MEMORY_MB``).
        collection: Qdrant collection (and edge shard directory) name (``CTKB_COLLECTION``).
        qdrant_shards: Shards of a new server collection (``CTKB_QDRANT_SHARDS``).
        qdrant_replication: Replication factor of a new server collection (``CTKB_QDRANT_REPLICATION``).
        prefetch_limit: Candidates each named vector contributes before fusion (``CTKB_PREFETCH_LIMIT``).
        rrf_k: Reciprocal-rank-fusion constant (``CTKB_RRF_K``); Qdrant's own default is 2, 60 is
            the value from the RRF paper and flattens the head of each ranking less abruptly.
        rubric: The rubric scored against by default (``CTKB_RUBRIC``, default ``rubrics/4p.yaml``);
            its calibration is the ``.calibration.json`` file next to it.
        max_upload_mb: Largest file the app accepts for upload, in MB (``CTKB_MAX_UPLOAD_MB``).
        store_idle_seconds: The app closes the embedded store after this long unused, so the
            CLI can use it meanwhile (``CTKB_STORE_IDLE``).
        ocr: Which PDF pages are OCR'd when indexing: ``auto`` (pages without a usable text
            layer), ``always`` or ``never`` (``CTKB_OCR``; ``ctkb index --ocr`` overrides it).
        ocr_max_pages: Most pages of one document that are OCR'd (``CTKB_OCR_MAX_PAGES``); a
            longer scan fails alone, saying so.
    """

    model_config = ConfigDict(extra="forbid")

    home: Path = Path(".ctkb")
    corpus: Path = Path("corpus")
    model: str | None = None
    encoders: str = Field(default="minilm,use", pattern=r"^[a-z0-9_-]+(,[a-z0-9_-]+)*$")
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    doc_timeout: float = Field(default=300.0, gt=0)
    doc_memory_mb: float = Field(default=2048.0, gt=0)
    collection: str = Field(default="ctkb_chunks", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    qdrant_shards: int = Field(default=1, ge=1)
    qdrant_replication: int = Field(default=1, ge=1)
    prefetch_limit: int = Field(default=50, ge=1, le=5000)
    rrf_k: int = Field(default=60, ge=1)
    rubric: Path = Path("rubrics/4p.yaml")
    max_upload_mb: float = Field(default=50.0, gt=0)
    store_idle_seconds: float = Field(default=20.0, gt=0)
    ocr: Literal["auto", "always", "never"] = "auto"
    ocr_max_pages: int = Field(default=500, ge=1)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> "Settings":
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        mapping = {
            "CTKB_HOME": "home",
            "CTKB_CORPUS": "corpus",
            "CTKB_MODEL": "model",
            "CTKB_ENCODERS": "encoders",
            "CTKB_QDRANT_URL": "qdrant_url",
            "CTKB_QDRANT_API_KEY": "qdrant_api_key",
            "CTKB_DOC_TIMEOUT": "doc_timeout",
            "CTKB_DOC_MEMORY_MB": "doc_memory_mb",
            "CTKB_COLLECTION": "collection",
            "CTKB_QDRANT_SHARDS": "qdrant_shards",
            "CTKB_QDRANT_REPLICATION": "qdrant_replication",
            "CTKB_PREFETCH_LIMIT": "prefetch_limit",
            "CTKB_RRF_K": "rrf_k",
            "CTKB_RUBRIC": "rubric",
            "CTKB_MAX_UPLOAD_MB": "max_upload_mb",
            "CTKB_STORE_IDLE": "store_idle_seconds",
            "CTKB_OCR": "ocr",
            "CTKB_OCR_MAX_PAGES": "ocr_max_pages",
        }
        for var, name in mapping.items():
            if env.get(var):
                values[name] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite"

    @property
    def vectors_dir(self) -> Path:
        """Where the embedded (edge) vector store keeps its shard."""
        return self.home / "vectors"
