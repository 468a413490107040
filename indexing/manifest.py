"""Reading a manifest, or discovering documents under folders when there is none."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from kb.errors import ManifestError
from kb.models import DocumentMeta

SUFFIX_FORMAT = {".pdf": "pdf", ".md": "md", ".markdown": "md", ".txt": "txt", ".html": "html", ".htm": "html",
                 ".docx": "docx"}


@dataclass
class Entry:
    """A document to index: its metadata, where it is, and what was inferred rather than given."""

    meta: DocumentMeta
    file: Path
    inferred: dict[str, str] = field(default_factory=dict)


def _field_of(error: dict) -> str:
    return " -> ".join(str(part) for part in error["loc"]) or "entry"


def load_manifest(path: str | Path) -> tuple[list[Entry], list[ManifestError]]:
    """Validate a manifest; bad entries are returned as errors, the good ones as entries.

    Args:
        path: A YAML file holding a list of entries (``id``, ``path``, ``country``, ``title``, ...).

    Returns:
        The valid entries (paths resolved against the manifest's folder) and one
        :class:`ManifestError` per invalid entry, naming its index and field.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(path, None, None, "manifest not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ManifestError(path, None, None, f"not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(data, list):
        raise ManifestError(path, None, None, "must be a YAML list of documents (`- id: ...`)")
    entries: list[Entry] = []
    errors: list[ManifestError] = []
    seen: set[str] = set()
    for index, raw in enumerate(data):
        if not isinstance(raw, dict):
            errors.append(ManifestError(path, index, None, "entry is not a mapping"))
            continue
        try:
            meta = DocumentMeta.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                msg = "field required" if err["type"] == "missing" else err["msg"]
                errors.append(ManifestError(path, index, _field_of(err), msg))
            continue
        if meta.id in seen:
            errors.append(ManifestError(path, index, "id", f"duplicate id {meta.id!r}"))
            continue
        file = (path.parent / meta.path).resolve()
        if not file.is_file():
            errors.append(ManifestError(path, index, "path", f"file not found: {file}"))
            continue
        seen.add(meta.id)
        entries.append(Entry(meta=meta, file=file))
    return entries, errors


def discover(paths: list[Path]) -> list[Path]:
    """Files of a supported kind under the given files or folders, sorted."""
    found: list[Path] = []
    for root in paths:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(
                p for p in sorted(root.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUFFIX_FORMAT and not p.name.startswith(".")
            )
    return found
