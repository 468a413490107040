"""Plain-data views of the knowledge base, shared by the CLI (``--json``) and the app."""

from __future__ import annotations

from typing import Any

from kb.catalog import Catalog
from kb.errors import NotFoundError
from kb.models import DocumentRecord, Provision, norm_number


def document_summary(record: DocumentRecord) -> dict[str, Any]:
    """What ``ctkb docs --json`` prints for one document."""
    return {
        "id": record.id,
        "country": record.country,
        "title": record.title,
        "language": record.language,
        "kind": record.kind,
        "year": record.year,
        "format": record.format,
        "pages": record.pages,
        "provisions": record.provisions,
        "status": record.status,
        "error": record.error,
        "sha256": record.sha256,
        "inferred": record.inferred,
        "ocr_pages": record.ocr_pages,
        "ocr_confidence": record.ocr_confidence,
    }


def _pages(p: Provision) -> list[int] | None:
    if p.page_start is None:
        return None
    return [p.page_start, p.page_end if p.page_end is not None else p.page_start]


def provision_tree(provisions: list[Provision]) -> list[dict[str, Any]]:
    """Nest provisions (in document order) under their parents."""
    nodes: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for p in provisions:
        node = {
            "id": p.id,
            "number": p.number if p.parent_id is None else p.label,
            "label": p.label,
            "kind": p.kind,
            "citation": p.citation,
            "heading": p.heading,
            "path": p.path,
            "pages": _pages(p),
            "start": p.start,
            "end": p.end,
            "text": p.text,
            "definitions": [d.model_dump() for d in p.definitions],
            "penalties": [x.model_dump() for x in p.penalties],
            "cross_refs": [x.model_dump() for x in p.cross_refs],
            "ocr_confidence": p.ocr_confidence,
            "children": [],
        }
        nodes[p.id] = node
        parent = nodes.get(p.parent_id) if p.parent_id else None
        (parent["children"] if parent is not None else roots).append(node)
    return roots


def document_view(catalog: Catalog, doc_id: str, provision: str | None = None) -> dict[str, Any]:
    """A document with its top-level provisions (and their subsections), or one provision.

    Args:
        catalog: The catalogue.
        doc_id: Document id.
        provision: A top-level number ("45", "273f") to select one provision.

    Raises:
        NotFoundError: Unknown document or provision number (listing the valid ones).
    """
    record = catalog.document(doc_id)
    view = document_summary(record)
    view["divisions"] = [d.model_dump() for d in catalog.divisions(doc_id)]
    tree = provision_tree(catalog.provisions(doc_id))
    if provision is not None:
        wanted = norm_number(provision)
        chosen = [node for node in tree if norm_number(node["number"]) == wanted]
        if not chosen:
            raise NotFoundError(f"provision of {doc_id} numbered", provision, [n["number"] for n in tree])
        tree = chosen
    view["provisions"] = tree
    return view
