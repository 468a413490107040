"""International standards as references: which documents are standards, and what a
criterion's ``legal_basis`` citation (``CoE Art 12(1)(a)-(b)``) points at in them.

A document whose kind is ``international-instrument`` or ``model-law`` is a *standard*: it
is indexed and searchable like any document, but never scored or shown as a country. The
rubric names the instruments its citations use (``instruments:`` in ``rubrics/4p.yaml``: an
abbreviation, a title and a title pattern); a citation resolves to the exact provision
(article, paragraph, point) of the indexed document whose title matches, by walking the
provision tree: top-level number, then each child label in turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from kb.catalog import Catalog
from kb.models import DocumentRecord, Provision
from kb.rubric import Criterion, Rubric

STANDARD_KINDS = ("international-instrument", "model-law")


def is_standard(record: DocumentRecord) -> bool:
    """Whether a document is a standard (an international instrument or a model law)."""
    return (record.kind or "") in STANDARD_KINDS


def standards(catalog: Catalog) -> list[DocumentRecord]:
    """The indexed standards, in catalogue order."""
    return [d for d in catalog.documents() if is_standard(d) and d.status == "indexed"]


# ------------------------------------------------------------------ citations

# "CoE Art 12(1)(a)-(b)", "EU Art 5-6", "PP Art 6(3)", "TVPA 7106(a)(2)-(3)", "CoE Art 32-33".
_CITATION = re.compile(
    r"^\s*(?P<key>[A-Za-z][A-Za-z0-9]*)\s+(?:Art(?:icle)?\.?\s*|§\s*|s(?:ection)?\.?\s+)?"
    r"(?P<number>\d+[A-Za-z]?)(?P<path>(?:\([^()\s]+\))*)"
    r"(?:\s*[-–]\s*(?P<to_number>\d+[A-Za-z]?)?(?P<to_path>(?:\([^()\s]+\))*))?\s*$"
)
_PART = re.compile(r"\(([^()\s]+)\)")


class CitationError(ValueError):
    """A ``legal_basis`` entry that does not read as ``KEY Art N(p)(q)`` (ranges allowed)."""


@dataclass(frozen=True)
class Target:
    """One provision a citation names: top-level number and child labels, e.g. 12, (1, a)."""

    number: str
    path: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.number + "".join(f"({p})" for p in self.path)


@dataclass(frozen=True)
class Citation:
    """A parsed ``legal_basis`` entry."""

    raw: str
    key: str
    targets: tuple[Target, ...]


def parse_citation(text: str) -> Citation:
    """Parse one legal-basis citation, expanding ranges.

    ``EU Art 5-6`` names Articles 5 and 6; ``CoE Art 12(1)(a)-(b)`` names 12(1)(a) and
    12(1)(b); ``CoE Art 15(3)-(4)`` names 15(3) and 15(4).

    Raises:
        CitationError: The text is not a citation of that form.
    """
    m = _CITATION.match(text)
    if not m:
        raise CitationError(f"{text!r} is not a citation like 'CoE Art 12(1)(a)' or 'EU Art 5-6'")
    key, number, path = m.group("key"), m.group("number"), tuple(_PART.findall(m.group("path") or ""))
    to_number, to_path = m.group("to_number"), tuple(_PART.findall(m.group("to_path") or ""))
    if to_number:  # an article range, "32-33"
        first, last = int(re.match(r"\d+", number).group()), int(re.match(r"\d+", to_number).group())
        if last < first or last - first > 50:
            raise CitationError(f"{text!r}: the range {number}-{to_number} runs backwards or is too long")
        targets = [Target(str(n)) for n in range(first, last + 1)]
        targets[0] = Target(number, path)
        targets[-1] = Target(to_number, to_path)
        return Citation(text, key, tuple(targets))
    if to_path:  # a range on the last level, "(a)-(b)", "(3)-(4)"
        if not path or len(to_path) != 1:
            raise CitationError(f"{text!r}: a range like '(a)-(b)' must follow a paragraph or point")
        labels = _label_range(path[-1], to_path[0])
        if labels is None:
            raise CitationError(f"{text!r}: cannot expand the range ({path[-1]})-({to_path[0]})")
        return Citation(text, key, tuple(Target(number, (*path[:-1], label)) for label in labels))
    return Citation(text, key, (Target(number, path),))


def _label_range(first: str, last: str) -> list[str] | None:
    if first.isdigit() and last.isdigit() and int(first) <= int(last):
        return [str(n) for n in range(int(first), int(last) + 1)]
    if len(first) == len(last) == 1 and first.isalpha() and last.isalpha() and first <= last:
        return [chr(c) for c in range(ord(first), ord(last) + 1)]
    return None


# ------------------------------------------------------------------ resolution

Status = Literal["resolved", "not_indexed", "not_found"]


@dataclass
class Resolved:
    """What one citation target is in the knowledge base.

    Attributes:
        citation: The ``legal_basis`` entry as written.
        key: Its instrument abbreviation (``CoE``).
        target: The article/paragraph/point it names (``12(1)(a)``).
        instrument: The instrument's title from the rubric (the key itself if undeclared).
        status: ``resolved``; ``not_indexed`` (the instrument's text is not in the knowledge
            base); ``not_found`` (the document is, the provision is not).
        doc_id: The standard's document, when indexed.
        provision: The exact provision, when resolved.
        text: The provision's text with its descendants' (a paragraph with its points).
        message: For people: what was found or why not.
    """

    citation: str
    key: str
    target: str
    instrument: str
    status: Status
    doc_id: str | None = None
    provision: Provision | None = None
    text: str = ""
    message: str = ""

    @property
    def label(self) -> str:
        """``CoE Art 12(1)(a)``: the instrument key and this target."""
        return f"{self.key} Art {self.target}"


@dataclass
class Resolver:
    """Resolves citations against one catalogue and rubric, caching documents' provision trees.

    Args:
        catalog: The knowledge base's catalogue.
        rubric: Declares the instruments (``instruments:``).
    """

    catalog: Catalog
    rubric: Rubric
    _docs: dict[str, DocumentRecord | None] = field(default_factory=dict)
    _trees: dict[str, tuple[dict[str, Provision], dict[str, list[Provision]]]] = field(default_factory=dict)

    def document(self, key: str) -> DocumentRecord | None:
        """The indexed standard whose title matches instrument ``key``'s pattern."""
        if key not in self._docs:
            spec = self.rubric.instruments.get(key)
            found = None
            if spec is not None:
                pattern = re.compile(spec.match, re.I)
                candidates = [d for d in self.catalog.documents() if d.status == "indexed" and pattern.search(d.title)]
                # An instrument's own text before a national law that names it in its title.
                candidates.sort(key=lambda d: (not is_standard(d), d.id))
                found = candidates[0] if candidates else None
            self._docs[key] = found
        return self._docs[key]

    def resolve(self, citation: str) -> list[Resolved]:
        """Every target of one ``legal_basis`` entry (ranges expanded), resolved."""
        try:
            parsed = parse_citation(citation)
        except CitationError as exc:
            key = citation.split(maxsplit=1)[0] if citation.strip() else "?"
            return [Resolved(citation, key, citation, key, "not_found", message=str(exc))]
        spec = self.rubric.instruments.get(parsed.key)
        title = spec.title if spec else parsed.key
        record = self.document(parsed.key)
        out = []
        for target in parsed.targets:
            if record is None:
                out.append(Resolved(citation, parsed.key, target.label, title, "not_indexed",
                                    message=f"the text of {title} is not in the knowledge base"))
                continue
            prov = self._find(record.id, target)
            if prov is None:
                out.append(Resolved(citation, parsed.key, target.label, title, "not_found", doc_id=record.id,
                                    message=f"{record.id} has no provision {target.label}"))
            else:
                out.append(Resolved(citation, parsed.key, target.label, title, "resolved", doc_id=record.id,
                                    provision=prov, text=prov.text,  # spans its paragraphs and points
                                    message=f"{record.id}: {prov.citation}"))
        return out

    def for_criterion(self, criterion: Criterion) -> list[Resolved]:
        """Every legal-basis target of a criterion, in the order the rubric cites them."""
        return [r for basis in criterion.legal_basis for r in self.resolve(basis)]

    # -- the provision tree of a standard
    def _tree(self, doc_id: str) -> tuple[dict[str, Provision], dict[str, list[Provision]]]:
        if doc_id not in self._trees:
            provisions = self.catalog.provisions(doc_id)
            top = {}
            for p in provisions:
                if p.parent_id is None:
                    top.setdefault(_norm(p.number), p)
            children: dict[str, list[Provision]] = {}
            for p in provisions:
                if p.parent_id is not None:
                    children.setdefault(p.parent_id, []).append(p)
            self._trees[doc_id] = (top, children)
        return self._trees[doc_id]

    def _find(self, doc_id: str, target: Target) -> Provision | None:
        top, children = self._tree(doc_id)
        node = top.get(_norm(target.number))
        for part in target.path:
            if node is None:
                return None
            node = next((c for c in children.get(node.id, []) if _norm(c.label) == _norm(part)), None)
        return node


    def article_children(self, doc_id: str, provision_id: str) -> list[Provision]:
        """The direct subdivisions of a provision of a standard (paragraphs, points)."""
        return list(self._tree(doc_id)[1].get(provision_id, []))


def _norm(label: str) -> str:
    """``(1)``, ``1.``, ``1`` and ``Article 1`` compare equal; letters case-insensitively."""
    return re.sub(r"[^0-9a-z]", "", label.lower().removeprefix("article"))


def criteria_citing(rubric: Rubric, key: str, number: str, path: tuple[str, ...] = ()) -> list[Criterion]:
    """Criteria whose legal basis names this article (or one of its paragraphs/points, or the
    article that contains it): ``CoE`` 26 is cited by ``CoE Art 26``; ``PP`` 6(3) by
    ``PP Art 6(3)(a)`` and by ``PP Art 6``."""
    want = (_norm(number), *(_norm(p) for p in path))
    found = []
    for criterion in rubric.criteria:
        for basis in criterion.legal_basis:
            try:
                parsed = parse_citation(basis)
            except CitationError:
                continue
            if parsed.key != key:
                continue
            for t in parsed.targets:
                have = (_norm(t.number), *(_norm(p) for p in t.path))
                shorter = min(len(have), len(want))
                if have[:shorter] == want[:shorter]:
                    found.append(criterion)
                    break
            else:
                continue
            break
    return found


def instrument_keys(resolver: Resolver) -> dict[str, str]:
    """Indexed standard's document id -> the rubric's abbreviation for it (``PP``, ``CoE``)."""
    found: dict[str, str] = {}
    for key in resolver.rubric.instruments:
        record = resolver.document(key)
        if record is not None and is_standard(record):
            found.setdefault(record.id, key)
    return found


def outline(catalog: Catalog, rubric: Rubric) -> dict:
    """What ``ctkb standards`` lists: each indexed standard with its articles (number, heading,
    how many paragraphs or points), and each instrument the rubric cites with the document
    holding its text, if indexed (a national law for an instrument such as the TVPA)."""
    resolver = Resolver(catalog, rubric)
    keys = instrument_keys(resolver)
    listed = []
    for record in standards(catalog):
        top, children = resolver._tree(record.id)
        listed.append({
            "doc_id": record.id, "instrument": keys.get(record.id), "title": record.title, "kind": record.kind,
            "year": record.year, "language": record.language,
            "articles": [{"number": p.number, "citation": p.citation, "heading": p.heading,
                          "children": len(children.get(p.id, []))} for p in top.values()],
        })
    instruments = []
    for key, spec in rubric.instruments.items():
        record = resolver.document(key)
        instruments.append({"key": key, "title": spec.title, "indexed": record is not None,
                            "doc_id": record.id if record else None,
                            "standard": bool(record is not None and is_standard(record))})
    return {"standards": listed, "instruments": instruments}
