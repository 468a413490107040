"""Cross-references to other provisions ('section 3', 'artículo 145 bis') from a prepared spaCy Doc."""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from indexing import patterns as P
from indexing.enrich_common import (
    _TARGET,
)
from kb.models import CrossRef, Provision


def _target_end(doc: Doc, i: int) -> int:
    """Extend a target past "bis", "-A" and bracketed labels: "279.01(1)(a)"."""
    n = len(doc)
    if i < n and doc[i].lower_ in P.SUFFIXES:
        i += 1
    if i + 1 < n and doc[i].text == "-" and len(doc[i + 1].text) == 1 and doc[i + 1].is_upper:
        i += 2
    while i + 2 < n and doc[i].text == "(" and doc[i + 2].text == ")" and len(doc[i + 1].text) <= 4 and (
        doc[i].whitespace_ == "" or doc[i - 1].text == ")"
    ):
        i += 3
    return i


def _is_target(token: Token) -> bool:
    return P.is_num(token) or bool(_TARGET.match(token.text))


def find_cross_refs(rules: Any, doc: Doc, root: Provision) -> list[CrossRef]:
    """References such as "sections 42 and 43 of the Penal Code", one per target."""
    refs: list[CrossRef] = []
    for span in filter_spans([doc[s:e] for _, s, e in rules.refs(doc)]):
        kind = _ref_kind(span)
        groups = [(span.start, _target_end(doc, span.end))]
        i = groups[0][1]
        while i + 1 < len(doc) and doc[i].lower_ in P.LIST_JOINERS and _is_target(doc[i + 1]):
            if doc[i].text == "," and i + 2 < len(doc) and doc[i + 2].text == "." :
                break
            end = _target_end(doc, i + 2)
            groups.append((i + 1, end))
            i = end
        if i < len(doc) and doc[i].lower_ in {"and", "or", "y", "et"} and i + 1 < len(doc) and _is_target(doc[i + 1]):
            groups.append((i + 1, _target_end(doc, i + 2)))
            i = groups[-1][1]
        while i < len(doc) and doc[i].lower_ in P.SKIP_BEFORE_EXTERNAL:
            i += 1
        external = _names_instrument(rules, doc, i)
        first_target = span.end - 1 if doc[span.end - 1].text != ")" else span.end - 3
        for n, (g_start, g_end) in enumerate(groups):
            t_start = first_target if n == 0 else g_start
            target = "".join(t.text for t in doc[t_start:g_end]).rstrip(".")
            if n == 0 and target == root.number and span.start_char < 12:
                break  # the provision's own heading, not a reference
            text_span = doc[g_start:g_end]
            refs.append(CrossRef(
                text=text_span.text, target=target, kind=kind, external=external,
                start=root.start + text_span.start_char, end=root.start + text_span.end_char,
            ))
    return refs


def _names_instrument(rules: Any, doc: Doc, i: int) -> bool:
    """Whether "of the Penal Code"-like words start at token ``i``."""
    window = doc[i:min(len(doc), i + 14)]
    return any(span.start == i for span in rules.external(window, as_spans=True))


def _ref_kind(span: Span) -> str:
    words = [t.lower_ for t in span]
    if words[:3] == ["sub", "-", "section"] or words[:3] == ["sub", "-", "sections"]:
        return "subsection"
    if words[:3] == ["sub", "-", "paragraph"]:
        return "subparagraph"
    return P.NOUN_KIND.get(words[0], P.NOUN_KIND.get(words[0] + ".", "section"))
