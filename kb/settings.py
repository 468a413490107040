"""Settings, read once from the environment and passed down explicitly."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Everything configurable. Build with :meth:`from_env`; nothing reads the
    environment at import time.

    Attributes:
        home: Where the knowledge base lives (``CTKB_HOME``, default ``.ctkb``).
        corpus: Default corpus folder (``CTKB_CORPUS``, default ``corpus``).
        model: Sentence-transformers model name or path (``CTKB_MODEL``).
        qdrant_url: Qdrant server URL (``CTKB_QDRANT_URL``); unset means embedded.
        qdrant_api_key: API key for the server (``CTKB_QDRANT_API_KEY``).
        doc_timeout: Seconds one document may take in extraction (``CTKB_DOC_TIMEOUT``).
    """

    model_config = ConfigDict(extra="forbid")

    home: Path = Path(".ctkb")
    corpus: Path = Path("corpus")
    model: str | None = None
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    doc_timeout: float = Field(default=300.0, gt=0)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> "Settings":
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        mapping = {
            "CTKB_HOME": "home",
            "CTKB_CORPUS": "corpus",
            "CTKB_MODEL": "model",
            "CTKB_QDRANT_URL": "qdrant_url",
            "CTKB_QDRANT_API_KEY": "qdrant_api_key",
            "CTKB_DOC_TIMEOUT": "doc_timeout",
        }
        for var, name in mapping.items():
            if env.get(var):
                values[name] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite"
