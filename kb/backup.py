"""Backing up and restoring a whole knowledge base: catalogue (documents, provisions, runs,
scores, reviews, cached rubric vectors), vectors and uploaded files, in one archive.

    manifest = backup(settings, Path("kb.tar.gz"))
    restore(settings, Path("kb.tar.gz"))          # into an empty home

The archive is a gzip'd tar holding ``manifest.json`` and the members it lists, each with
its sha256 and size; ``manifest["checksum"]`` is the sha256 of the member list and is what
``ctkb backup`` prints. The catalogue is copied with SQLite's backup API (a consistent
snapshot even while the app reads it). The embedded store's shard is copied file by file
while ctkb's lock on it is held and no process has it open, so nothing writes it meanwhile;
a server store is exported point by point (``points.jsonl``) and restored the same way.

The archive is written to a temporary file and renamed, so a failed backup leaves nothing.
A restore verifies every checksum before it writes anything, refuses a home that is not
empty unless forced, and is assembled in a temporary folder beside the home, then renamed
into place.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from kb import __version__
from kb.errors import CtkbError
from kb.settings import Settings

FORMAT = "ctkb-backup"
FORMAT_VERSION = 1
CATALOGUE = "catalog.sqlite"
POINTS = "points.jsonl"


class BackupError(CtkbError):
    """A backup that cannot be written, or an archive that cannot be restored."""


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def members_checksum(members: dict[str, dict]) -> str:
    """The archive's overall checksum: sha256 of the sorted (name, sha256, size) list."""
    canon = json.dumps(sorted((n, m["sha256"], m["size"]) for n, m in members.items()), separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


@contextmanager
def _store_locked(settings: Settings) -> Iterator[None]:
    """Hold ctkb's lock on the embedded shard (no other ctkb process may open it meanwhile).

    Raises:
        BackupError: Another process (or this one) has the store open; the message names it.
    """
    from kb.store.base import StoreError
    from kb.store.edge import _acquire

    root = settings.vectors_dir
    if not root.exists():
        yield
        return
    shard = (root / settings.collection).resolve()
    try:
        fh = _acquire(shard, root / f"{settings.collection}.lock")
    except StoreError as exc:
        raise BackupError(str(exc.message), hint="close the app or the indexer, then run the backup again") from None
    try:
        yield
    finally:
        fh.seek(0)
        fh.truncate()
        fh.flush()
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


def _catalogue_copy(src: Path, dst: Path) -> None:
    """A consistent single-file copy of the catalogue (SQLite backup API, then no WAL)."""
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def _counts(catalogue: Path) -> dict[str, int]:
    db = sqlite3.connect(catalogue)
    try:
        counts = {}
        for table in ("documents", "provisions", "runs", "scores", "reviews", "review_audit", "text_vectors"):
            try:
                counts[table] = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            except sqlite3.OperationalError:  # table not created yet (no runs, no reviews)
                counts[table] = 0
        return counts
    finally:
        db.close()


def _export_points(settings: Settings, dst: Path) -> tuple[int, dict | None]:
    """Every point of a server store, one JSON object per line; returns (count, spec)."""
    from kb.store.factory import open_store

    store = open_store(settings, read_only=True)
    try:
        spec = store.spec()
        n = 0
        with open(dst, "w", encoding="utf-8") as fh:
            if spec is not None:
                for p in store.scroll():
                    fh.write(p.model_dump_json() + "\n")
                    n += 1
        return n, None if spec is None else spec.model_dump()
    finally:
        store.close()


def _shard_points(settings: Settings) -> int:
    """Points in the edge shard (0 when there is none yet)."""
    from kb.store.factory import open_store

    if not (settings.vectors_dir / f"{settings.collection}.spec.json").is_file():
        return 0
    store = open_store(settings, read_only=True)
    try:
        return store.count()
    finally:
        store.close()


def backup(settings: Settings, file: Path) -> dict:
    """Write the whole knowledge base in ``settings.home`` to ``file`` (a .tar.gz).

    Returns:
        The manifest written into the archive (members with sha256 and size, counts,
        ``checksum``).

    Raises:
        BackupError: No knowledge base in the home, the store is in use, or the file
            cannot be written. Nothing is left at ``file`` then.
    """
    home = settings.home
    if not settings.catalog_path.is_file():
        raise BackupError(f"{home}: no knowledge base here (no {CATALOGUE})",
                          hint="give the home with --home or CTKB_HOME")
    file = Path(file)
    if not file.parent.is_dir():
        raise BackupError(f"{file.parent}: no such folder", hint="create it, or write the backup elsewhere")
    staging = Path(tempfile.mkdtemp(prefix=".ctkb-backup-", dir=file.parent))
    try:
        files: dict[str, Path] = {}
        store_kind = "server" if settings.qdrant_url else "edge"
        spec = None
        points = _shard_points(settings) if store_kind == "edge" else 0  # counted before the copy, for the record
        with _store_locked(settings) if store_kind == "edge" else _nothing():
            _catalogue_copy(settings.catalog_path, staging / CATALOGUE)
            files[CATALOGUE] = staging / CATALOGUE
            if store_kind == "edge":
                vectors = settings.vectors_dir
                spec_file = vectors / f"{settings.collection}.spec.json"
                shard = vectors / settings.collection
                if spec_file.is_file():
                    spec = json.loads(spec_file.read_text(encoding="utf-8"))
                    files[f"vectors/{spec_file.name}"] = spec_file
                    for path in sorted(shard.rglob("*")):
                        if path.is_file():
                            files[f"vectors/{path.relative_to(vectors).as_posix()}"] = path
                    # Copied while locked: the archive is written from these copies.
                    copied = staging / "vectors"
                    for name, path in list(files.items()):
                        if name.startswith("vectors/"):
                            target = copied / name.removeprefix("vectors/")
                            target.parent.mkdir(parents=True, exist_ok=True)
                            shutil.copy2(path, target)
                            files[name] = target
        if store_kind == "server":
            points, spec = _export_points(settings, staging / POINTS)
            files[POINTS] = staging / POINTS
        uploads = home / "uploads"
        if uploads.is_dir():
            for path in sorted(uploads.rglob("*")):
                if path.is_file() and not path.name.endswith(".part"):
                    files[f"uploads/{path.relative_to(uploads).as_posix()}"] = path
        members = {name: {"sha256": _sha256_file(path), "size": path.stat().st_size} for name, path in files.items()}
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "ctkb_version": __version__,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "home": str(home.resolve()), "store": store_kind, "collection": settings.collection, "spec": spec,
            "counts": {**_counts(staging / CATALOGUE), "points": points},
            "members": members, "checksum": members_checksum(members),
        }
        tmp = staging / "archive.tar.gz"
        with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(time.time())
            tar.addfile(info, io.BytesIO(data))
            for name, path in files.items():
                tar.add(path, arcname=name, recursive=False)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, file)
        return manifest
    except OSError as exc:
        raise BackupError(f"{file}: cannot write the backup ({exc.strerror or exc})",
                          hint="check the folder is writable and has space") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def read_manifest(file: Path) -> dict:
    """The manifest of a backup archive.

    Raises:
        BackupError: Not a ctkb backup archive.
    """
    try:
        with tarfile.open(file, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest = json.loads(member.read())
    except FileNotFoundError:
        raise BackupError(f"{file}: no such file", hint="give the path of a file written by `ctkb backup`") from None
    except (tarfile.TarError, KeyError, ValueError, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BackupError(f"{file}: not a ctkb backup archive ({exc})",
                          hint="give a file written by `ctkb backup`") from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("members"), dict):
        raise BackupError(f"{file}: not a ctkb backup archive (no ctkb manifest)",
                          hint="give a file written by `ctkb backup`")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(f"{file}: backup format {manifest['format_version']} is newer than this ctkb reads",
                          hint="restore it with the ctkb version that wrote it")
    return manifest


def _safe_name(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts and (
        name == CATALOGUE or name == POINTS or parts[0] in ("vectors", "uploads"))


def _extract_verified(file: Path, manifest: dict, dst: Path) -> None:
    """Extract every member into ``dst``, checking names, sizes and sha256.

    Raises:
        BackupError: A member is missing, unexpected, unsafe, or its checksum differs
            (the member is named).
    """
    members: dict[str, dict] = manifest["members"]
    if members_checksum(members) != manifest.get("checksum"):
        raise BackupError(f"{file}: the manifest's checksum does not match its member list",
                          hint="the archive was altered or damaged; use another backup")
    seen: set[str] = set()
    try:
        with tarfile.open(file, "r:gz") as tar:
            for info in tar:
                if info.name == "manifest.json":
                    continue
                if info.name not in members or not info.isfile() or not _safe_name(info.name):
                    raise BackupError(f"{file}: unexpected member {info.name!r}",
                                      hint="the archive was altered; use another backup")
                want = members[info.name]
                target = dst / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                h, size = hashlib.sha256(), 0
                src = tar.extractfile(info)
                assert src is not None
                with open(target, "wb") as out:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        h.update(block)
                        size += len(block)
                        out.write(block)
                if h.hexdigest() != want["sha256"] or size != want["size"]:
                    raise BackupError(f"{file}: member {info.name} is damaged (sha256 {h.hexdigest()[:12]}…, "
                                      f"manifest says {want['sha256'][:12]}…)",
                                      hint="the archive was altered or damaged; use another backup")
                seen.add(info.name)
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile, ValueError) as exc:
        raise BackupError(f"{file}: the archive is damaged ({exc})", hint="use another backup") from None
    missing = sorted(set(members) - seen)
    if missing:
        raise BackupError(f"{file}: member {missing[0]} is missing from the archive"
                          + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                          hint="the archive is incomplete; use another backup")


def _home_in_use(settings: Settings) -> None:
    """Refuse to replace a home whose store another process has open."""
    if settings.vectors_dir.exists():
        with _store_locked(settings):
            pass


def _load_points(settings: Settings, staged: Path, manifest: dict) -> None:
    """Write an exported point list into the configured store (server, or an edge shard
    created in the staged home)."""
    from kb.store.base import ChunkPoint, CollectionSpec
    from kb.store.factory import open_store

    if manifest.get("spec") is None:
        return
    target = settings.model_copy(update={"home": staged})
    store = open_store(target)
    try:
        store.ensure_collection(CollectionSpec.model_validate(manifest["spec"]))
        by_doc: dict[str, list] = {}
        with open(staged / POINTS, encoding="utf-8") as fh:
            for line in fh:
                p = ChunkPoint.model_validate_json(line)
                by_doc.setdefault(str(p.payload["doc_id"]), []).append(p)
        for doc_id, points in by_doc.items():
            store.replace_document(doc_id, points)
    finally:
        store.close()
    (staged / POINTS).unlink()


def restore(settings: Settings, file: Path, *, force: bool = False) -> dict:
    """Restore the archive ``file`` into ``settings.home``.

    Args:
        force: Replace a home that is not empty (its previous content is removed once the
            restored one is in place).

    Returns:
        The archive's manifest.

    Raises:
        BackupError: The archive is damaged (the member is named) or not a backup, the home
            is not empty (without ``force``), or its store is in use. Nothing is written then.
    """
    file = Path(file)
    manifest = read_manifest(file)
    home = settings.home.resolve() if settings.home.exists() else settings.home.absolute()
    occupied = home.exists() and any(home.iterdir())
    if home.exists() and not home.is_dir():
        raise BackupError(f"{home}: is a file, not a folder", hint="give another --home")
    if occupied and not force:
        raise BackupError(f"{home}: the home is not empty",
                          hint="restore into an empty or new folder (--home DIR), or add --force to replace it")
    home.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{home.name}.restore-", dir=home.parent))
    try:
        _extract_verified(file, manifest, staged)
        if (staged / POINTS).is_file():
            _load_points(settings, staged, manifest)
        elif settings.qdrant_url and manifest.get("spec") is not None:
            raise BackupError(f"{file}: holds an embedded vector store, but ctkb is set to use the server "
                              f"{settings.qdrant_url}",
                              hint="restore without CTKB_QDRANT_URL, then copy the vectors with `ctkb migrate`")
        if occupied:
            _home_in_use(settings)
            old = home.with_name(f".{home.name}.old-{os.getpid()}")
            os.replace(home, old)
            os.replace(staged, home)
            shutil.rmtree(old, ignore_errors=True)
        else:
            if home.exists():
                home.rmdir()
            os.replace(staged, home)
        return manifest
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
