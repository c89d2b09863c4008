"""Watch readers for cards coming and going, on a background thread.

`CardWatcher` calls `on_inserted(reader)` / `on_removed(reader)` from its own thread; the UI
bridges them to Qt signals (devices stay Qt-free). Readers plugged in or out later are
picked up; `on_error(CardError)` reports pcscd going away (the watcher keeps retrying).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from smartcard import scard

from kiosk.devices.card.errors import CardError, PcscdNotRunning
from kiosk.devices.card.reader import raise_for

log = logging.getLogger("kiosk.card.monitor")

PNP = "\\\\?PnP?\\Notification"
_POLL_MS = 300  # how often the thread looks at its stop flag


class CardWatcher:
    """Reports card insertion and removal per reader. Start with `start()`, end with `stop()`."""

    def __init__(
        self,
        on_inserted: Callable[[str], None],
        on_removed: Callable[[str], None],
        on_error: Callable[[CardError], None] | None = None,
    ) -> None:
        self.on_inserted = on_inserted
        self.on_removed = on_removed
        self.on_error = on_error
        self._stop = threading.Event()
        self._present: set[str] = set()
        self._counts: dict[str, int] = {}
        self._thread = threading.Thread(target=self._run, name="card-watcher", daemon=True)

    @property
    def present(self) -> frozenset[str]:
        """Readers that hold a card right now (as last seen)."""
        return frozenset(self._present)

    def start(self) -> CardWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        reported_down = False
        while not self._stop.is_set():
            try:
                self._watch()
                reported_down = False
            except CardError as e:
                for reader in sorted(self._present):
                    self.on_removed(reader)
                self._present.clear()
                if not reported_down and self.on_error is not None:
                    self.on_error(e)
                reported_down = isinstance(e, PcscdNotRunning)
                self._stop.wait(1.0)

    def _watch(self) -> None:
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        raise_for(hresult, "connecting to pcscd")
        try:
            states: dict[str, int] = {PNP: scard.SCARD_STATE_UNAWARE}
            while not self._stop.is_set():
                hresult, names = scard.SCardListReaders(ctx, [])
                names = [] if hresult == scard.SCARD_E_NO_READERS_AVAILABLE else list(names)
                if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_NO_READERS_AVAILABLE):
                    raise_for(hresult, "listing readers")
                for gone in set(states) - set(names) - {PNP}:
                    del states[gone]
                    self._set(gone, False)
                for name in names:
                    states.setdefault(name, scard.SCARD_STATE_UNAWARE)
                query = [(r, s) for r, s in states.items()]
                hresult, result = scard.SCardGetStatusChange(ctx, _POLL_MS, query)
                if hresult == scard.SCARD_E_TIMEOUT:
                    continue
                if hresult in (scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE):
                    continue  # a reader went away between listing and waiting: list again
                raise_for(hresult, "waiting for card events")
                for reader, event, _atr in result:
                    states[reader] = event & ~scard.SCARD_STATE_CHANGED
                    if reader != PNP:
                        self.reader_state(reader, event)
        finally:
            scard.SCardReleaseContext(ctx)

    def reader_state(self, reader: str, event: int) -> None:
        """Report what a reader's new PC/SC event state means (called on the watcher thread)."""
        present = bool(event & scard.SCARD_STATE_PRESENT) and not (
            event & (scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_IGNORE)
        )
        # pcsc-lite counts card events in the high word: a card swapped within one polling
        # interval shows as "still present" with a new count, and must read as out-then-in
        count = (event >> 16) & 0xFFFF
        before = self._counts.get(reader)
        self._counts[reader] = count
        if present and before is not None and count != before:
            self._set(reader, False)
        self._set(reader, present)

    def _set(self, reader: str, present: bool) -> None:
        if present and reader not in self._present:
            self._present.add(reader)
            self.on_inserted(reader)
        elif not present and reader in self._present:
            self._present.discard(reader)
            self.on_removed(reader)
