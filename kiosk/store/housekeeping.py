"""The store's background work in a running kiosk: deliver the outbox, purge once a day.

The composition root starts one `Housekeeping` after opening the store and stops it on
quit. It runs on its own thread because delivery waits on the network; submissions keep
going meanwhile. Environment faults are logged (ids only) and tried again next round.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from kiosk import logs
from kiosk.store.errors import StoreError
from kiosk.store.outbox import Sink
from kiosk.store.store import PurgeReport, Store, SyncReport

log = logging.getLogger("kiosk.store.housekeeping")


@dataclass(frozen=True)
class Round:
    """What one round did; None where that step failed or was not due."""

    synced: SyncReport | None
    purged: PurgeReport | None


class Housekeeping:
    """Every `interval_s`: `store.sync(sink)` then `store.purge_if_due()`."""

    def __init__(self, store: Store, sink: Sink, interval_s: float) -> None:
        self.store = store
        self.sink = sink
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    def run_once(self) -> Round:
        synced = purged = None
        try:
            synced = self.store.sync(self.sink)
        except StoreError as e:
            logs.event(log, "outbox.sync_failed", logging.WARNING, error=e.message_id)
        try:
            purged = self.store.purge_if_due()
        except StoreError as e:
            logs.event(log, "store.purge_failed", logging.WARNING, error=e.message_id)
        self.rounds += 1
        return Round(synced, purged)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="store-housekeeping", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its round and wait for it (a delivery may be in flight)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a bug must not end deliveries for the rest of the day
                log.exception("store.housekeeping_bug")
            self._stop.wait(self.interval_s)
