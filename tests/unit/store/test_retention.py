"""Retention per data class, with a clock the test moves."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.store import new_session_id
from tests.helpers.store import FakeClock, open_store, submission


class AcceptAll:
    kind = "folder"

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None:
        return None


def test_delivered_submissions_go_after_their_days_undelivered_never(tmp_path: Path) -> None:
    clock = FakeClock()
    ret = {"delivered_submissions_days": 30, "audit_days": 365}
    with open_store(tmp_path, clock, retention=ret) as store:
        delivered = store.submit(submission(1)).reference
        store.sync(AcceptAll())
        waiting = store.submit(submission(2)).reference
        clock.advance(days=29)
        assert store.purge().submissions == 0
        clock.advance(days=1, seconds=1)
        report = store.purge()
        assert report.submissions == 1
        assert store.references() == [waiting]  # never lost, however old
        with pytest.raises(KeyError):
            store.document(delivered)
        clock.advance(days=3000)
        store.purge()
        assert store.references() == [waiting]


def test_old_audit_entries_are_purged_and_the_chain_still_verifies(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_store(tmp_path, clock, retention={"audit_days": 365}) as store:
        for _ in range(4):
            store.audit("session.started", session_id=new_session_id())
            clock.advance(days=100)
        # At day 400 only the entry from day 0 is over a year old.
        report = store.purge()
        assert report.audit_entries == 1
        kept = [e.seq for e in store.audit_entries()]
        assert kept == [2, 3, 4, 5]  # 5 is the purge's own entry
        assert store.verify_audit().ok
        store.audit("session.started", session_id=new_session_id())
    with open_store(tmp_path, clock) as store:
        report2 = store.verify_audit()
        assert (report2.ok, report2.entries) == (True, 5)


def test_daily_purge_runs_once_a_day(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_store(tmp_path, clock, retention={"delivered_submissions_days": 1}) as store:
        assert store.purge_if_due() is not None  # first run ever
        assert store.purge_if_due() is None
        store.submit(submission(1))
        store.sync(AcceptAll())
        clock.advance(hours=23)
        assert store.purge_if_due() is None
        clock.advance(hours=2)
        report = store.purge_if_due()
        assert report is not None and report.submissions == 1
        purges = [e for e in store.audit_entries() if e.event == "data.purged"]
        assert [p.fields["reason"] for p in purges] == ["scheduled", "scheduled"]


def test_stale_temporary_files_are_removed(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_store(tmp_path, clock, retention={"tmp_files_hours": 24}) as store:
        old = store.data.tmp / "old-photo.jpg"
        fresh = store.data.tmp / "fresh.jpg"
        for f in (old, fresh):
            f.write_bytes(b"x")
        now = clock.now.timestamp()
        os.utime(old, (now - 25 * 3600, now - 25 * 3600))
        os.utime(fresh, (now - 3600, now - 3600))
        assert store.purge().tmp_files == 1
    assert not old.exists() and fresh.exists()


def test_cli_purge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_store(tmp_path) as store:
        store.submit(submission(1))
    assert main(["--data-dir", str(tmp_path), "purge", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "ok": True,
        "submissions": 0,
        "audit_entries": 0,
        "tmp_files": 0,
        "drop_files": 0,
    }
    with open_store(tmp_path) as store:
        assert len(store.references()) == 1  # pending: kept
