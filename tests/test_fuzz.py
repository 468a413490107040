"""A short fuzzing run (``make stress`` runs 2,000 cases): mutated corpus PDFs and text
files through extraction, cleaning, segmentation and enrichment in the isolated worker.
Reproducible: hypothesis draws the mutations from a fixed seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.isolate import Budget
from stress import fuzz


@pytest.fixture(scope="module")
def report(corpus_dir: Path) -> fuzz.Report:
    return fuzz.run(corpus_dir, count=150, rng_seed=20260, jobs=2, budget=Budget(seconds=60.0, memory_mb=2048.0),
                    text_bytes=6000, pdf_pages=1)


def test_every_mutated_document_is_indexed_or_fails_with_a_clear_reason(report: fuzz.Report) -> None:
    assert len(report.results) == 150
    assert not report.uncaught, "\n".join(fuzz.summary(report, Budget(seconds=60.0)))


def test_no_mutated_document_runs_past_the_time_budget(report: fuzz.Report) -> None:
    assert not report.hangs, "\n".join(fuzz.summary(report, Budget(seconds=60.0)))


def test_the_mutations_reach_both_outcomes(report: fuzz.Report) -> None:
    assert report.count("indexed") > 10 and report.count("failed") > 10
