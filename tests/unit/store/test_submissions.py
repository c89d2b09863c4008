"""Submissions: encrypted at rest, signed, durable, idempotent."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from pathlib import Path

import jsonschema
import pytest

from kiosk.paths import DataDir
from kiosk.store import (
    Attachment,
    RecordUnreadable,
    Store,
    Submission,
    new_session_id,
    verify_envelope,
)
from kiosk.store.keys import open_sealed
from tests.helpers.plaintext_scan import scan, scanned_files
from tests.helpers.store import RESIDENT, FakeClock, open_store, settings, submission

REPO = Path(__file__).resolve().parents[3]


def test_submit_then_read_back_after_reopen(tmp_path: Path) -> None:
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    with open_store(tmp_path) as store:
        receipt = store.submit(submission(1, attachments=[Attachment(photo, "image/jpeg")]))
        assert not receipt.duplicate
    with open_store(tmp_path) as store:
        doc = store.read(receipt.reference)
    assert doc["payload"]["name"] == RESIDENT["name"]
    assert doc["reference"] == receipt.reference
    assert base64.b64decode(doc["attachments"][0]["data"]) == photo
    assert doc["attachments"][0]["sha256"] == hashlib.sha256(photo).hexdigest()


def test_same_idempotency_key_gives_first_receipt_and_stores_once(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        first = store.submit(submission(1))
        again = store.submit(submission(1))
        other = store.submit(submission(2))
        assert again.duplicate and again.reference == first.reference
        assert other.reference != first.reference
        assert store.references() == [first.reference, other.reference]


def test_personal_fields_and_photos_are_not_in_plaintext_on_disk(tmp_path: Path) -> None:
    photo = b"PHOTO-BYTES-" + bytes(range(200))
    with open_store(tmp_path) as store:
        for i in range(5):
            store.submit(submission(i, attachments=[photo]))
        files = scanned_files([store.data.database])
        assert any(f.name.endswith("-wal") for f in files)  # the WAL really was scanned
        found = scan([store.data.root], [*RESIDENT.values(), photo])
    assert found == []


def test_plaintext_scan_would_notice_an_unencrypted_copy(tmp_path: Path) -> None:
    # The scan itself must be able to fail: plant the name in UTF-16 in a log file.
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "kiosk.log").write_bytes(b"xx" + RESIDENT["name"].encode("utf-16-le"))
    found = scan([tmp_path], [RESIDENT["name"], RESIDENT["address"]])
    assert [(f.path.name, f.encoding) for f in found] == [("kiosk.log", "utf-16-le")]


def test_each_record_has_its_own_data_key(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a = store.submit(submission(1))
        b = store.submit(submission(2))
        keys = store._current_keys()
    con = sqlite3.connect(tmp_path / "kiosk.db")
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT reference, master_key_id, wrapped_key, document FROM submissions"
        )
    }
    con.close()
    key_a = keys.unwrap(rows[a.reference][0], rows[a.reference][1], a.reference.encode())
    key_b = keys.unwrap(rows[b.reference][0], rows[b.reference][1], b.reference.encode())
    assert key_a != key_b
    assert json.loads(open_sealed(key_a, rows[a.reference][2], a.reference.encode()))["payload"]
    with pytest.raises(RecordUnreadable):
        open_sealed(key_b, rows[a.reference][2], a.reference.encode())
    # A ciphertext moved to another row's reference does not open either (bound by AAD).
    with pytest.raises(RecordUnreadable):
        open_sealed(key_a, rows[a.reference][2], b.reference.encode())


def test_envelope_matches_schema_and_signature_covers_everything(tmp_path: Path) -> None:
    schema = json.loads((REPO / "docs/schema/submission-envelope.v1.json").read_text())
    with open_store(tmp_path) as store:
        r = store.submit(submission(3))
        raw = store.document(r.reference)
        public = store.signing_public_key
    doc = json.loads(raw)
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert verify_envelope(doc)
    assert base64.b64decode(doc["signature"]["public_key"]) == public
    doc["payload"]["household"] = 3
    assert not verify_envelope(doc)


def test_tampered_ciphertext_is_refused_not_returned(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        r = store.submit(submission(1))
    con = sqlite3.connect(tmp_path / "kiosk.db")
    blob = bytearray(con.execute("SELECT document FROM submissions").fetchone()[0])
    blob[40] ^= 1
    con.execute("UPDATE submissions SET document = ?", [bytes(blob)])
    con.commit()
    con.close()
    with open_store(tmp_path) as store, pytest.raises(RecordUnreadable) as e:
        store.read(r.reference)
    assert e.value.message_id == "store.record_unreadable"


def test_submission_with_session_writes_audit_in_same_transaction(tmp_path: Path) -> None:
    clock = FakeClock()
    sid = new_session_id()
    with open_store(tmp_path, clock) as store:
        r = store.submit(submission(1), session_id=sid)
        entries = list(store.audit_entries())
    assert [(e.event, e.fields.get("reference"), e.purpose) for e in entries] == [
        ("submission.created", r.reference, "risai")
    ]
    assert entries[0].categories == ("card.basic_info", "damage.report")


def test_bad_arguments_are_bugs_not_environment_faults(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        with pytest.raises(ValueError):
            store.submit(Submission("risai", 1, {}, idempotency_key="short"))
        with pytest.raises(ValueError):
            store.submit(Submission("Risai!", 1, {}))
        with pytest.raises(ValueError):
            store.submit(Submission("risai", 0, {}))
        assert store.references() == []


def test_database_and_key_file_are_private(tmp_path: Path) -> None:
    with Store.open(DataDir(tmp_path), settings()) as store:
        store.submit(submission(1))
    assert (tmp_path / "kiosk.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "master.key").stat().st_mode & 0o777 == 0o600
