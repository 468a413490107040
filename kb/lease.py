"""A store the app holds only while it uses it.

The embedded engine (Qdrant Edge) serves one process at a time. A long-lived app that kept
it open would lock the command line out for as long as the app runs (``ctkb index`` while
``make demo`` is open). :class:`LeasedStore` opens the store on first use and closes it
after ``idle_seconds`` without a call, so the CLI can take it between the app's requests;
the app's next call opens it again (about 0.1 s for the real corpus). While the CLI holds
it, a call raises the store's own clear :class:`~kb.store.base.StoreError` (who holds it,
and that a Qdrant server lifts the limit).
"""

from __future__ import annotations

import threading
import time
from types import GeneratorType
from typing import Any, Callable, Iterator

from kb.store.base import Store


class LeasedStore:
    """Any :class:`~kb.store.base.Store`, opened on use and closed when idle.

    Args:
        opener: Opens the real store (raises StoreError when another process holds it).
        idle_seconds: Close after this long without a call in progress or started.
        clock: Monotonic seconds (tests pass a fake).
    """

    def __init__(self, opener: Callable[[], Store], idle_seconds: float = 20.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._opener = opener
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._lock = threading.RLock()
        self._store: Store | None = None
        self._busy = 0
        self._last = clock()
        self.opened = 0  # how many times the real store was opened (tests and logs)
        self._reaper = threading.Thread(target=self._reap_forever, name="ctkb-store-lease", daemon=True)
        self._reaper.start()

    @property
    def is_open(self) -> bool:
        return self._store is not None

    def _enter(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = self._opener()
                self.opened += 1
            self._busy += 1
            self._last = self._clock()
            return self._store

    def _exit(self) -> None:
        with self._lock:
            self._busy -= 1
            self._last = self._clock()

    def _iterate(self, items: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from items
        finally:
            self._exit()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        store = self._enter()
        try:
            attr = getattr(store, name)
        except BaseException:
            self._exit()
            raise
        if not callable(attr):
            self._exit()
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            inner = self._enter()  # reopened if the reaper closed it since the lookup
            try:
                result = getattr(inner, name)(*args, **kwargs)
            except BaseException:
                self._exit()
                raise
            if isinstance(result, GeneratorType):  # scroll(): in use until consumed
                return self._iterate(result)
            self._exit()
            return result

        self._exit()
        return call

    def close(self) -> None:
        """A borrower's close: the lease decides (the next idle check closes it)."""

    def release(self, *, force: bool = False) -> bool:
        """Close the real store now if no call is in progress (or ``force``); True if closed."""
        with self._lock:
            if self._store is None or (self._busy and not force):
                return False
            store, self._store = self._store, None
        store.close()
        return True

    def _reap_forever(self) -> None:
        while True:
            time.sleep(max(0.05, min(self.idle_seconds / 4, 2.0)))
            with self._lock:
                idle = self._store is not None and not self._busy \
                    and self._clock() - self._last >= self.idle_seconds
            if idle:
                self.release()
