"""Master keys outside the database; rotation re-wraps without re-encrypting or stopping."""

from __future__ import annotations

import json
import sqlite3
import sys
import types
from pathlib import Path

import pytest

from kiosk.paths import DataDir
from kiosk.store import KeyMissing, KeyUnreadable, Store
from kiosk.store.errors import DatabaseMismatch
from kiosk.store.keys import KeyFile, KeyringKeySource, KeySet
from tests.helpers.store import open_store, settings, submission


def _documents(db: Path) -> dict[str, bytes]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("SELECT reference, document FROM submissions").fetchall())
    finally:
        con.close()


def test_rotate_rewraps_and_old_records_still_open(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        refs = [store.submit(submission(i)).reference for i in range(7)]
        old_key = store.current_key_id
        before = _documents(store.data.database)
        report = store.rotate_keys(batch=3)
        assert report.rewrapped == 7 and report.retired_key_ids == (old_key,)
        assert store.current_key_id == report.new_key_id != old_key
    # Payload ciphertexts are untouched: only the wrapped data keys changed.
    assert _documents(tmp_path / "kiosk.db") == before
    held = json.loads((tmp_path / "master.key").read_text())["master_keys"]
    assert list(held) == [report.new_key_id]
    with open_store(tmp_path) as store:  # a fresh process: only the new key on disk
        assert [store.read(r)["payload"]["n"] for r in refs] == list(range(7))
        assert store.master_key_ids() == {report.new_key_id: 7}
        assert store.verify_audit().ok


def test_running_kiosk_keeps_submitting_during_rotation(tmp_path: Path) -> None:
    kiosk = open_store(tmp_path)  # the running kiosk
    admin = open_store(tmp_path)  # `kiosk keys rotate` in another process
    try:
        first = kiosk.submit(submission(1)).reference
        admin.rotate_keys()
        # The kiosk's cached key set is stale; it notices the new file and uses the new key.
        second = kiosk.submit(submission(2)).reference
        assert kiosk.current_key_id == admin.current_key_id
        assert admin.read(second)["payload"]["n"] == 2
        assert kiosk.read(first)["payload"]["n"] == 1
        assert admin.master_key_ids() == {admin.current_key_id: 2}
    finally:
        kiosk.close()
        admin.close()


def test_interrupted_rotation_is_finished_by_the_next_run(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        ref = store.submit(submission(1)).reference
    source = KeyFile(tmp_path / "master.key")
    keys = source.load()
    assert keys is not None
    half = keys.with_new_current()
    source.save(half)  # crashed right after step 1: two keys held, record still on the old
    with open_store(tmp_path) as store:
        report = store.rotate_keys()
        assert report.new_key_id == half.current and report.rewrapped == 1
        assert store.read(ref)["payload"]["n"] == 1
    after = source.load()
    assert after is not None and list(after.master_keys) == [half.current]


def test_missing_key_file_with_records_is_refused_not_regenerated(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.submit(submission(1))
    (tmp_path / "master.key").unlink()
    with pytest.raises(KeyMissing) as e:
        open_store(tmp_path)
    assert e.value.message_id == "store.key_missing"
    assert not (tmp_path / "master.key").exists()


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    (tmp_path / "master.key").chmod(0o644)
    with pytest.raises(KeyUnreadable):
        open_store(tmp_path)


def test_garbled_key_file_is_a_known_error(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    (tmp_path / "master.key").write_text("{not json")
    with pytest.raises(KeyUnreadable) as e:
        open_store(tmp_path)
    assert "not a kiosk key file" in e.value.detail


class _Keyring(types.ModuleType):
    """A small in-memory stand-in for the `keyring` package's two calls."""

    def __init__(self) -> None:
        super().__init__("keyring")
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.secrets.get((service, user))

    def set_password(self, service: str, user: str, value: str) -> None:
        self.secrets[(service, user)] = value


def test_keys_can_live_in_the_system_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ring = _Keyring()
    monkeypatch.setitem(sys.modules, "keyring", ring)
    assert KeyringKeySource.available()
    source = KeyringKeySource("kiosk-01", state_dir=tmp_path / "keys")
    with Store.open(DataDir(tmp_path), settings(), keys=source) as store:
        ref = store.submit(submission(1)).reference
        store.rotate_keys()
    assert not (tmp_path / "master.key").exists()
    assert (tmp_path / "keys" / "audit-head.json").exists()  # the head lives with the keys
    stored = KeySet.from_json(ring.secrets[("madoguchi-kiosk", "kiosk-01")].encode(), "ring")
    assert len(stored.master_keys) == 1
    with Store.open(
        DataDir(tmp_path), settings(), keys=KeyringKeySource("kiosk-01", tmp_path / "keys")
    ) as store:
        assert store.read(ref)["payload"]["n"] == 1


def test_a_key_file_from_before_the_binding_is_adopted(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        ref = store.submit(submission(1)).reference
    # What an older kiosk left: a key file without the database's id, and no head beside it.
    obj = json.loads((tmp_path / "master.key").read_text())
    del obj["database_id"]
    (tmp_path / "master.key").write_text(json.dumps(obj))
    (tmp_path / "audit-head.json").unlink()
    with Store.open_evidence(DataDir(tmp_path), settings()) as evidence:
        assert evidence.verify_audit().ok  # nothing to compare with yet: no false alarm
    with open_store(tmp_path) as store:  # the first start binds them and starts the head
        assert store.read(ref)["payload"]["n"] == 1 and store.verify_audit().ok
    assert json.loads((tmp_path / "master.key").read_text())["database_id"]
    assert (tmp_path / "audit-head.json").exists()


def test_a_first_start_killed_before_the_head_starts_again(tmp_path: Path) -> None:
    """Keys saved, then SIGKILL before their head was written: nothing was recorded yet, so
    the next start writes the head instead of refusing for good (seen in the kill loop)."""
    open_store(tmp_path).close()
    (tmp_path / "audit-head.json").unlink()
    with open_store(tmp_path) as store:
        store.submit(submission(1))
        assert store.verify_audit().ok
    assert (tmp_path / "audit-head.json").exists()
    # Once anything was recorded, a missing head is a finding, never quietly made again.
    (tmp_path / "audit-head.json").unlink()
    with pytest.raises(DatabaseMismatch, match="gone while the keys remain"):
        open_store(tmp_path)
