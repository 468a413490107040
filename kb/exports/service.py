"""The exports as bytes (for the app's downloads) and as files (for the CLI).

    data = memo_docx(catalog, "ZMB", run="scored")             # bytes, nothing written
    written = export_memo(catalog, "ZMB", Path("zmb.docx"))    # checked, then written whole

Everything is checked and built in memory before a file is touched, and the file is written
to a temporary name beside the target and renamed over it: an error leaves no file, and no
half-written one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from kb.catalog import Catalog
from kb.errors import CtkbError
from kb.exports.comparison import Comparison, build_comparison
from kb.exports.comparison import render_docx as _compare_docx
from kb.exports.comparison import render_xlsx as _compare_xlsx
from kb.exports.context import ExportContext, load_context
from kb.exports.matrix import matrix_cells, render_csv, render_xlsx
from kb.exports.memo import Memo, build_memo, render_memo
from kb.exports.provenance import Provenance, build_provenance
from kb.models import Strict
from kb.rubric import Rubric

SUFFIXES = {"memo": (".docx",), "matrix": (".xlsx", ".csv"), "compare": (".docx", ".xlsx")}
RubricArg = Rubric | str | Path | None


class Written(Strict):
    """A file an export wrote, and a one-line summary of what is in it."""

    path: str
    summary: str


# -- bytes ----------------------------------------------------------------------


def memo_docx(catalog: Catalog, country: str, *, run: str = "latest", rubric: RubricArg = None,
              exported_at: str | None = None) -> bytes:
    """A country's gap-analysis memo as .docx bytes (see :mod:`kb.exports.memo`).

    Args:
        catalog: The open catalogue.
        country: ISO3 code of a country the run scored.
        run: Run id, name or ``"latest"``.
        rubric: The rubric naming the criteria (loaded, or a path); default the run's own file.
        exported_at: ISO time to record as the export time (default now, UTC).

    Raises:
        NotFoundError: No such run.
        CtkbError: The run has no scores for the country.
    """
    ctx = load_context(catalog, run, rubric, country=country)
    return render_memo(build_memo(ctx, country, exported_at=exported_at))


def matrix_xlsx(catalog: Catalog, *, run: str = "latest", rubric: RubricArg = None,
                exported_at: str | None = None) -> bytes:
    """Countries by criteria as .xlsx bytes (see :mod:`kb.exports.matrix`); arguments as :func:`memo_docx`."""
    ctx = load_context(catalog, run, rubric)
    return render_xlsx(ctx, matrix_cells(ctx), _matrix_provenance(ctx, exported_at))


def matrix_csv(catalog: Catalog, *, run: str = "latest", rubric: RubricArg = None,
               exported_at: str | None = None) -> str:
    """Countries by criteria as CSV text, ``#`` provenance lines first; save it as ``utf-8-sig``."""
    ctx = load_context(catalog, run, rubric)
    return render_csv(matrix_cells(ctx), _matrix_provenance(ctx, exported_at))


def compare_docx(catalog: Catalog, criterion: str, countries: list[str], *, run: str = "latest",
                 rubric: RubricArg = None, exported_at: str | None = None) -> bytes:
    """One criterion across two to six countries as .docx bytes (see :mod:`kb.exports.comparison`).

    Raises:
        NotFoundError: Unknown run or criterion (listing the valid ones).
        CtkbError: Fewer than two, more than six or repeated countries, or one without scores.
    """
    return _compare_docx(build_comparison(load_context(catalog, run, rubric), criterion, countries,
                                          exported_at=exported_at))


def compare_xlsx(catalog: Catalog, criterion: str, countries: list[str], *, run: str = "latest",
                 rubric: RubricArg = None, exported_at: str | None = None) -> bytes:
    """The comparison of :func:`compare_docx` as .xlsx bytes."""
    return _compare_xlsx(build_comparison(load_context(catalog, run, rubric), criterion, countries,
                                          exported_at=exported_at))


def _matrix_provenance(ctx: ExportContext, exported_at: str | None) -> Provenance:
    docs = [d for country in ctx.countries for d in ctx.board.countries[country][0].rests_on]
    return build_provenance(ctx, "countries x criteria matrix", docs, exported_at=exported_at)


# -- files ----------------------------------------------------------------------


def check_output(path: str | Path, kind: str) -> Path:
    """The output path, when an export of ``kind`` can be written there.

    Raises:
        CtkbError: The suffix is not one ``kind`` writes (the hint lists those), the folder
            does not exist, or the path is a folder.
    """
    path = Path(path)
    allowed = SUFFIXES[kind]
    if path.suffix.lower() not in allowed:
        raise CtkbError(f"cannot write {path.name!r}: `ctkb export {kind}` writes {', '.join(allowed)} files",
                        hint=f"give --out a file name ending in {' or '.join(allowed)}")
    if path.is_dir():
        raise CtkbError(f"{path} is a folder", hint=f"give --out a file name ending in {' or '.join(allowed)}")
    if not path.parent.is_dir():
        raise CtkbError(f"folder {path.parent} does not exist", hint="create it, or give --out a path in an "
                                                                     "existing folder")
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file beside it, then a rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_memo(catalog: Catalog, country: str, out: str | Path, *, run: str = "latest",
                rubric: RubricArg = None) -> Written:
    """Write a country's gap memo to ``out`` (.docx); arguments and errors as :func:`memo_docx`."""
    path = check_output(out, "memo")
    ctx = load_context(catalog, run, rubric, country=country)
    memo: Memo = build_memo(ctx, country)
    write_atomic(path, render_memo(memo))
    absent = sum(s.level == "absent" for s in memo.sections)
    return Written(path=str(path), summary=(
        f"gap memo for {memo.country}: {len(memo.sections)} gap sections ({absent} absent, "
        f"{len(memo.sections) - absent} partial, {sum(s.reviewed for s in memo.sections)} reviewed) over "
        f"{len(memo.provenance.documents)} document(s), run {memo.provenance.run_label}"))


def export_matrix(catalog: Catalog, out: str | Path, *, run: str = "latest", rubric: RubricArg = None) -> Written:
    """Write the countries x criteria matrix to ``out`` (.xlsx or .csv)."""
    path = check_output(out, "matrix")
    ctx = load_context(catalog, run, rubric)
    cells, provenance = matrix_cells(ctx), _matrix_provenance(ctx, None)
    if path.suffix.lower() == ".csv":
        write_atomic(path, render_csv(cells, provenance).encode("utf-8-sig"))
        layout = f"{len(cells)} rows"
    else:
        write_atomic(path, render_xlsx(ctx, cells, provenance))
        pillars = sorted({c.pillar for c in cells}, key=list(ctx.rubric.pillars.values()).index)
        layout = f"sheets Matrix, {', '.join(pillars)}, Criteria, About"
    criteria = len({c.criterion for c in cells})
    return Written(path=str(path), summary=(
        f"matrix of {len(ctx.countries)} countries x {criteria} criteria ({layout}), "
        f"{sum(c.reviewed for c in cells)} reviewed cell(s), run {provenance.run_label}"))


def export_compare(catalog: Catalog, criterion: str, countries: list[str], out: str | Path, *,
                   run: str = "latest", rubric: RubricArg = None) -> Written:
    """Write one criterion across two to six countries to ``out`` (.docx or .xlsx)."""
    path = check_output(out, "compare")
    cmp: Comparison = build_comparison(load_context(catalog, run, rubric), criterion, countries)
    write_atomic(path, (_compare_docx if path.suffix.lower() == ".docx" else _compare_xlsx)(cmp))
    levels = ", ".join(f"{c.country} {c.level}" + (" (reviewed)" if c.reviewed else "") for c in cmp.columns)
    return Written(path=str(path), summary=(
        f"comparison of {cmp.name} across {levels} ({sum(len(c.provisions) for c in cmp.columns)} provision(s)), "
        f"run {cmp.provenance.run_label}"))
