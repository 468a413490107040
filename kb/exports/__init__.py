"""Deliverables for drafting teams: a Word gap memo, a countries-by-criteria spreadsheet and a
side-by-side comparison, each carrying its provenance (run, rubric and calibration checksums,
models, document checksums, export time).

The ``*_docx``/``*_xlsx``/``*_csv`` functions return the file's content and touch no file (the
app offers them as downloads); the ``export_*`` functions check the output path, build the
content and then write it whole (the CLI's ``ctkb export``).

    from kb.exports import memo_docx, matrix_xlsx, matrix_csv, compare_docx, compare_xlsx
    data = memo_docx(catalog, "ZMB", run="scored")
"""

from kb.exports.service import (
    SUFFIXES,
    Written,
    check_output,
    compare_docx,
    compare_xlsx,
    export_compare,
    export_matrix,
    export_memo,
    matrix_csv,
    matrix_xlsx,
    memo_docx,
    write_atomic,
)

__all__ = ["SUFFIXES", "Written", "check_output", "compare_docx", "compare_xlsx", "export_compare", "export_matrix",
           "export_memo", "matrix_csv", "matrix_xlsx", "memo_docx", "write_atomic"]
