"""The catalogue: documents, their cleaned text and provisions, in SQLite.

SQLite gives real transactions: replacing a document's provisions happens in one
transaction, so a crash never leaves a document half old and half new. WAL mode
lets the app read while the CLI writes.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from kb.errors import CtkbError, NotFoundError
from kb.models import (
    CleanDocument,
    Division,
    DocumentRecord,
    PageSpan,
    Provision,
    Segmentation,
)

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    pipeline_version TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS texts (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    pages TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS divisions (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (doc_id, ordinal)
);
CREATE TABLE IF NOT EXISTS provisions (
    id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    parent_id TEXT,
    number TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS provisions_doc ON provisions(doc_id, ordinal);
CREATE INDEX IF NOT EXISTS provisions_number ON provisions(doc_id, number);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class CatalogError(CtkbError):
    """The catalogue file cannot be used."""


class Catalog:
    """Transactional store of documents and provisions.

    Args:
        path: The SQLite file; its folder is created if missing.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise CatalogError(
                f"{self.path}: not a usable ctkb catalogue ({exc})",
                hint="point CTKB_HOME at another folder, or restore a backup",
            ) from exc
        self._check_schema()

    def _check_schema(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            raise CatalogError(
                f"{self.path}: catalogue schema {row[0]}, this ctkb expects {SCHEMA_VERSION}",
                hint="re-index into a fresh CTKB_HOME",
            )

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back whole on any error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    # -- writes -------------------------------------------------------------------

    def replace_document(
        self, record: DocumentRecord, clean: CleanDocument | None = None, seg: Segmentation | None = None
    ) -> None:
        """Store a document whole, replacing anything stored under its id."""
        record = record.model_copy(update={"indexed_at": record.indexed_at or _now()})
        with self.transaction() as db:
            db.execute("DELETE FROM documents WHERE id=?", (record.id,))
            db.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?)",
                (record.id, record.sha256, record.pipeline_version, record.status, record.model_dump_json(), _now()),
            )
            if clean is not None:
                pages = json.dumps([p.model_dump() for p in clean.pages])
                db.execute("INSERT INTO texts VALUES (?,?,?)", (record.id, clean.text, pages))
            if seg is not None:
                db.executemany(
                    "INSERT INTO divisions VALUES (?,?,?)",
                    [(record.id, i, d.model_dump_json()) for i, d in enumerate(seg.divisions)],
                )
                db.executemany(
                    "INSERT INTO provisions VALUES (?,?,?,?,?,?)",
                    [(p.id, record.id, p.ordinal, p.parent_id, p.number, p.model_dump_json()) for p in seg.provisions],
                )

    def set_embedded(self, doc_id: str, fingerprint: str | None, chunks: int) -> None:
        """Record that the document's vectors are in the store (written after the store)."""
        with self.transaction() as db:
            row = db.execute("SELECT record FROM documents WHERE id=?", (doc_id,)).fetchone()
            if row is None:
                raise NotFoundError("document", doc_id)
            record = DocumentRecord.model_validate_json(row[0])
            record = record.model_copy(update={"embedded": fingerprint, "chunks": chunks})
            db.execute("UPDATE documents SET record=? WHERE id=?", (record.model_dump_json(), doc_id))

    def remove_document(self, doc_id: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM documents WHERE id=?", (doc_id,)).rowcount > 0

    # -- reads --------------------------------------------------------------------

    def documents(self) -> list[DocumentRecord]:
        rows = self._db.execute("SELECT record FROM documents ORDER BY id").fetchall()
        return [DocumentRecord.model_validate_json(r[0]) for r in rows]

    def find_document(self, doc_id: str) -> DocumentRecord | None:
        row = self._db.execute("SELECT record FROM documents WHERE id=?", (doc_id,)).fetchone()
        return DocumentRecord.model_validate_json(row[0]) if row else None

    def document(self, doc_id: str) -> DocumentRecord:
        found = self.find_document(doc_id)
        if found is None:
            raise NotFoundError("document", doc_id, [d.id for d in self.documents()])
        return found

    def text(self, doc_id: str) -> tuple[str, list[PageSpan]]:
        row = self._db.execute("SELECT text, pages FROM texts WHERE doc_id=?", (doc_id,)).fetchone()
        if row is None:
            raise NotFoundError("document text", doc_id)
        return row[0], [PageSpan(**p) for p in json.loads(row[1])]

    def provisions(self, doc_id: str) -> list[Provision]:
        rows = self._db.execute("SELECT data FROM provisions WHERE doc_id=? ORDER BY ordinal", (doc_id,)).fetchall()
        return [Provision.model_validate_json(r[0]) for r in rows]

    def divisions(self, doc_id: str) -> list[Division]:
        rows = self._db.execute("SELECT data FROM divisions WHERE doc_id=? ORDER BY ordinal", (doc_id,)).fetchall()
        return [Division.model_validate_json(r[0]) for r in rows]

    def facets(self) -> list[tuple[str, str, str, str, str]]:
        """(id, country, kind, language, status) of every document: cheap, for search planning."""
        return self._db.execute(
            "SELECT id, json_extract(record, '$.country'), coalesce(json_extract(record, '$.kind'), ''), "
            "json_extract(record, '$.language'), status FROM documents"
        ).fetchall()

    def provision_counts(self) -> dict[str, int]:
        """Top-level provision count per document."""
        rows = self._db.execute(
            "SELECT doc_id, count(*) FROM provisions WHERE parent_id IS NULL GROUP BY doc_id"
        ).fetchall()
        return dict(rows)
