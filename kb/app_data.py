"""What the app's pages show, computed here so that ``app.py`` and its pages only render.

Every function takes the catalogue (opened per script run: SQLite connections stay in the
thread that made them) and returns plain data or pydantic models.
"""

from __future__ import annotations

import hashlib

from pydantic import Field

from kb.catalog import Catalog
from kb.models import DocumentRecord, Strict
from kb.ocr_quality import ocr_caveat
from kb.regions import region_of
from kb.rubric import Rubric
from kb.scoring.country import COVERAGE, country_view, pillar_summary
from kb.scoring.models import CountryScore, Run, Score
from kb.scoring.runs import RunStore
from kb.standards import is_standard

LEVEL_MARK = {"present": "●", "partial": "◐", "absent": "○"}
LEVEL_COLOUR = {"present": "#c8e6c9", "partial": "#fff3c4", "absent": "#ffcdd2"}


class Board(Strict):
    """One run seen country by country: the data behind the overview and the profiles."""

    run: Run
    rubric_name: str
    countries: dict[str, list[CountryScore]]
    coverage: dict[str, dict[str, float]] = Field(description="country -> pillar -> weighted coverage 0..1")
    kinds: dict[str, list[str]] = Field(description="country -> document kinds it rests on")
    regions: dict[str, str] = Field(default_factory=dict, description="country -> region (kb.regions)")


def latest_run(catalog: Catalog) -> Run | None:
    runs = RunStore(catalog).runs()
    return runs[0] if runs else None


def library_key(catalog: Catalog) -> str:
    """Changes whenever a document is added, replaced or removed (a cache key for views)."""
    rows = sorted((d.id, d.sha256, d.status) for d in catalog.documents())
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def live_scores(catalog: Catalog, run: Run) -> list[Score]:
    """The run's scores of documents still in the library (a removed document drops out
    of every view; the run itself keeps them as history). Standards are no country: an
    older run's scores of them are left out too."""
    present = {d.id for d in catalog.documents() if d.status == "indexed" and not is_standard(d)}
    return [s for s in RunStore(catalog).scores(run.id) if s.doc_id in present]


def library_sections(records: list[DocumentRecord]) -> tuple[list[DocumentRecord], list[DocumentRecord]]:
    """The library split in two: national documents, then standards (international instruments
    and model laws), each in catalogue order. A standard is no country's law: it is listed apart."""
    return [r for r in records if not is_standard(r)], [r for r in records if is_standard(r)]


def other_countries(records: list[DocumentRecord], country: str) -> list[str]:
    """The countries with indexed national documents other than ``country``, sorted: what a
    provision can be compared with (a standard's ``INTL`` is no country)."""
    return sorted({r.country for r in records if r.status == "indexed" and not is_standard(r) and r.country != country})


def board(catalog: Catalog, run: Run, rubric: Rubric) -> Board:
    """Every country's level per criterion in ``run`` with pillar coverage."""
    scores = live_scores(catalog, run)
    view = country_view(scores, [(c.id, c.pillar, c.title) for c in rubric.criteria])
    weights = {c.id: c.weight for c in rubric.criteria}
    kinds: dict[str, set[str]] = {}
    given: dict[str, str] = {}
    records = {d.id: d for d in catalog.documents()}
    for s in scores:
        record = records.get(s.doc_id)
        kinds.setdefault(s.country, set()).add((record.kind if record else None) or "unspecified")
        if record and isinstance(record.meta.get("region"), str):
            given.setdefault(s.country, record.meta["region"])
    return Board(run=run, rubric_name=rubric.name, countries=view,
                 coverage={c: pillar_summary(rows, weights) for c, rows in view.items()},
                 kinds={c: sorted(k) for c, k in kinds.items()},
                 regions={c: region_of(c, given.get(c)) for c in view})


def matrix(b: Board, rubric: Rubric, *, pillars: list[str] | None = None, kinds: list[str] | None = None,
           regions: list[str] | None = None, reviewed: set[tuple[str, str]] | None = None) -> tuple[list[str], list[dict[str, str]]]:
    """Countries x criteria: the columns (criterion ids grouped by pillar) and one row per country.

    A cell holds the level's mark, with a trailing ``✓`` when an advisor reviewed it.
    """
    columns = [c.id for c in rubric.criteria if not pillars or c.pillar in pillars]
    rows = []
    for country, cells in sorted(b.countries.items()):
        if kinds and not set(kinds) & set(b.kinds.get(country, [])):
            continue
        if regions and b.regions.get(country) not in regions:
            continue
        by_id = {r.criterion: r for r in cells}
        row = {"country": country}
        for cid in columns:
            r = by_id.get(cid)
            mark = "" if r is None else LEVEL_MARK[r.level]
            row[cid] = mark + (" ✓" if reviewed and (country, cid) in reviewed else "")
        rows.append(row)
    return columns, rows


def gaps(rows: list[CountryScore], rubric: Rubric) -> list[CountryScore]:
    """Absent first, then partial; heavier criteria first within each (the rubric's weights)."""
    weight = {c.id: c.weight for c in rubric.criteria}
    order = {"absent": 0, "partial": 1}
    found = [r for r in rows if r.level in order]
    return sorted(found, key=lambda r: (order[r.level], -weight.get(r.criterion, 1.0), r.criterion))


def scorecard(rows: list[CountryScore], rubric: Rubric) -> list[dict[str, object]]:
    """Per pillar: criteria present / partial / absent and weighted coverage."""
    out = []
    weights = {c.id: c.weight for c in rubric.criteria}
    for pillar, name in rubric.pillars.items():
        mine = [r for r in rows if r.pillar == pillar]
        if not mine:
            continue
        total = sum(weights.get(r.criterion, 1.0) for r in mine)
        covered = sum(weights.get(r.criterion, 1.0) * COVERAGE[r.level] for r in mine)
        out.append({"pillar": name, "present": sum(r.level == "present" for r in mine),
                    "partial": sum(r.level == "partial" for r in mine),
                    "absent": sum(r.level == "absent" for r in mine), "coverage": round(covered / total, 2)})
    return out


def ocr_confidences(catalog: Catalog, provision_ids: list[str]) -> dict[str, float]:
    """The OCR confidence of those of ``provision_ids`` whose text is from OCR, in one query.

    Pages show many provisions per rerun (a profile's evidence, a list of hits): one
    indexed lookup for all of them keeps the page's latency flat. Ids the catalogue no
    longer holds, and provisions not from OCR, are left out.
    """
    wanted = list(dict.fromkeys(provision_ids))
    found: dict[str, float] = {}
    for i in range(0, len(wanted), 500):  # under SQLite's bound-parameter limit
        chunk = wanted[i:i + 500]
        rows = catalog._db.execute(  # the catalogue has no batch lookup by provision id
            "SELECT id, json_extract(data, '$.ocr_confidence') FROM provisions "
            f"WHERE id IN ({','.join('?' * len(chunk))}) AND json_extract(data, '$.ocr_confidence') IS NOT NULL",
            chunk).fetchall()
        found.update((pid, float(conf)) for pid, conf in rows)
    return found


def ocr_note(confidence: float | None) -> str | None:
    """The caption shown under a provision's text when it is from OCR (None when it is not)."""
    caveat = ocr_caveat(confidence)
    return None if caveat is None else "⚠ " + caveat


def ocr_label(record: DocumentRecord) -> str:
    """The library table's OCR cell: ``5 pages OCR, 0.89``; empty when no page was OCR'd."""
    if not record.ocr_pages:
        return ""
    pages = f"{record.ocr_pages} page{'s' if record.ocr_pages != 1 else ''} OCR"
    return pages + (f", {record.ocr_confidence:.2f}" if record.ocr_confidence is not None else "")


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~:$=")


def escape_markdown(text: str) -> str:
    """``text`` shown literally by ``st.markdown``: every Markdown/HTML control character escaped.

    Provision text comes from documents; it must never be interpreted (a ``<script>``, a
    ``**`` or a ``[link](…)`` in a law is shown as written).
    """
    out = []
    for ch in text:
        if ch in _MD_SPECIAL:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("  \n")
        else:
            out.append(ch)
    return "".join(out)


def marked_markdown(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` escaped, with the ``spans`` (key terms) highlighted."""
    merged: list[list[int]] = []
    for a, b in sorted(set(spans)):  # overlapping cue matches become one highlight
        if b <= a or b > len(text):
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(escape_markdown(text[pos:a]))
        out.append(":orange-background[" + escape_markdown(text[a:b]) + "]")
        pos = b
    out.append(escape_markdown(text[pos:]))
    return "".join(out)


EVALUATION_METRICS = ("f1_addressed", "macro_f1", "kappa_3", "evidence_hit_at_3")


def evaluation_rows(report: dict) -> list[dict[str, object]]:
    """``ctkb evaluate --json``'s report as table rows: overall, per pillar, per language, baselines."""
    def row(scope: str, figures: dict) -> dict[str, object]:
        cells = {m: None if figures.get(m) is None else round(figures[m], 3) for m in EVALUATION_METRICS}
        return {"scope": scope, **cells, "n": figures.get("n")}

    rows = [row("overall", report)]
    rows += [row(f"pillar {p}", f) for p, f in report.get("per_pillar", {}).items()]
    rows += [row(f"language {lang}", f) for lang, f in report.get("per_language", {}).items()]
    rows += [row(f"{name} baseline (≥ {f['threshold']:g})", f) for name, f in report.get("baselines", {}).items()]
    return rows
