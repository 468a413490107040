"""Deterministic ids from content hashes: the same bytes give the same ids."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def provision_id(doc_sha256: str, path: list[str]) -> str:
    """Id of a provision from its document's content hash and its place in the tree.

    Args:
        doc_sha256: The document's sha256.
        path: Labels from the top-level provision down, e.g. ``["s45", "(1)", "(a)"]``,
            with an occurrence suffix when a label repeats.
    """
    key = doc_sha256 + "\x1f" + "\x1f".join(path)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
