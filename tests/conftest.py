"""Shared fixtures. The real corpus comes from $CTKB_CORPUS (``.ci/run`` sets it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def _real_corpus() -> Path:
    value = os.environ.get("CTKB_CORPUS")
    if not value:
        pytest.fail("CTKB_CORPUS is not set: point it at the real corpus (e.g. ../shared/corpus); .ci/run does this")
    path = Path(value).resolve()
    if not (path / "manifest.yaml").is_file():
        pytest.fail(f"CTKB_CORPUS={value} has no manifest.yaml: point it at the real corpus (e.g. ../shared/corpus)")
    if path == (REPO / "corpus").resolve():
        pytest.fail("CTKB_CORPUS points at the fictional sample corpus; the tests need the real one (../shared/corpus)")
    return path


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real corpus folder."""
    return _real_corpus()


@pytest.fixture(scope="session")
def manifest(corpus_dir: Path) -> dict[str, dict]:
    """Real manifest entries by document id."""
    entries = yaml.safe_load((corpus_dir / "manifest.yaml").read_text(encoding="utf-8"))
    return {e["id"]: e for e in entries}


@pytest.fixture(scope="session")
def sample_corpus() -> Path:
    """The fictional sample corpus shipped in the repo."""
    return REPO / "corpus"


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path) -> Path:
    """The fictional sample corpus indexed and scored (run ``t``) by the real CLI, once per
    session. Read it, or copy it before changing it."""
    home = tmp_path_factory.mktemp("sample") / "home"
    run_ctkb("index", "--manifest", str(sample_corpus / "manifest.yaml"), home=home, check=True)
    run_ctkb("score", "--name", "t", home=home, check=True)
    return home


def run_ctkb(*args: str, home: Path, env: dict[str, str] | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the real ``ctkb`` command line in a subprocess."""
    full_env = {**os.environ, "CTKB_HOME": str(home), "COLUMNS": "200", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "kb.cli", *args], capture_output=True, text=True, env=full_env, cwd=REPO, timeout=900
    )
    if check and result.returncode != 0:
        raise AssertionError(f"ctkb {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def copy_catalogue(source_home: Path, home: Path) -> None:
    """Copy a home's catalogue alone (what the views and exports read) with SQLite's backup API."""
    import sqlite3

    home.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source_home / "catalog.sqlite"), sqlite3.connect(home / "catalog.sqlite")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture(scope="session")
def real_home(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    """A knowledge base with the whole real corpus indexed through the CLI, once per session.

    For quicker local iterations, ``CTKB_TEST_REAL_HOME`` may name a home indexed the same
    way; it is copied (never modified) and then brought up to date by the same command.
    """
    import fcntl
    import shutil

    # `make test` runs two pytest-xdist workers: the first to get here indexes the corpus once,
    # the other waits, and each works on its own copy (an embedded store serves one process).
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    built = shared / "real-home-built"
    with open(shared / "real-home-built.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (built / ".complete").exists():
            prebuilt = os.environ.get("CTKB_TEST_REAL_HOME")
            if prebuilt:
                shutil.copytree(prebuilt, built, dirs_exist_ok=True)
            run_ctkb("index", "--manifest", str(corpus_dir / "manifest.yaml"), home=built)
            (built / ".complete").touch()
    home = tmp_path_factory.mktemp("real-home")
    shutil.copytree(built, home, dirs_exist_ok=True)
    return home


@pytest.fixture(scope="session")
def scored_home(real_home: Path) -> Path:
    """``real_home`` scored once per session with the default rubric, as run ``scored``.

    Tests that need these scores name the run (``--run scored``): other tests add runs.
    """
    run_ctkb("score", "--name", "scored", home=real_home, check=True)
    return real_home


@pytest.fixture(scope="session")
def dev_gold(corpus_dir: Path) -> Path:
    """The development gold labels, beside the real corpus (../shared/gold/dev.yaml)."""
    path = corpus_dir.parent / "gold" / "dev.yaml"
    if not path.is_file():
        pytest.fail(f"no gold labels at {path}: the tests expect ../shared/gold/dev.yaml beside the corpus")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order test files so that, under pytest-xdist (``--dist loadfile``), one worker starts on a
    file that needs the real corpus indexed (it builds it, about three minutes) while the other
    runs the files that do not need it, instead of both waiting for the build."""
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(str(item.path), []).append(item)
    heavy = {"real_home", "scored_home"}

    def needs_home(file: str) -> bool:
        return any(heavy & set(getattr(item, "fixturenames", ())) for item in by_file[file])

    corpus = [f for f in by_file if needs_home(f)]
    order = corpus[:1] + [f for f in by_file if f not in corpus] + corpus[1:]
    items[:] = [item for f in order for item in by_file[f]]
