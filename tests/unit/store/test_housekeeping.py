"""The background round: deliver, purge daily, survive a failing round."""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.store import FolderSink, StorageLocked
from kiosk.store.housekeeping import Housekeeping
from tests.helpers.store import FakeClock, open_store, submission


class CountingSink:
    kind = "folder"

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.seen = threading.Event()

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None:
        self.keys.append(idempotency_key)
        self.seen.set()


def test_one_round_delivers_and_purges_once_a_day(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_store(tmp_path, clock) as store:
        store.submit(submission(1))
        hk = Housekeeping(store, FolderSink(tmp_path / "drop", allow_plaintext=True), 60)
        first = hk.run_once()
        assert first.synced is not None and first.synced.delivered == 1
        assert first.purged is not None  # the first purge ever
        second = hk.run_once()
        assert second.purged is None  # not a day yet
        clock.advance(days=1)
        assert hk.run_once().purged is not None


def test_thread_delivers_what_arrives_and_stops(tmp_path: Path) -> None:
    sink = CountingSink()
    with open_store(tmp_path) as store:
        hk = Housekeeping(store, sink, interval_s=0.01)
        hk.start()
        try:
            store.submit(submission(1))
            assert sink.seen.wait(10)
        finally:
            hk.stop()
        assert sink.keys == ["test-key-000001"]
        assert store.outbox_status().delivered == 1


class LockedStoreSink:
    """Raises an environment fault from inside the round, like a locked database would."""

    kind = "folder"

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None:
        raise StorageLocked("held by another process")


def test_an_environment_fault_is_logged_and_the_next_round_still_runs(tmp_path: Path) -> None:
    with open_store(tmp_path, FakeClock()) as store:
        store.submit(submission(1))
        hk = Housekeeping(store, LockedStoreSink(), interval_s=60)
        r = hk.run_once()
        assert r.synced is None and r.purged is not None
        hk.sink = CountingSink()
        assert hk.run_once().synced is not None
        assert hk.rounds == 2
        assert store.outbox_status().delivered == 1
