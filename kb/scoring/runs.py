"""Scoring runs in the catalogue: each run is written whole, never changed, and can be compared.

A run and its scores go in one transaction, so a crash never leaves a half-written run;
later runs add rows and leave earlier ones as they were, which is what makes ``diff``
meaningful.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime
from typing import Literal

from pydantic import Field

from kb.catalog import Catalog
from kb.errors import CtkbError, NotFoundError
from kb.models import Strict
from kb.scoring.models import Level, Run, Score

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT UNIQUE,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL,
    criterion TEXT NOT NULL,
    level TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, doc_id, criterion)
);
"""

LATEST = "latest"

ChangeKind = Literal["level", "evidence", "added", "removed"]


def new_run_id(created_at: str, salt: str) -> str:
    """A readable, unique run id such as ``r20261129-153012-3fa2``.

    Args:
        created_at: ISO timestamp of the run; its wall-clock time is kept as written.
        salt: Anything that tells apart two runs started in the same second (e.g. the rubric
            checksum plus a random token).

    Raises:
        CtkbError: ``created_at`` is not an ISO timestamp.
    """
    try:
        when = datetime.fromisoformat(created_at)
    except ValueError as exc:
        raise CtkbError(f"run time {created_at!r} is not an ISO timestamp", hint="e.g. 2026-11-29T15:30:12+00:00") from exc
    tag = hashlib.sha256((salt + created_at).encode("utf-8")).hexdigest()[:4]
    return f"r{when:%Y%m%d-%H%M%S}-{tag}"


class ScoreChange(Strict):
    """One (document, criterion) pair that differs between two runs.

    ``level_a``/``level_b`` (and the confidence) are None when the pair is missing from
    that run; ``evidence_a``/``evidence_b`` are the citations shown as evidence.
    """

    doc_id: str
    country: str
    criterion: str
    kind: ChangeKind
    level_a: Level | None = None
    level_b: Level | None = None
    confidence_a: float | None = None
    confidence_b: float | None = None
    evidence_a: list[str] = Field(default_factory=list)
    evidence_b: list[str] = Field(default_factory=list)


class RunDiff(Strict):
    """What changed from run ``a`` to run ``b``; ``unchanged`` counts pairs in both that did not."""

    a: Run
    b: Run
    changes: list[ScoreChange]
    unchanged: int


def _change(a: Score | None, b: Score | None) -> ScoreChange | None:
    """The change from ``a`` to ``b``, or None when the level and the cited provisions agree.

    Confidence alone moves with every recalibration, so it is shown but is not a change.
    Evidence is compared as a set of provision ids: a reordering of the same provisions
    is ranking noise, not new evidence.
    """
    if a is not None and b is not None:
        if a.level != b.level:
            kind: ChangeKind = "level"
        elif {e.provision_id for e in a.evidence} != {e.provision_id for e in b.evidence}:
            kind = "evidence"
        else:
            return None
    else:
        kind = "added" if a is None else "removed"
    some = a if a is not None else b
    assert some is not None
    return ScoreChange(
        doc_id=some.doc_id,
        country=some.country,
        criterion=some.criterion,
        kind=kind,
        level_a=a.level if a else None,
        level_b=b.level if b else None,
        confidence_a=a.confidence if a else None,
        confidence_b=b.confidence if b else None,
        evidence_a=[e.citation for e in a.evidence] if a else [],
        evidence_b=[e.citation for e in b.evidence] if b else [],
    )


class RunStore:
    """Scoring runs and their scores, in the catalogue's SQLite file.

    Args:
        catalog: The open catalogue; its tables for runs are created if missing.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._db = catalog._db
        self._db.executescript(SCHEMA)

    # -- writes -------------------------------------------------------------------

    def save(self, run: Run, scores: list[Score]) -> Run:
        """Record a run and all its scores in one transaction.

        Returns:
            The run as stored, with ``scores`` and ``documents`` counted from ``scores``.

        Raises:
            CtkbError: The name is taken (or reserved), the id exists, or two scores share a
                (document, criterion) pair. Nothing is written in any of these cases.
        """
        if run.name is not None and (not run.name.strip() or run.name == LATEST):
            raise CtkbError(f"run name {run.name!r} is reserved or empty", hint="choose another --name")
        pairs = Counter((s.doc_id, s.criterion) for s in scores)
        twice = [f"{d} {c}" for (d, c), n in pairs.items() if n > 1]
        if twice:
            raise CtkbError(
                f"run {run.id}: more than one score for {', '.join(twice[:5])}",
                hint="this is a bug in the scorer; please report it",
            )
        run = run.model_copy(update={"scores": len(scores), "documents": len({s.doc_id for s in scores})})
        with self._catalog.transaction() as db:
            # Checked inside the write transaction so two concurrent saves cannot both pass.
            if run.name is not None:
                taken = db.execute("SELECT id FROM runs WHERE name=?", (run.name,)).fetchone()
                if taken:
                    raise CtkbError(
                        f"a run named {run.name!r} exists already ({taken[0]})",
                        hint="choose another --name, or leave it out",
                    )
            if db.execute("SELECT 1 FROM runs WHERE id=?", (run.id,)).fetchone():
                raise CtkbError(f"a run with id {run.id!r} exists already", hint="run again; ids include the time")
            db.execute(
                "INSERT INTO runs (id, name, created_at, data) VALUES (?,?,?,?)",
                (run.id, run.name, run.created_at, run.model_dump_json()),
            )
            db.executemany(
                "INSERT INTO scores (run_id, doc_id, criterion, level, data) VALUES (?,?,?,?,?)",
                (_score_row(run.id, s) for s in scores),
            )
        return run

    # -- reads --------------------------------------------------------------------

    def runs(self) -> list[Run]:
        """Every run, newest first (runs started in the same second: last saved first)."""
        rows = self._db.execute("SELECT data FROM runs ORDER BY created_at DESC, rowid DESC").fetchall()
        return [Run.model_validate_json(r[0]) for r in rows]

    def get(self, ref: str) -> Run:
        """A run by id, by name, or ``"latest"``.

        Raises:
            NotFoundError: No such run; the error lists the runs there are.
        """
        if ref == LATEST:
            row = self._db.execute("SELECT data FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1").fetchone()
        else:
            # An id wins over a name, so a name that looks like another run's id cannot hide it.
            row = self._db.execute(
                "SELECT data FROM runs WHERE id=?1 OR name=?1 ORDER BY id=?1 DESC LIMIT 1", (ref,)
            ).fetchone()
        if row is None:
            runs = self.runs()
            error = NotFoundError("run", ref, [o for r in runs for o in (r.name, r.id) if o])
            if not runs:
                error.hint = "no scoring runs yet; score the documents first"
            raise error
        return Run.model_validate_json(row[0])

    def scores(self, run_id: str, doc_ids: list[str] | None = None) -> list[Score]:
        """The scores of a run, in the order they were saved.

        Args:
            run_id: The run's id, name or ``"latest"``.
            doc_ids: Only these documents (all when None).

        Raises:
            NotFoundError: No such run (an empty list would hide a typo).
        """
        run = self.get(run_id)
        if doc_ids is None:
            rows = self._db.execute("SELECT data FROM scores WHERE run_id=? ORDER BY rowid", (run.id,)).fetchall()
        else:
            # json_each keeps one bound parameter however many documents are asked for.
            rows = self._db.execute(
                "SELECT data FROM scores WHERE run_id=? AND doc_id IN (SELECT value FROM json_each(?)) ORDER BY rowid",
                (run.id, json.dumps(list(doc_ids))),
            ).fetchall()
        return [Score.model_validate_json(r[0]) for r in rows]

    def diff(self, a: str, b: str) -> RunDiff:
        """What changed from run ``a`` to run ``b`` (each an id, a name or ``"latest"``).

        Changes come in run ``a``'s order, then pairs only in ``b``.
        """
        run_a, run_b = self.get(a), self.get(b)
        by_a = {(s.doc_id, s.criterion): s for s in self.scores(run_a.id)}
        by_b = {(s.doc_id, s.criterion): s for s in self.scores(run_b.id)}
        changes: list[ScoreChange] = []
        unchanged = 0
        for key in [*by_a, *(k for k in by_b if k not in by_a)]:
            change = _change(by_a.get(key), by_b.get(key))
            if change is None:
                unchanged += 1
            else:
                changes.append(change)
        return RunDiff(a=run_a, b=run_b, changes=changes, unchanged=unchanged)


def _score_row(run_id: str, score: Score) -> tuple[str, str, str, str, str]:
    return run_id, score.doc_id, score.criterion, score.level, score.model_dump_json()
