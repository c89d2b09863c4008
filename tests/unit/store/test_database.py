"""Schema versions, and environment faults told apart from bugs."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from kiosk.store import (
    NewerSchema,
    StorageCorrupt,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
    Submission,
)
from kiosk.store import db as db_mod
from kiosk.store.errors import from_os, from_sqlite
from tests.helpers.store import open_store, submission


def test_new_database_is_wal_at_latest_version(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        assert store.schema_version == db_mod.LATEST == 2
        assert store.integrity_check() == "ok"
    con = sqlite3.connect(tmp_path / "kiosk.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_version_1_database_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "kiosk.db", isolation_level=None)
    old = sqlite_utils.Database(conn)
    assert db_mod.migrate(old, target=1) == 1
    assert "audit_ts" not in {i.name for i in old.table("audit").indexes}
    conn.close()
    with open_store(tmp_path) as store:
        ref = store.submit(submission(1)).reference
        assert store.schema_version == 2
    con = sqlite3.connect(tmp_path / "kiosk.db")
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    con.close()
    assert "idx_audit_ts" in names
    with open_store(tmp_path) as store:
        assert store.read(ref)["payload"]["n"] == 1


def test_newer_database_is_refused(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    con = sqlite3.connect(tmp_path / "kiosk.db")
    con.execute(f"PRAGMA user_version = {db_mod.LATEST + 1}")
    con.commit()
    con.close()
    with pytest.raises(NewerSchema) as e:
        open_store(tmp_path)
    assert e.value.message_id == "store.newer_schema"


def test_a_file_that_is_not_a_database_is_corrupt_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "kiosk.db").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StorageCorrupt) as e:
        open_store(tmp_path)
    assert e.value.message_id == "store.corrupt"


def test_locked_database_is_a_known_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_store(tmp_path).close()
    monkeypatch.setattr(db_mod, "BUSY_TIMEOUT_MS", 50)
    store = open_store(tmp_path)
    other = sqlite3.connect(tmp_path / "kiosk.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageLocked) as e:
            store.submit(submission(1))
        assert e.value.message_id == "store.locked"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.submit(submission(1)).duplicate is False  # usable again once free
    store.close()


def test_sqlite_errors_map_to_known_errors_and_bugs_stay_bugs(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    ro = sqlite3.connect(f"file:{tmp_path / 'kiosk.db'}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as e:
        ro.execute("INSERT INTO meta(key, value) VALUES ('x', 'y')")
    ro.close()
    assert isinstance(from_sqlite(e.value), StorageReadOnly)
    con = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError) as bug:
        con.execute("SELECT * FROM no_such_table")
    assert from_sqlite(bug.value) is None
    assert isinstance(from_os(OSError(28, "No space left on device")), StorageFull)


def _fill(store_path: Path, photo: bytes) -> tuple[list[str], str]:
    """Submit until the store says full; the refs stored and the key that failed."""
    refs: list[str] = []
    with open_store(store_path, retention={"max_database_mb": 1}) as store:
        for i in range(200):
            sub = submission(i, attachments=[photo])
            try:
                refs.append(store.submit(sub).reference)
            except StorageFull as e:
                assert e.message_id == "store.full"
                return refs, sub.idempotency_key
    raise AssertionError("the 1 MB cap never filled")


def test_full_database_says_so_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    photo = os.urandom(120_000)  # incompressible, like a real JPEG
    refs, failed_key = _fill(tmp_path, photo)
    assert len(refs) >= 3
    con = sqlite3.connect(tmp_path / "kiosk.db")
    keys = [r[0] for r in con.execute("SELECT idempotency_key FROM submissions")]
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert failed_key not in keys and len(keys) == len(refs)
    with open_store(tmp_path, retention={"max_database_mb": 1}) as store:
        assert [store.read(r)["reference"] for r in refs] == refs
        # Small requests (no photo) still fit: the kiosk keeps serving what it can.
        assert store.submit(Submission("risai", 1, {"n": 1})).reference
        assert store.verify_audit().ok
