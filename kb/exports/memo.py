"""The gap-analysis memo: one country's gaps against the rubric, as an editable Word document.

    memo = build_memo(load_context(catalog, "scored"), "ZMB")   # the content, as data
    data = render_memo(memo)                                     # .docx bytes

Layout: a title page (country, date, run, rubric, documents assessed with their sha256), an
executive summary (a table per pillar and the list of gaps), then one "Heading 2" section per
gap (absent first, then partial, heavier criteria first, as the app's country profile) with the
standard and its legal basis, what the standards say (each cited provision's text, or the
citation alone when the instrument is not indexed), the assessment, what the national text
says, reviewer notes and how other countries drafted it; last, the provenance. Reviewed levels
replace the machine's and are marked "reviewed". A quote whose text is from OCR (a scanned page)
has the OCR caveat in italics under it, and the title page names the documents read by OCR.
"""

from __future__ import annotations

from pydantic import Field

from kb.app_data import gaps, scorecard
from kb.compare import drafting_examples
from kb.exports import word
from kb.exports.context import ExportContext, Quote, quote_of
from kb.exports.provenance import DocumentProvenance, Provenance, build_provenance
from kb.exports.text import clip, country_name, xml_safe
from kb.models import Strict
from kb.reviews import Review
from kb.scoring.models import NOT_PROOF_OF_ABSENCE, Level
from kb.standard_text import StandardText, texts_for
from kb.standards import Resolver

EXAMPLES = 3  # how many other countries' provisions per gap


class GapSection(Strict):
    """One gap of the memo: a criterion the country lacks (absent) or has in part (partial).

    Attributes:
        level: The level shown: the reviewer's when reviewed, else the machine's.
        reasons: The machine's reasons, from ``reasons_doc``.
        standards: Each legal-basis citation with the instrument's text (XML-safe), or alone
            when that text is not indexed.
        evidence: What the national text says (the reviewer's provisions when reviewed).
        examples: How other countries drafted it (their provisions scored present).
        searched: The country's documents that were scored.
    """

    criterion: str
    title: str
    pillar: str
    weight: float
    level: Level
    machine_level: Level
    confidence: float
    language: str
    reviewed: bool
    needs_rereview: bool = False
    review: Review | None = None
    present: str
    partial: str
    legal_basis: list[str] = Field(default_factory=list)
    standards: list[StandardText] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    reasons_doc: str | None = None
    evidence: list[Quote] = Field(default_factory=list)
    examples: list[Quote] = Field(default_factory=list)
    searched: list[str] = Field(default_factory=list)

    @property
    def heading(self) -> str:
        """The section's Heading 2: ``PRV-01 National action plan — absent (reviewed)``."""
        return f"{self.criterion} {self.title} — {self.level}" + (" (reviewed)" if self.reviewed else "")


class Memo(Strict):
    """Everything the memo shows, before it is laid out in Word."""

    country: str
    country_name: str
    provenance: Provenance
    criteria: int
    scorecard: list[dict[str, object]]
    reviewed: int
    sections: list[GapSection]
    not_assessed: list[DocumentProvenance] = Field(default_factory=list)
    caveat: str = NOT_PROOF_OF_ABSENCE


def build_memo(ctx: ExportContext, country: str, *, exported_at: str | None = None) -> Memo:
    """The memo's content for ``country`` in ``ctx``'s run, reviews applied.

    Raises:
        CtkbError: The run has no scores for the country (the message says why, the hint what to do).
    """
    country = ctx.require_country(country)
    cells = ctx.cells(country)
    by_id = {c.criterion: c for c in cells}
    shown = [c.machine.model_copy(update={"level": c.level}) for c in cells]  # reviewed levels count
    criteria = {c.id: c for c in ctx.rubric.criteria}
    resolver = Resolver(ctx.catalog, ctx.rubric)  # one for the memo: each instrument's tree read once
    sections = []
    for row in gaps(shown, ctx.rubric):
        cell, c = by_id[row.criterion], criteria[row.criterion]
        best = ctx.best_score(cell.machine)
        # National laws only (drafting_examples leaves standards out): the standards are quoted apart.
        examples = drafting_examples(ctx.catalog, ctx.scores, ctx.rubric, c.id, exclude_country=country,
                                     limit=EXAMPLES)
        sections.append(GapSection(
            criterion=c.id, title=xml_safe(c.title), pillar=ctx.rubric.pillars.get(c.pillar, c.pillar),
            weight=c.weight, level=cell.level, machine_level=cell.machine.level,
            confidence=cell.machine.confidence, language=cell.machine.language, reviewed=cell.reviewed,
            needs_rereview=cell.needs_rereview, review=cell.review, present=xml_safe(c.present),
            partial=xml_safe(c.partial), legal_basis=[xml_safe(b) for b in c.legal_basis],
            standards=[_safe(t) for t in texts_for(resolver, c)],
            reasons=[xml_safe(r) for r in (best.reasons if best else [])], reasons_doc=best.doc_id if best else None,
            evidence=[] if cell.level == "absent" else ctx.quotes(cell, limit=word.QUOTE_LIMIT),
            examples=[quote_of(e, word.QUOTE_LIMIT) for e in examples], searched=cell.machine.rests_on,
        ))
    rests_on = cells[0].machine.rests_on if cells else []
    provenance = build_provenance(ctx, f"gap memo {country}", rests_on, exported_at=exported_at)
    others = [d for d in ctx.catalog.documents() if d.country == country and d.id not in rests_on]
    pillar_reviewed = {}
    for cell in cells:
        name = ctx.rubric.pillars.get(cell.machine.pillar, cell.machine.pillar)
        pillar_reviewed[name] = pillar_reviewed.get(name, 0) + cell.reviewed
    card = [{**line, "reviewed": pillar_reviewed.get(line["pillar"], 0)} for line in scorecard(shown, ctx.rubric)]
    return Memo(
        country=country, country_name=country_name(country), provenance=provenance, criteria=len(cells),
        scorecard=card, reviewed=sum(c.reviewed for c in cells), sections=sections,
        not_assessed=[DocumentProvenance(id=d.id, country=d.country, title=xml_safe(d.title), year=d.year,
                                         kind=d.kind, language=d.language, sha256=d.sha256, status=d.status)
                      for d in others],
    )


def _safe(t: StandardText) -> StandardText:
    """``t`` with every text field XML-safe (the standard's text is a document's, like any quote)."""
    text = {k: xml_safe(getattr(t, k)) for k in ("label", "instrument", "text", "message")}
    optional = {k: xml_safe(getattr(t, k)) for k in ("citation", "number") if getattr(t, k) is not None}
    return t.model_copy(update={**text, **optional})


# -- layout -------------------------------------------------------------------------


def _title_page(doc, memo: Memo) -> None:
    p = memo.provenance
    doc.add_heading(f"Gap analysis: {memo.country_name}", level=0)
    doc.add_paragraph("National legal framework against trafficking in persons, assessed criterion by criterion "
                      f"against the {p.rubric_name} rubric (Prevention, Protection, Prosecution, Partnerships).",
                      style="Subtitle")
    word.table(doc, None, [
        ["Country", memo.country_name],
        ["Date", p.exported_at[:10]],
        ["Scoring run", f"{p.run_label}, scored {p.run_created_at}"],
        ["Rubric", f"{p.rubric_name} version {p.rubric_version} ({p.rubric_path}), sha256 {p.rubric_checksum}"],
        ["Calibration", p.calibration_checksum],
        ["Gaps", f"{len(memo.sections)} of {memo.criteria} criteria"],
    ], widths=[3.5, 13])
    doc.add_heading("Documents assessed", level=1)
    word.table(doc, ["Document", "Title", "Year", "Language", "sha256"],
               [[d.id, d.title, str(d.year or ""), d.language, d.sha256] for d in p.documents],
               widths=[3.6, 5.4, 1.2, 1.6, 4.8], font_size=8)
    word.ocr_documents(doc, p)
    if memo.not_assessed:
        doc.add_paragraph("Not assessed (not scored in this run): " + "; ".join(
            f"{d.id} ({d.status})" for d in memo.not_assessed) + ".")
    doc.add_paragraph().add_run(memo.caveat[0].upper() + memo.caveat[1:] + ".").italic = True
    doc.add_page_break()


def _summary(doc, memo: Memo) -> None:
    doc.add_heading("Executive summary", level=1)
    absent = sum(s.level == "absent" for s in memo.sections)
    doc.add_paragraph(
        f"Of the {memo.criteria} criteria of the rubric, {memo.country} has {absent} absent and "
        f"{len(memo.sections) - absent} partial in the documents assessed; {memo.reviewed} level(s) were reviewed "
        "by an advisor, and reviewed levels replace the machine's. Coverage counts present 1 and partial ½, "
        "weighted by the rubric's weights.")
    word.table(doc, ["Pillar", "Present", "Partial", "Absent", "Coverage", "Reviewed"],
               [[str(r["pillar"]), str(r["present"]), str(r["partial"]), str(r["absent"]),
                 f"{float(r['coverage']):.0%}", str(r["reviewed"])] for r in memo.scorecard],
               widths=[3.6, 2.5, 2.5, 2.5, 2.5, 2.5])
    doc.add_paragraph()
    doc.add_paragraph("The gaps, in the order of this memo (absent first, heavier criteria first):")
    word.table(doc, ["Criterion", "Title", "Pillar", "Level"],
               [[s.criterion, s.title, s.pillar, s.level + (" (reviewed)" if s.reviewed else "")]
                for s in memo.sections], level_column=3, widths=[2.6, 7.8, 3.2, 3.0])
    doc.add_page_break()


def _standards(doc, s: GapSection) -> None:
    """Each cited provision's text under its citation, or the citation alone when not indexed."""
    doc.add_heading("What the standards say", level=3)
    if not s.standards:
        doc.add_paragraph("The criterion cites no instrument.")
    for t in s.standards:
        if not t.resolved:
            doc.add_paragraph(t.line)
            continue
        line = doc.add_paragraph()
        line.paragraph_format.keep_with_next = True
        line.add_run(f"{t.line} [{t.doc_id}]:").bold = True
        text, cut = clip(t.text, word.QUOTE_LIMIT)
        doc.add_paragraph(text, style="Quote")
        if cut:
            doc.add_paragraph().add_run(f"[shortened here; the whole provision: ctkb show {t.doc_id} "
                                        f"--provision {t.number}]").italic = True


def _assessment(doc, s: GapSection) -> None:
    doc.add_heading("Assessment", level=3)
    if s.reviewed and s.review:
        word.labelled(doc, "Level:", f"{s.level}, reviewed by {s.review.reviewer} on {s.review.created_at[:10]} "
                                     f"(machine: {s.machine_level}, confidence {s.confidence:.2f}).")
    else:
        word.labelled(doc, "Level:", f"{s.level} (machine score, confidence {s.confidence:.2f}, document "
                                     f"language {s.language}; not reviewed).")
    if s.reasons:
        doc.add_paragraph(f"The machine's reasons ({s.reasons_doc}):")
        for reason in s.reasons:
            doc.add_paragraph(reason, style="List Bullet")


def _national_text(doc, s: GapSection, caveat: str) -> None:
    doc.add_heading("What the national text says", level=3)
    for q in s.evidence:
        word.quote(doc, q)
    if not s.evidence:
        if s.level == "absent":
            doc.add_paragraph(f"Nothing addressing this criterion was found in the documents assessed "
                              f"({', '.join(s.searched)}).")
            doc.add_paragraph().add_run(caveat[0].upper() + caveat[1:] + ".").italic = True
        else:
            doc.add_paragraph("The reviewer set this level without citing a provision.")


def _reviewer_notes(doc, s: GapSection) -> None:
    doc.add_heading("Reviewer notes", level=3)
    r = s.review
    if not (s.reviewed and r):
        doc.add_paragraph("Not reviewed yet.")
        return
    word.labelled(doc, f"{r.reviewer}, {r.created_at[:10]} ({r.action}):", r.comment)
    if s.needs_rereview:
        doc.add_paragraph(f"The machine's score has changed since this review (machine now: {s.machine_level}); "
                          "it needs another review.")


def _section(doc, s: GapSection, caveat: str) -> None:
    doc.add_heading(s.heading, level=2)
    doc.add_heading("The standard", level=3)
    word.labelled(doc, "Present:", s.present)
    word.labelled(doc, "Partial:", s.partial)
    word.labelled(doc, "Legal basis:", "; ".join(s.legal_basis) or "—")
    _standards(doc, s)
    _assessment(doc, s)
    _national_text(doc, s, caveat)
    _reviewer_notes(doc, s)
    doc.add_heading("How other countries drafted it", level=3)
    for q in s.examples:
        word.quote(doc, q, with_country=True)
    if not s.examples:
        doc.add_paragraph("No other country's indexed documents have this criterion present.")


def render_memo(memo: Memo) -> bytes:
    """The memo as .docx bytes."""
    p = memo.provenance
    doc = word.new_document(f"Gap analysis: {memo.country_name}", f"{p.rubric_name} gap analysis, run {p.run_id}", p)
    _title_page(doc, memo)
    _summary(doc, memo)
    doc.add_heading("Gaps", level=1)
    if not memo.sections:
        doc.add_paragraph("No gaps: every criterion is present in the documents assessed.")
    for s in memo.sections:
        _section(doc, s, memo.caveat)
    word.provenance_section(doc, p, f"ctkb export memo --country {memo.country} --run {p.run_id} --out FILE.docx")
    return word.to_bytes(doc)
