"""The site's side of the session ports: clock, audit log, staff bell and counter tickets.

Each is a small adapter from what the devices and the store offer to what
`kiosk.flows.ports` asks, so the session never learns where its answers come from.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

from kiosk import logs
from kiosk.flows.ports import Clock
from kiosk.store.store import Store

log = logging.getLogger("kiosk.site")


class SystemClock:
    """`ports.Clock` of the machine: local time with its zone, and a monotonic second count."""

    def now(self) -> datetime:
        return datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()


class StoreAudit:
    """`AuditPort` over the store's hash-chained, allow-listed audit log."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
        self,
        session_id: str,
        event: str,
        *,
        role: str,
        categories: Sequence[str] = (),
        purpose: str = "identity",
        **fields: object,
    ) -> None:
        self._store.audit(
            event,
            session_id=session_id,
            role=role,
            categories=categories,
            purpose=purpose,
            **fields,
        )


class TodaysFigures:
    """`StatisticsPort`: today's counts from the audit log, for an administrator's screen."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or SystemClock()

    def stats_today(self) -> Mapping[str, object]:
        midnight = self._clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return self._store.stats(since=midnight)


class StaffBell:
    """`StaffCallPort`: rings until answered, and says so in the log for a staff terminal."""

    def __init__(self, ring: Callable[[], None], repeat_s: float = 6.0) -> None:
        self._ring = ring
        self._repeat_s = repeat_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ringing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def call(self) -> None:
        logs.event(log, "staff.called")
        if self.ringing:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="staff-bell", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        logs.event(log, "staff.call_ended")
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._ring()
            self._stop.wait(self._repeat_s)


class TicketCounter:
    """`CounterPort`: numbers from 1 each day, kept in a small file so a restart never reuses
    one. A ticket carries no personal data; `print_ticket` prints it when a printer is there."""

    def __init__(
        self,
        path: Path,
        today: Callable[[], date] = date.today,
        print_ticket: Callable[[str], None] | None = None,
    ) -> None:
        self._path = path
        self._today = today
        self._print = print_ticket
        self._lock = threading.Lock()

    def issue_ticket(self) -> str:
        with self._lock:
            day = self._today().isoformat()
            last = 0
            try:
                saved = json.loads(self._path.read_text(encoding="utf-8"))
                if saved.get("day") == day:
                    last = int(saved.get("last", 0))
            except (OSError, ValueError, AttributeError):
                last = 0  # a lost or torn file starts the day again; numbers stay unique today
            number = last % 9999 + 1
            _write_atomically(self._path, json.dumps({"day": day, "last": number}))
        ticket = str(number)
        logs.event(log, "counter.ticket", ticket=ticket)
        if self._print is not None:
            self._print(ticket)
        return ticket


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tickets-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
