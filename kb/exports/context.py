"""What every export reads: one run with its rubric, scores, country view and advisor reviews.

    ctx = load_context(catalog, "scored")
    cells = ctx.cells("ZMB")                 # reviews applied; raises when ZMB has no scores
    quotes = ctx.quotes(cells[0], limit=1500)  # its evidence as catalogue provisions
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from kb.app_data import Board, board
from kb.catalog import Catalog
from kb.compare import ProvisionRef, snippet_ocr
from kb.errors import CtkbError, NotFoundError
from kb.exports.text import clip, xml_safe
from kb.models import DocumentRecord, Provision, Strict
from kb.ocr_quality import ocr_caveat
from kb.reviews import Review, ReviewedCell, ReviewStore, apply_reviews
from kb.rubric import Criterion, Rubric, load_rubric
from kb.scoring.country import RANK
from kb.scoring.models import CountryScore, Evidence, Run, Score
from kb.scoring.runs import RunStore
from kb.standards import is_standard


class Quote(Strict):
    """A provision quoted in an export, with what a reader needs to find it.

    Attributes:
        text: The whole top-level provision from the catalogue (XML-safe), cut to the
            export's limit; ``truncated`` says whether it was cut.
        highlights: ``(start, end)`` offsets in ``text`` of the criterion's key terms (shown bold).
        from_snippet: The catalogue no longer holds the provision (re-indexed after the run):
            ``text`` is the run's snippet.
        ocr_confidence: Set when the text is from OCR: the quote then carries
            :func:`kb.ocr_quality.ocr_caveat`.
    """

    country: str
    doc_id: str
    title: str
    provision_id: str
    number: str = Field(description="Top-level number as printed, for `ctkb show DOC --provision NUMBER`.")
    citation: str
    heading: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    text: str
    highlights: list[tuple[int, int]] = Field(default_factory=list)
    truncated: bool = False
    from_snippet: bool = False
    ocr_confidence: float | None = None

    @property
    def ocr_caveat(self) -> str | None:
        """The warning a quote from OCR carries (None when the text is not from OCR)."""
        return ocr_caveat(self.ocr_confidence)


@dataclass
class ExportContext:
    """One run ready to export; build it with :func:`load_context`."""

    catalog: Catalog
    run: Run
    rubric: Rubric
    scores: list[Score]
    board: Board
    reviews: dict[tuple[str, str], Review]
    dropped: list[str] = field(default_factory=list)  # scored documents no longer indexed, left out
    _docs: dict[str, tuple[DocumentRecord, dict[str, Provision]] | None] = field(default_factory=dict)

    @property
    def countries(self) -> list[str]:
        return sorted(self.board.countries)

    def require_country(self, code: str) -> str:
        """The code upper-cased, when the run scored the country (else :func:`country_in_run` raises)."""
        return country_in_run(self.catalog, self.run, self.scores, code)

    def cells(self, country: str) -> list[ReviewedCell]:
        """The country's criteria in rubric order, each with its review applied (if any)."""
        return apply_reviews(self.board.countries[self.require_country(country)], self.reviews)

    def document(self, doc_id: str) -> DocumentRecord | None:
        found = self._load(doc_id)
        return found[0] if found else None

    def best_score(self, row: CountryScore) -> Score | None:
        """The score the country's level comes from; when absent everywhere, the surest "absent"."""
        mine = [s for s in self.scores if s.country == row.country and s.criterion == row.criterion]
        if row.best_doc_id is not None:
            return next((s for s in mine if s.doc_id == row.best_doc_id), None)
        return max(mine, key=lambda s: (RANK[s.level], s.confidence), default=None)

    def evidence(self, cell: ReviewedCell) -> list[Evidence]:
        """What the cell's level rests on: the reviewer's provisions when reviewed, else the machine's."""
        if not cell.reviewed or cell.review is None:
            return list(cell.machine.evidence)
        known = {e.provision_id: e for s in self.scores if s.country == cell.country for e in s.evidence}
        found = []
        for pid in cell.review.evidence:
            e = known.get(pid) or self._evidence_from_catalog(pid)
            if e is not None:
                found.append(e)
        return found

    def quotes(self, cell: ReviewedCell, *, limit: int) -> list[Quote]:
        """The cell's evidence as quotes of the catalogue's provisions (the run's snippet if gone)."""
        return [self.quote(cell.country, e, limit=limit) for e in self.evidence(cell)]

    def quote(self, country: str, e: Evidence, *, limit: int) -> Quote:
        found = self._load(e.doc_id)
        p = found[1].get(e.provision_id) if found else None
        text, cut = clip(xml_safe(p.text if p else e.snippet), limit)
        source = p if p is not None else e
        return Quote(country=country, doc_id=e.doc_id, title=xml_safe(found[0].title if found else e.doc_id),
                     provision_id=e.provision_id, number=xml_safe(source.number), citation=xml_safe(source.citation),
                     heading=xml_safe(source.heading) or None, page_start=source.page_start,
                     page_end=source.page_end, text=text, truncated=cut, from_snippet=p is None,
                     ocr_confidence=p.ocr_confidence if p is not None else snippet_ocr(found[0] if found else None))

    # -- helpers ------------------------------------------------------------------

    def _load(self, doc_id: str) -> tuple[DocumentRecord, dict[str, Provision]] | None:
        if doc_id not in self._docs:
            record = self.catalog.find_document(doc_id)
            self._docs[doc_id] = None if record is None else (
                record, {p.id: p for p in self.catalog.provisions(doc_id) if p.parent_id is None})
        return self._docs[doc_id]

    def _evidence_from_catalog(self, provision_id: str) -> Evidence | None:
        """A reviewer's provision that no machine score cites, read from the catalogue."""
        from kb.compare import context

        try:
            ref = context(self.catalog, provision_id, neighbours=0)[0]
        except NotFoundError:
            return None
        return Evidence(provision_id=ref.provision_id, doc_id=ref.doc_id, number=ref.number, citation=ref.citation,
                        heading=ref.heading, page_start=ref.page_start, page_end=ref.page_end,
                        snippet=ref.text[:400], probability=1.0)


def quote_of(ref: ProvisionRef, limit: int) -> Quote:
    """A provision of :mod:`kb.compare` as a quote, with its key terms kept where they still fit."""
    safe = xml_safe(ref.text)
    text, cut = clip(safe, limit)
    # Offsets hold only while no character was dropped as unfit for XML.
    marks = [(a, b) for a, b in ref.highlights if b <= len(text)] if safe == ref.text else []
    return Quote(country=ref.country, doc_id=ref.doc_id, title=xml_safe(ref.title), provision_id=ref.provision_id,
                 number=xml_safe(ref.number), citation=xml_safe(ref.citation), heading=xml_safe(ref.heading) or None,
                 page_start=ref.page_start, page_end=ref.page_end, text=text, highlights=marks, truncated=cut,
                 from_snippet=ref.from_snippet, ocr_confidence=ref.ocr_confidence)


def country_in_run(catalog: Catalog, run: Run, scores: list[Score], code: str) -> str:
    """``code`` upper-cased, when ``scores`` (of ``run``) have the country.

    Raises:
        CtkbError: No scores for it; says whether the country has documents at all (and their
            status), or that its documents are standards (``INTL``), and names the countries
            the run has.
    """
    country = code.strip().upper()
    have = sorted({s.country for s in scores})
    if country in have:
        return country
    docs = [d for d in catalog.documents() if d.country == country]
    if docs and all(is_standard(d) for d in docs):
        raise CtkbError(f"{country} is not a country: its document(s) are standards (international instruments or "
                        f"model laws: {', '.join(d.id for d in docs)}), which no export treats as a country",
                        hint=f"their text is quoted under each criterion citing them; countries in this run: "
                             f"{', '.join(have) or 'none'}")
    if docs:
        raise CtkbError(f"{country} has {len(docs)} document(s) in the knowledge base but none scored in run "
                        f"{run.id} ({', '.join(f'{d.id}: {d.status}' for d in docs)})",
                        hint="index documents with a text layer and run `ctkb score`, or pick another --run")
    raise CtkbError(f"no documents for country {country!r} in run {run.id}",
                    hint=f"countries in this run: {', '.join(have) or 'none'}")


def load_context(catalog: Catalog, run: str = "latest", rubric: Rubric | str | Path | None = None, *,
                 country: str | None = None) -> ExportContext:
    """Read a run for export.

    Args:
        catalog: The open catalogue.
        run: Run id, name or ``"latest"``.
        rubric: The rubric naming the criteria (a loaded one or a path); default the run's own.
        country: A country the export is about: checked before the (slow) rubric is loaded.

    Raises:
        NotFoundError: No such run (the error lists the runs).
        CtkbError: The run has no scores for ``country``, or the run's rubric file is gone and
            none was given.
        RubricError: The rubric cannot be loaded.
    """
    found = RunStore(catalog).get(run)
    # As the app shows a run: documents removed from the library (or failing now) drop out, and
    # standards are no country (a run made before they were left out of scoring holds their scores).
    records = catalog.documents()
    indexed = {d.id for d in records if d.status == "indexed"}
    national = {d.id for d in records if d.status == "indexed" and not is_standard(d)}
    everything = RunStore(catalog).scores(found.id)
    scores = [s for s in everything if s.doc_id in national]
    dropped = sorted({s.doc_id for s in everything} - indexed)
    if country is not None:
        country_in_run(catalog, found, scores, country)
    if rubric is None:
        path = Path(found.rubric_path)
        if not path.is_file():
            raise CtkbError(f"run {found.id} was scored with {found.rubric_path}, which is not there any more",
                            hint="give the rubric with --rubric FILE")
        rubric = path
    if not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    return ExportContext(catalog=catalog, run=found, rubric=rubric, scores=scores,
                         board=board(catalog, found, rubric), reviews=ReviewStore(catalog).current(),
                         dropped=dropped)


def criterion_of(ctx: ExportContext, criterion_id: str) -> Criterion:
    """The rubric's criterion.

    Raises:
        NotFoundError: Unknown id; the hint lists every id of the rubric, as ranges.
    """
    try:
        return ctx.rubric.criterion(criterion_id)
    except NotFoundError as error:
        error.hint = f"the {ctx.rubric.name} rubric's criteria are {id_ranges(ctx.rubric.ids)}"
        raise


def id_ranges(ids: list[str]) -> str:
    """``PRV-01 to PRV-10, PRT-01 to PRT-18``: runs of consecutive ids with one prefix, in order."""
    runs: list[list[str]] = []
    for cid in ids:
        prefix, _, number = cid.rpartition("-")
        if runs and number.isdigit():
            last_prefix, _, last = runs[-1][-1].rpartition("-")
            if last_prefix == prefix and last.isdigit() and int(number) == int(last) + 1:
                runs[-1].append(cid)
                continue
        runs.append([cid])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]} to {r[-1]}" for r in runs)
