"""The app and the command line on one embedded store (kb.lease): the app holds the store only
while it uses it, so the CLI works between its requests; whoever cannot get the store is told
who holds it. Real Qdrant Edge store, real CLI processes, the fictional sample corpus."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_ctkb

from kb.lease import LeasedStore
from kb.settings import Settings
from kb.store.base import StoreError
from kb.store.factory import open_store


class FakeStore:
    """Records calls; stands in for the engine in the pure-logic tests of the lease."""

    name = "fake"

    def __init__(self) -> None:
        self.closed = False

    def count(self, doc_id: str | None = None) -> int:
        assert not self.closed, "used after close"
        return 7

    def scroll(self, batch: int = 256):
        for i in range(3):
            assert not self.closed, "closed while a scroll was being read"
            yield i

    def close(self) -> None:
        self.closed = True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _lease(idle: float = 10.0):
    opened: list[FakeStore] = []

    def opener() -> FakeStore:
        opened.append(FakeStore())
        return opened[-1]

    clock = Clock()
    return LeasedStore(opener, idle_seconds=idle, clock=clock), opened, clock


def test_the_lease_opens_the_store_on_first_use_only() -> None:
    lease, opened, _ = _lease()
    assert not lease.is_open and opened == []
    assert lease.count() == 7 and lease.count("x") == 7
    assert len(opened) == 1 and lease.is_open and lease.name == "fake"


def test_an_idle_store_is_closed_and_reopened_on_the_next_call() -> None:
    lease, opened, clock = _lease(idle=10)
    lease.count()
    clock.now = 5
    time.sleep(0.1)
    assert lease.is_open  # used 5 s ago, idle after 10
    clock.now = 100
    deadline = time.monotonic() + 5
    while lease.is_open and time.monotonic() < deadline:  # the reaper checks every idle/4, at most 2 s
        time.sleep(0.05)
    assert not lease.is_open and opened[-1].closed
    assert lease.count() == 7 and len(opened) >= 2 and not opened[-1].closed


def test_a_scroll_in_progress_keeps_the_store_open() -> None:
    lease, opened, clock = _lease(idle=0.2)
    items = lease.scroll()
    assert next(items) == 0
    clock.now = 100
    assert lease.release() is False  # busy: not closed under the reader
    assert list(items) == [1, 2]
    assert lease.release() is True and opened[0].closed


def test_a_borrowers_close_leaves_the_decision_to_the_lease() -> None:
    lease, opened, _ = _lease()
    lease.count()
    lease.close()
    assert lease.is_open and not opened[0].closed


# -- the real engine and the real CLI -----------------------------------------------------------

@pytest.fixture
def home(tmp_path: Path, sample_home: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(sample_home, target)
    return target


def test_the_cli_works_while_the_app_holds_an_idle_lease(home: Path) -> None:
    lease = LeasedStore(lambda: open_store(Settings(home=home)), idle_seconds=0.3)
    before = lease.count()
    reading = lease.scroll(with_vectors=False)  # the app in the middle of a request
    next(reading)
    busy = run_ctkb("check", "--json", home=home)  # opens the store, loads no model
    assert busy.returncode == 1 and "in use by process" in busy.stderr and "CTKB_QDRANT_URL" in busy.stderr
    assert "Traceback" not in busy.stderr
    reading.close()  # the request ends
    deadline = time.monotonic() + 5
    while lease.is_open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not lease.is_open
    result = run_ctkb("check", "--json", home=home, check=True)
    assert json.loads(result.stdout)["consistent"] is True
    assert lease.count() == before and lease.opened == 2  # the app's next call reopens it


@contextlib.contextmanager
def another_process_holding(home: Path):
    """A separate process (a stand-in for `ctkb index`) with the embedded store open."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from kb.settings import Settings; "
         "from kb.store.factory import open_store; s = open_store(Settings(home=sys.argv[1])); s.count(); "
         "print('held', flush=True); time.sleep(60)", str(home)],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_the_app_is_told_who_holds_the_store_while_the_cli_has_it(home: Path) -> None:
    with another_process_holding(home) as holder:
        lease = LeasedStore(lambda: open_store(Settings(home=home)), idle_seconds=5)
        with pytest.raises(StoreError) as info:
            lease.count()
        assert f"in use by process {holder.pid}" in str(info.value) and "CTKB_QDRANT_URL" in info.value.hint
        assert not lease.is_open
    assert lease.count() > 0  # once the holder is gone, the same lease opens it


def test_the_search_page_shows_the_holder_instead_of_a_traceback(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    with another_process_holding(home) as holder:
        monkeypatch.setenv("CTKB_HOME", str(home))
        monkeypatch.chdir(REPO)
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        at.run()
        at.switch_page("app_pages/search.py")
        at.run()
        at.text_input[0].input("victims").run()
        assert not at.exception, at.exception
        assert any(f"in use by process {holder.pid}" in e.value and "Try again" in e.value for e in at.error)
