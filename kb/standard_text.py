"""The standards' own text beside a criterion: each ``legal_basis`` citation with the exact
provision of the indexed instrument, or the citation alone when that text is not indexed.

    texts = criterion_texts(catalog, rubric)        # every criterion, one resolver
    for t in texts["PRT-03"]:
        print(t.line, t.text if t.resolved else "")  # "CoE Art 26 — Council of Europe …, Article 26"

The app (country profile, compare) and the Word gap memo read these, so both quote alike.
The text is the document's, unchanged: views must render it literally.
"""

from __future__ import annotations

from kb.catalog import Catalog
from kb.models import Strict
from kb.rubric import Criterion, Rubric
from kb.standards import Resolved, Resolver, Status

NOT_IN_KB = "text not in the knowledge base"


class StandardText(Strict):
    """One provision a criterion's legal basis names, as the views show it.

    Attributes:
        label: The citation as the rubric writes it (``CoE Art 26``); for a range, one entry
            per target (``CoE Art 12(1)(a)``, ``CoE Art 12(1)(b)``).
        instrument: The instrument's title from the rubric.
        status: ``resolved``, ``not_indexed`` or ``not_found`` (see :class:`kb.standards.Resolved`).
        doc_id: The document holding the instrument's text, when indexed.
        citation: The provision as the document cites it (``Article 12(1)(a)``), when resolved.
        number: Its top-level number, for ``ctkb show DOC --provision NUMBER``.
        text: The provision's exact text (empty unless resolved).
        message: Why it is not resolved, for people.
    """

    label: str
    instrument: str
    status: Status
    doc_id: str | None = None
    citation: str | None = None
    number: str | None = None
    text: str = ""
    message: str = ""

    @property
    def resolved(self) -> bool:
        return self.status == "resolved"

    @property
    def line(self) -> str:
        """``CoE Art 26 — Council of Europe Convention …, Article 26`` when resolved, else
        ``UNTOC Art 11 — UN Convention …: text not in the knowledge base`` (with the reason
        when the instrument is indexed but the provision was not found)."""
        if self.resolved:
            return f"{self.label} — {self.instrument}, {self.citation}"
        why = f" ({self.message})" if self.status == "not_found" and self.message else ""
        return f"{self.label} — {self.instrument}: {NOT_IN_KB}{why}"


def standard_text(r: Resolved, *, label: str | None = None) -> StandardText:
    """A resolved citation target as plain data (no provision object: cacheable, serialisable).

    Args:
        r: What the resolver found.
        label: The label to show; default ``r.label`` (``KEY Art TARGET``).
    """
    p = r.provision
    return StandardText(label=label or r.label, instrument=r.instrument, status=r.status, doc_id=r.doc_id,
                        citation=p.citation if p else None, number=p.number if p else None,
                        text=r.text if p else "", message=r.message)


def texts_for(resolver: Resolver, criterion: Criterion) -> list[StandardText]:
    """A criterion's legal-basis targets in the rubric's order, each with its text when indexed.

    A citation naming one provision keeps the rubric's wording (``TVPA 7106(b)``); a range
    (``CoE Art 12(1)(a)-(b)``) gives one entry per provision, each labelled with its target.
    """
    out = []
    for basis in criterion.legal_basis:
        found = resolver.resolve(basis)
        out += [standard_text(r, label=basis.strip() if len(found) == 1 else None) for r in found]
    return out


def criterion_texts(catalog: Catalog, rubric: Rubric) -> dict[str, list[StandardText]]:
    """Criterion id -> :func:`texts_for`, for every criterion of the rubric.

    One resolver serves them all: each instrument's provision tree is read once (a quarter of
    a second for the 4P rubric), so a page computes this once per library state, not per view.
    """
    resolver = Resolver(catalog, rubric)
    return {c.id: texts_for(resolver, c) for c in rubric.criteria}
