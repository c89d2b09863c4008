from __future__ import annotations

import threading
import wave
from datetime import UTC, date
from io import BytesIO
from pathlib import Path

from kiosk.devices.bell import Bell, chime
from kiosk.flows.site import StaffBell, TicketCounter


class Day:
    def __init__(self, d: date) -> None:
        self.d = d

    def __call__(self) -> date:
        return self.d


def test_tickets_count_up_survive_a_restart_and_start_again_each_day(tmp_path: Path) -> None:
    day = Day(date(2026, 11, 22))
    printed: list[str] = []
    path = tmp_path / "tickets.json"
    assert [TicketCounter(path, day, printed.append).issue_ticket() for _ in range(3)] == [
        "1", "2", "3",
    ]  # fmt: skip
    assert TicketCounter(path, day).issue_ticket() == "4"  # a restart never reuses a number
    day.d = date(2026, 11, 23)
    assert TicketCounter(path, day).issue_ticket() == "1"
    assert printed == ["1", "2", "3"]
    assert "山田" not in path.read_text(encoding="utf-8")


def test_a_torn_ticket_file_does_not_stop_the_counter(tmp_path: Path) -> None:
    path = tmp_path / "tickets.json"
    path.write_text("{not json", encoding="utf-8")
    assert TicketCounter(path, Day(date(2026, 11, 22))).issue_ticket() == "1"


def test_bell_rings_until_the_call_is_answered() -> None:
    rang = threading.Semaphore(0)
    bell = StaffBell(rang.release, repeat_s=0.01)
    bell.call()
    assert rang.acquire(timeout=5) and rang.acquire(timeout=5)  # it repeats
    bell.call()  # a second call does not start a second ringer
    bell.cancel()
    assert not bell.ringing


class Player:
    def __init__(self) -> None:
        self.played: list[bytes] = []

    def play(self, wav: bytes) -> None:
        self.played.append(wav)

    def stop(self) -> None:
        pass


def test_chime_is_a_short_audible_wav() -> None:
    with wave.open(BytesIO(chime()), "rb") as w:
        seconds = w.getnframes() / w.getframerate()
        samples = w.readframes(w.getnframes())
    assert 0.5 < seconds < 2.0
    assert max(samples[1::2]) > 40  # high bytes of 16-bit samples: not silence
    player = Player()
    Bell(player).ring()
    assert player.played == [chime()]


def test_todays_figures_count_only_today(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    from kiosk.config import Settings
    from kiosk.flows.site import StoreAudit, TodaysFigures
    from kiosk.paths import DataDir
    from kiosk.store.store import Store

    now = [datetime(2026, 11, 21, 16, 0, tzinfo=UTC)]

    class Clock:
        def now(self) -> datetime:
            return now[0]

        def monotonic(self) -> float:
            return 0.0

    data = DataDir(tmp_path / "d").ensure()
    with Store.open(data, Settings(), clock=lambda: now[0]) as store:
        audit = StoreAudit(store)
        audit.record("a" * 32, "session.started", role="resident", purpose="identity")
        now[0] += timedelta(hours=10)  # the next day
        for sid in ("b" * 32, "c" * 32):
            audit.record(sid, "session.started", role="resident", purpose="identity")
        figures = TodaysFigures(store, Clock()).stats_today()  # type: ignore[arg-type]
    assert figures["sessions"] == 2
