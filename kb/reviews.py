"""Advisor reviews of a country's level per criterion, with an append-only audit log.

A review confirms or overrides the machine's level and evidence for one cell (country,
criterion) of the overview matrix. Reviews are keyed by the cell, not by the run, so they
survive rescoring; each keeps the machine's level and evidence it was made against, so a
later run that changes either flags the cell for re-review. A review and its audit entry
are written in one catalogue transaction: a failure leaves neither.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from kb.catalog import Catalog
from kb.errors import CtkbError, NotFoundError
from kb.models import Strict
from kb.scoring.models import LEVELS, CountryScore, Level

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    country TEXT NOT NULL,
    criterion TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (country, criterion)
);
CREATE TABLE IF NOT EXISTS review_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    country TEXT NOT NULL,
    criterion TEXT NOT NULL,
    action TEXT NOT NULL,
    before TEXT,
    after TEXT,
    comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS review_audit_cell ON review_audit(country, criterion);
-- The log is evidence of who decided what: the database itself refuses to rewrite it.
CREATE TRIGGER IF NOT EXISTS review_audit_no_update BEFORE UPDATE ON review_audit
BEGIN SELECT RAISE(ABORT, 'review_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS review_audit_no_delete BEFORE DELETE ON review_audit
BEGIN SELECT RAISE(ABORT, 'review_audit is append-only'); END;
"""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Action = Literal["confirm", "override"]
AuditAction = Literal["confirm", "override", "withdraw"]

# What to tell the advisor when a field is refused; keyed by the field pydantic names.
HINTS = {
    "comment": "say why you confirm or override the machine's level",
    "reviewer": "give your name, so the audit log says who decided",
    "level": f"one of {', '.join(LEVELS)}",
    "evidence": "list the provision ids you accept; an absent level cites none",
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Review(Strict):
    """An advisor's decision on one cell, and the machine's score it was made against.

    Attributes:
        evidence: Provision ids the advisor accepts (none for ``absent``).
        run_id: The run whose score the advisor looked at.
        machine_level: The machine's level at review time.
        machine_evidence: The machine's evidence provision ids at review time; with
            ``machine_level`` this is what a later run is compared with.
        action: ``confirm`` when level and evidence equal the machine's, else ``override``.
    """

    country: Text
    criterion: Text
    level: Level
    evidence: list[Text] = Field(default_factory=list)
    comment: Text
    reviewer: Text
    created_at: str
    run_id: Text
    machine_level: Level
    machine_evidence: list[str] = Field(default_factory=list)
    action: Action

    @field_validator("created_at")
    @classmethod
    def _iso_utc(cls, value: str) -> str:
        when = datetime.fromisoformat(value)  # a ValueError becomes a ValidationError
        if when.utcoffset() is None or when.utcoffset().total_seconds() != 0:
            raise ValueError(f"{value!r} is not a UTC time")
        return value

    @model_validator(mode="after")
    def _absent_cites_nothing(self) -> "Review":
        # Mirrors Score: citing a provision as evidence of absence would contradict itself.
        if self.level == "absent" and self.evidence:
            raise ValueError("evidence: an absent level cites no provisions")
        return self


class AuditEntry(Strict):
    """One change to a cell's review; ``before``/``after`` are the review as a dict, or None."""

    id: int
    at: str
    reviewer: str
    country: str
    criterion: str
    action: AuditAction
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    comment: str


class ReviewedCell(Strict):
    """A machine row with its review applied, as the overview matrix shows it.

    Attributes:
        level: The review's level when reviewed, else the machine's.
        needs_rereview: Reviewed, and the machine's level or evidence has changed since.
    """

    country: str
    criterion: str
    level: Level
    reviewed: bool
    needs_rereview: bool
    review: Review | None
    machine: CountryScore


def _evidence_ids(row: CountryScore) -> list[str]:
    return [e.provision_id for e in row.evidence]


def _refused(exc: ValidationError, country: str, criterion: str) -> CtkbError:
    """The first validation error as a CtkbError naming the field and what to do."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    # Whitespace is stripped first, so "too short" always means blank.
    message = "must not be empty" if first["type"] == "string_too_short" else first["msg"].removeprefix("Value error, ")
    if not field and ":" in message:  # model-level checks name their field in the message
        field, message = (part.strip() for part in message.split(":", 1))
    return CtkbError(f"review of {country} {criterion}: {field or 'review'}: {message}", hint=HINTS.get(field))


def _audit_row(at: str, reviewer: str, country: str, criterion: str, action: str,
               before: Review | None, after: Review | None, comment: str) -> tuple:
    """The audit table's columns for one change (patched in tests to fail mid-transaction)."""
    dumped = [None if r is None else r.model_dump_json() for r in (before, after)]
    return at, reviewer, country, criterion, action, *dumped, comment


class ReviewStore:
    """Current reviews and their audit log, in the catalogue's SQLite file.

    Args:
        catalog: The open catalogue; its review tables are created if missing.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._db = catalog._db
        self._db.executescript(SCHEMA)

    # -- writes -------------------------------------------------------------------

    def save(
        self, country: str, criterion: str, *, level: str, evidence: list[str], comment: str, reviewer: str,
        machine: CountryScore, run_id: str,
    ) -> Review:
        """Confirm or override the machine's level and evidence for one cell.

        Args:
            level: The level the advisor decides.
            evidence: Provision ids the advisor accepts (order kept, repeats dropped).
            machine: The machine's row for this cell, as the advisor saw it.
            run_id: The run ``machine`` comes from.

        Returns:
            The review as stored; ``action`` says whether it confirms or overrides.

        Raises:
            CtkbError: A field is invalid (empty comment or reviewer, unknown level, evidence
                for an absent level) or ``machine`` is another cell's row. Nothing is written.
        """
        if (machine.country, machine.criterion) != (country, criterion):
            raise CtkbError(
                f"review of {country} {criterion}: the machine row is {machine.country} {machine.criterion}",
                hint="pass the machine's row for the cell being reviewed",
            )
        evidence = list(dict.fromkeys(evidence))
        machine_evidence = _evidence_ids(machine)
        # Sets: the machine's evidence order is ranking, not a different finding.
        same = level == machine.level and set(evidence) == set(machine_evidence)
        try:
            review = Review(
                country=country, criterion=criterion, level=level, evidence=evidence, comment=comment,
                reviewer=reviewer, created_at=_now(), run_id=run_id, machine_level=machine.level,
                machine_evidence=machine_evidence, action="confirm" if same else "override",
            )
        except ValidationError as exc:
            raise _refused(exc, country, criterion) from None
        with self._catalog.transaction() as db:
            before = self._read(db, review.country, review.criterion)
            db.execute(
                "INSERT INTO reviews (country, criterion, data) VALUES (?,?,?) "
                "ON CONFLICT (country, criterion) DO UPDATE SET data=excluded.data",
                (review.country, review.criterion, review.model_dump_json()),
            )
            self._append(db, _audit_row(review.created_at, review.reviewer, review.country, review.criterion,
                                        review.action, before, review, review.comment))
        return review

    def withdraw(self, country: str, criterion: str, *, reviewer: str, comment: str) -> None:
        """Remove a cell's review, so the machine's level shows again; the log keeps it.

        Raises:
            CtkbError: The reviewer or comment is empty. Nothing is written.
            NotFoundError: The cell has no review; the error lists the country's reviewed cells.
        """
        reviewer, comment = reviewer.strip(), comment.strip()
        for field, value in (("reviewer", reviewer), ("comment", comment)):
            if not value:
                raise CtkbError(f"withdrawal of {country} {criterion}: {field}: must not be empty",
                                hint=HINTS[field])
        with self._catalog.transaction() as db:
            before = self._read(db, country, criterion)
            if before is None:
                reviewed = [f"{c} {k}" for c, k in self.current(country)]
                error = NotFoundError("review", f"{country} {criterion}", reviewed)
                if not error.options:
                    error.hint = f"{country} has no reviewed cells; there is nothing to withdraw"
                raise error
            db.execute("DELETE FROM reviews WHERE country=? AND criterion=?", (country, criterion))
            self._append(db, _audit_row(_now(), reviewer, country, criterion, "withdraw", before, None, comment))

    # -- reads --------------------------------------------------------------------

    def current(self, country: str | None = None) -> dict[tuple[str, str], Review]:
        """The review in force per (country, criterion), sorted; one country's when given."""
        sql, args = "SELECT data FROM reviews", ()
        if country is not None:
            sql, args = sql + " WHERE country=?", (country,)
        rows = self._db.execute(sql + " ORDER BY country, criterion", args).fetchall()
        reviews = (Review.model_validate_json(r[0]) for r in rows)
        return {(r.country, r.criterion): r for r in reviews}

    def audit(self, country: str | None = None, criterion: str | None = None) -> list[AuditEntry]:
        """Every change, newest first (by write order: times only have second precision)."""
        where = [(col, v) for col, v in (("country", country), ("criterion", criterion)) if v is not None]
        sql = "SELECT id, at, reviewer, country, criterion, action, before, after, comment FROM review_audit"
        if where:
            sql += " WHERE " + " AND ".join(f"{col}=?" for col, _ in where)
        rows = self._db.execute(sql + " ORDER BY id DESC", [v for _, v in where]).fetchall()
        return [
            AuditEntry(
                id=r[0], at=r[1], reviewer=r[2], country=r[3], criterion=r[4], action=r[5],
                before=None if r[6] is None else json.loads(r[6]),
                after=None if r[7] is None else json.loads(r[7]), comment=r[8],
            )
            for r in rows
        ]

    # -- helpers ------------------------------------------------------------------

    @staticmethod
    def _read(db: sqlite3.Connection, country: str, criterion: str) -> Review | None:
        row = db.execute("SELECT data FROM reviews WHERE country=? AND criterion=?", (country, criterion)).fetchone()
        return None if row is None else Review.model_validate_json(row[0])

    @staticmethod
    def _append(db: sqlite3.Connection, row: tuple) -> None:
        db.execute(
            "INSERT INTO review_audit (at, reviewer, country, criterion, action, before, after, comment) "
            "VALUES (?,?,?,?,?,?,?,?)",
            row,
        )


def apply_reviews(rows: list[CountryScore], reviews: dict[tuple[str, str], Review]) -> list[ReviewedCell]:
    """The machine's rows with reviews applied, in the rows' order.

    A review whose cell is not among ``rows`` (e.g. the criterion was not scored) is not
    shown; it stays in force for when the cell comes back.

    Args:
        rows: The machine's country rows of any run (from ``country_view``).
        reviews: From :meth:`ReviewStore.current`.
    """
    cells = []
    for row in rows:
        review = reviews.get((row.country, row.criterion))
        # Compared like RunStore.diff: level, and evidence as a set; confidence alone is not a change.
        changed = review is not None and (
            row.level != review.machine_level or set(_evidence_ids(row)) != set(review.machine_evidence)
        )
        cells.append(
            ReviewedCell(
                country=row.country, criterion=row.criterion, level=review.level if review else row.level,
                reviewed=review is not None, needs_rereview=changed, review=review, machine=row,
            )
        )
    return cells
