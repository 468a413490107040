"""Retrieval quality on a labelled query set: recall@k and MRR per search mode and language.

The query set is YAML (see ``tests/retrieval_queries.yaml``): each query has its text, its
language, optional filters, and the provisions (document id + top-level number) that
answer it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from kb.models import Strict, norm_number


class Answer(Strict):
    doc: str
    number: str


class QueryFilters(Strict):
    country: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    kind: list[str] = Field(default_factory=list)


class LabelledQuery(Strict):
    id: str
    query: str
    language: str
    filters: QueryFilters = Field(default_factory=QueryFilters)
    answers: list[Answer] = Field(min_length=1)
    note: str | None = None


class QuerySet(Strict):
    queries: list[LabelledQuery]


def load_queries(path: str | Path) -> list[LabelledQuery]:
    return QuerySet.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8"))).queries


def score_ranking(ranked: list[tuple[str, str]], answers: list[Answer], k: int = 10) -> tuple[float, float]:
    """(recall@k, reciprocal rank) of one ranked list of (doc_id, number)."""
    gold = {(a.doc, norm_number(a.number)) for a in answers}
    got = [(d, norm_number(n)) for d, n in ranked]
    found = gold & set(got[:k])
    rr = next((1.0 / (i + 1) for i, pair in enumerate(got) if pair in gold), 0.0)
    return len(found) / len(gold), rr


def evaluate(kb, queries: list[LabelledQuery], modes: tuple[str, ...] = ("hybrid", "semantic", "exact"),
             k: int = 10, doc_languages: dict[str, str] | None = None) -> dict[str, Any]:
    """Run every query in every mode; aggregate overall and per language group.

    The group of a query is its language and the language of its answers' documents,
    e.g. ``en`` or ``en->es`` for an English query answered in Spanish documents.

    Returns:
        ``{"modes": {mode: {"overall": {...}, "groups": {group: {...}}}}, "queries": n}`` where
        each cell has ``recall_at_k``, ``mrr`` and ``n``.
    """
    doc_languages = doc_languages or {r.id: r.language for r in kb.catalog.documents()}
    result: dict[str, Any] = {"queries": len(queries), "k": k, "modes": {}}
    for mode in modes:
        cells: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for q in queries:
            hits = kb.search(q.query, countries=q.filters.country, languages=q.filters.language,
                             kinds=q.filters.kind, mode=mode, limit=k)
            recall, rr = score_ranking([(h.doc_id, h.number) for h in hits], q.answers, k)
            answer_langs = sorted({doc_languages.get(a.doc, "?") for a in q.answers})
            target = answer_langs[0] if len(answer_langs) == 1 else "mixed"
            group = q.language if target == q.language else f"{q.language}->{target}"
            cells["overall"].append((recall, rr))
            cells[group].append((recall, rr))
        summary = {
            name: {"recall_at_k": sum(r for r, _ in v) / len(v), "mrr": sum(m for _, m in v) / len(v), "n": len(v)}
            for name, v in cells.items()
        }
        result["modes"][mode] = {"overall": summary.pop("overall"), "groups": dict(sorted(summary.items()))}
    return result


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table: one row per group, recall@k and MRR per mode."""
    modes = list(result["modes"])
    groups = sorted({g for m in modes for g in result["modes"][m]["groups"]})
    k = result["k"]
    head = f"{'group':<12}{'n':>4}" + "".join(f"{m + ' R@' + str(k):>16}{m + ' MRR':>14}" for m in modes)
    lines = [head]
    for name in ["overall", *groups]:
        cells = [result["modes"][m]["overall"] if name == "overall" else result["modes"][m]["groups"].get(name)
                 for m in modes]
        n = next((c["n"] for c in cells if c), 0)
        row = f"{name:<12}{n:>4}"
        for c in cells:
            row += f"{c['recall_at_k']:>16.3f}{c['mrr']:>14.3f}" if c else f"{'-':>16}{'-':>14}"
        lines.append(row)
    return "\n".join(lines)
