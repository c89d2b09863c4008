"""A kiosk's data dir with a history, and the ways someone with the disk might rewrite it.

`build` makes a store whose keys and audit head live in their own folder (as at a real site),
with submissions (one delivered), a purge (a signed anchor) and an older copy of the data dir.
Each tamper function changes the copy in one way a red team tried; `verdict` says whether the
kiosk refuses to start on it and what `kiosk audit verify` names.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.config import KeySettings, RetentionSettings, Settings, SinkSettings
from kiosk.errors import KnownError
from kiosk.paths import DataDir
from kiosk.store import Store, new_session_id
from kiosk.store.audit import ChainReport, chain_hash, head_message
from tests.helpers.store import FakeClock, submission


@dataclass(frozen=True)
class Kiosk:
    root: Path
    settings: Settings

    @property
    def data(self) -> DataDir:
        return DataDir(self.root / "data")

    @property
    def db(self) -> Path:
        return self.root / "data" / "kiosk.db"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def older(self) -> Path:
        return self.root / "older"


class OnlyFirst:
    """A sink that takes the first document it is offered and turns the rest away."""

    kind = "folder"

    def __init__(self) -> None:
        self.taken: list[str] = []

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None:
        from kiosk.store import DeliveryFailed

        if self.taken:
            raise DeliveryFailed("later", retryable=True)
        self.taken.append(reference)


def kiosk_settings(root: Path) -> Settings:
    return replace(
        Settings(),
        keys=KeySettings(source="insecure-file", dir=str(root / "keys")),
        retention=RetentionSettings(audit_days=1, delivered_submissions_days=30),
        sink=SinkSettings(folder=str(root / "drop")),
    )


def _visit(store: Store, n: int) -> None:
    sid = new_session_id()
    store.audit("session.started", session_id=sid, language="ja")
    for i in range(n):
        store.audit("auth.attempt", session_id=sid, method="pin", outcome="failed", attempt=i)
    store.audit("session.ended", session_id=sid, outcome="completed")


def build(root: Path) -> Kiosk:
    k = Kiosk(root, kiosk_settings(root))
    clock = FakeClock()
    with Store.open(k.data, k.settings, clock=clock) as store:
        _visit(store, 3)
        for i in range(3):
            store.submit(submission(i), session_id=new_session_id(), role="resident")
        store.sync(OnlyFirst())
        clock.advance(days=2)
        store.purge()  # entries older than a day go; the signed anchor stays
        _visit(store, 2)
    shutil.copytree(k.data.root, k.older)  # yesterday's backup
    shutil.copytree(k.keys, k.root / "older-keys")  # and of the key store
    with Store.open(k.data, k.settings, clock=clock) as store:
        clock.advance(hours=1)
        _visit(store, 2)
        store.submit(submission(10), session_id=new_session_id(), role="resident")
        assert store.verify_audit().ok
    return k


@dataclass(frozen=True)
class Verdict:
    refused_at_start: bool
    report: ChainReport

    @property
    def caught(self) -> bool:
        return self.refused_at_start or not self.report.ok


def verdict(k: Kiosk) -> Verdict:
    with Store.open_evidence(k.data, k.settings) as store:  # first: `open` may create files
        report = store.verify_audit()
    try:
        Store.open(k.data, k.settings).close()
        refused = False
    except KnownError:
        refused = True
    return Verdict(refused, report)


# -- the ways in --------------------------------------------------------------------------


def sql(db: Path, *statements: str) -> None:
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER IF EXISTS audit_no_update")
    con.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    for s in statements:
        con.execute(s)
    con.commit()
    con.close()


def _rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT id, seq, ts, kiosk_id, session_id, role, event, categories, purpose, fields, "
        "prev_hash, hash FROM audit ORDER BY id"
    ).fetchall()
    con.close()
    return rows


def _body(r: tuple, **change: object) -> dict:
    body = {"seq": r[1], "ts": r[2], "kiosk_id": r[3], "session_id": r[4], "role": r[5],
            "event": r[6], "categories": json.loads(r[7]), "purpose": r[8],
            "fields": json.loads(r[9])}  # fmt: skip
    return {**body, **change}


def _rechain(db: Path, start_prev: str, change: Callable[[tuple], dict]) -> tuple[int, str]:
    """Rewrite every entry's hash from `start_prev` on, editing each with `change`."""
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER IF EXISTS audit_no_update")
    prev, last = start_prev, 0
    for r in _rows(db):
        body = _body(r, **change(r))
        h = chain_hash(prev, body)
        con.execute(
            "UPDATE audit SET role = ?, fields = ?, kiosk_id = ?, prev_hash = ?, hash = ? "
            "WHERE id = ?",
            [body["role"], json.dumps(body["fields"], sort_keys=True), body["kiosk_id"], prev, h,
             r[0]],
        )  # fmt: skip
        prev, last = h, r[1]
    con.commit()
    con.close()
    return last, prev


def _meta(db: Path, key: str) -> str | None:
    con = sqlite3.connect(db)
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    con.close()
    return None if row is None else str(row[0])


def _set_meta(db: Path, key: str, value: str) -> None:
    sql(db, f"INSERT OR REPLACE INTO meta(key, value) VALUES ('{key}', '{value}')")


def _mid(db: Path) -> int:
    seqs = [r[1] for r in _rows(db)]
    return seqs[len(seqs) // 2]


def edit_a_field(k: Kiosk) -> None:
    sql(k.db, "UPDATE audit SET fields = '{\"outcome\":\"ok\",\"method\":\"face\"}' "
        f"WHERE seq = {_mid(k.db)}")  # fmt: skip


def edit_and_rehash_the_entry(k: Kiosk) -> None:
    r = next(r for r in _rows(k.db) if r[1] == _mid(k.db))
    body = _body(r, fields={"outcome": "ok", "method": "face"})
    sql(k.db, f"UPDATE audit SET fields = '{json.dumps(body['fields'])}', "
        f"hash = '{chain_hash(r[10], body)}' WHERE id = {r[0]}")  # fmt: skip


def rehash_the_whole_chain(k: Kiosk) -> None:
    anchor = _meta(k.db, "audit_anchor_hash") or "0" * 64
    seq, h = _rechain(k.db, anchor, lambda r: {"role": "admin"} if r[6] == "auth.attempt" else {})
    _set_meta(k.db, "audit_head", f"{seq}:{h}")


def rehash_and_resign_with_own_key(k: Kiosk) -> None:
    anchor = _meta(k.db, "audit_anchor_hash") or "0" * 64
    seq, h = _rechain(k.db, anchor, lambda r: {"role": "admin"} if r[6] == "auth.attempt" else {})
    mine = Ed25519PrivateKey.generate()
    public = mine.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    _set_meta(k.db, "audit_head", f"{seq}:{h}")
    _set_meta(
        k.db, "audit_head_signature", base64.b64encode(mine.sign(head_message(seq, h))).decode()
    )
    _set_meta(k.db, "signing_public_key", base64.b64encode(public).decode())


def change_the_kiosk_id(k: Kiosk) -> None:
    sql(k.db, f"UPDATE audit SET kiosk_id = 'kiosk-99' WHERE seq = {_mid(k.db)}")


def delete_a_middle_entry(k: Kiosk) -> None:
    sql(k.db, f"DELETE FROM audit WHERE seq = {_mid(k.db)}")


def delete_the_last_entry(k: Kiosk) -> None:
    sql(k.db, "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")


def truncate_and_restore_an_older_signed_head(k: Kiosk) -> None:
    older = k.older / "kiosk.db"
    head, sig = _meta(older, "audit_head"), _meta(older, "audit_head_signature")
    assert head and sig
    sql(k.db, f"DELETE FROM audit WHERE seq > {int(head.split(':')[0])}")
    _set_meta(k.db, "audit_head", head)
    _set_meta(k.db, "audit_head_signature", sig)


def reorder_two_entries(k: Kiosk) -> None:
    a = _mid(k.db)
    cols = (
        "seq, ts, kiosk_id, session_id, role, event, categories, purpose, fields, prev_hash, hash"
    )
    sql(k.db, f"CREATE TEMP TABLE t AS SELECT {cols} FROM audit WHERE seq IN ({a}, {a + 1})",
        f"UPDATE audit SET seq = -seq WHERE seq IN ({a}, {a + 1})",
        *(f"UPDATE audit SET ({cols}) = (SELECT {cols} FROM t WHERE t.seq = {o}) WHERE seq = -{m}"
          for m, o in ((a, a + 1), (a + 1, a))))  # fmt: skip


def insert_a_copied_entry(k: Kiosk) -> None:
    cols = "ts, kiosk_id, session_id, role, event, categories, purpose, fields, prev_hash, hash"
    sql(k.db, f"INSERT INTO audit (seq, {cols}) SELECT seq + 1000, {cols} FROM audit "
        f"WHERE seq = {_mid(k.db)}")  # fmt: skip


def append_a_well_chained_entry(k: Kiosk) -> None:
    last = _rows(k.db)[-1]
    body = _body(last, seq=last[1] + 1, event="session.started", categories=[],
                 fields={"language": "en"})  # fmt: skip
    h = chain_hash(last[11], body)
    sql(k.db, "INSERT INTO audit (seq, ts, kiosk_id, session_id, role, event, categories, "
        f"purpose, fields, prev_hash, hash) VALUES ({body['seq']}, '{last[2]}', '{last[3]}', "
        f"'{last[4]}', '{last[5]}', 'session.started', '[]', '{last[8]}', "
        f"'{{\"language\": \"en\"}}', '{last[11]}', '{h}')")  # fmt: skip
    _set_meta(k.db, "audit_head", f"{body['seq']}:{h}")


def wipe_the_log_and_its_head(k: Kiosk) -> None:
    sql(k.db, "DELETE FROM audit", "DELETE FROM meta WHERE key LIKE 'audit_%'")


def cut_the_start_and_set_the_anchor(k: Kiosk) -> None:
    rows = _rows(k.db)
    cut = rows[3]
    sql(k.db, f"DELETE FROM audit WHERE id <= {cut[0]}",
        "DELETE FROM meta WHERE key = 'audit_anchor_signature'")  # fmt: skip
    _set_meta(k.db, "audit_anchor_seq", str(cut[1]))
    _set_meta(k.db, "audit_anchor_hash", cut[11])


def cut_the_start_and_reuse_the_anchor_signature(k: Kiosk) -> None:
    rows = _rows(k.db)
    cut = rows[3]
    sql(k.db, f"DELETE FROM audit WHERE id <= {cut[0]}")
    _set_meta(k.db, "audit_anchor_seq", str(cut[1]))
    _set_meta(k.db, "audit_anchor_hash", cut[11])  # the old purge's signature stays


def purge_everything_by_hand(k: Kiosk) -> None:
    # What `audit_days = 0` did (the settings refuse it now): no entry left, anchor moved.
    rows = _rows(k.db)
    sql(k.db, "DELETE FROM audit")
    _set_meta(k.db, "audit_anchor_seq", str(rows[-1][1]))
    _set_meta(k.db, "audit_anchor_hash", rows[-1][11])


def put_back_an_older_database(k: Kiosk) -> None:
    for suffix in ("", "-wal", "-shm"):
        k.db.with_name("kiosk.db" + suffix).unlink(missing_ok=True)
    shutil.copyfile(k.older / "kiosk.db", k.db)


def put_back_an_older_data_dir(k: Kiosk) -> None:
    shutil.rmtree(k.data.root)
    shutil.copytree(k.older, k.data.root)


def delete_the_database(k: Kiosk) -> None:
    for suffix in ("", "-wal", "-shm"):
        k.db.with_name("kiosk.db" + suffix).unlink(missing_ok=True)


def empty_the_database_file(k: Kiosk) -> None:
    k.db.write_bytes(b"")


def swap_in_another_kiosks_database(k: Kiosk) -> None:
    other = k.root / "other"
    with Store.open(DataDir(other / "data"), kiosk_settings(other)) as store:
        _visit(store, 1)
    delete_the_database(k)
    shutil.copyfile(other / "data" / "kiosk.db", k.db)


def delete_the_head_beside_the_keys(k: Kiosk) -> None:
    put_back_an_older_database(k)
    (k.keys / "audit-head.json").unlink()


def forge_the_head_beside_the_keys(k: Kiosk) -> None:
    head = k.keys / "audit-head.json"
    obj = json.loads(head.read_text())
    obj["seq"] = 1
    head.write_text(json.dumps(obj))


def delete_an_undelivered_submission(k: Kiosk) -> None:
    sql(k.db, "DELETE FROM submissions WHERE id = (SELECT max(id) FROM submissions "
        "WHERE status = 'pending')")  # fmt: skip


def mark_a_submission_delivered(k: Kiosk) -> None:
    when = "2026-04-01T00:00:00.000000Z"
    sql(k.db, f"UPDATE submissions SET status = 'delivered', delivered_at = '{when}' "
        "WHERE id = (SELECT max(id) FROM submissions WHERE status = 'pending')")  # fmt: skip


def delete_a_submission_and_its_entry(k: Kiosk) -> None:
    con = sqlite3.connect(k.db)
    ref = con.execute("SELECT reference FROM submissions WHERE status = 'pending' "
                      "ORDER BY id DESC LIMIT 1").fetchone()[0]  # fmt: skip
    con.close()
    sql(k.db, f"DELETE FROM submissions WHERE reference = '{ref}'",
        f"DELETE FROM audit WHERE fields LIKE '%{ref}%' "
        "AND event = 'submission.created'")  # fmt: skip


def replace_data_dir_and_key_store_together(k: Kiosk) -> None:
    """Not caught on the kiosk: the back office, which holds every head it was sent, does."""
    shutil.rmtree(k.keys)
    shutil.copytree(k.root / "older-keys", k.keys)
    put_back_an_older_data_dir(k)


# (how, what `kiosk audit verify` should name)
VARIANTS: list[tuple[Callable[[Kiosk], None], set[str]]] = [
    (edit_a_field, {"edited"}),
    (edit_and_rehash_the_entry, {"broken_link"}),
    (rehash_the_whole_chain, {"head_signature"}),
    (rehash_and_resign_with_own_key, {"head_signature"}),
    (change_the_kiosk_id, {"edited"}),
    (delete_a_middle_entry, {"missing_before"}),
    (delete_the_last_entry, {"truncated"}),
    (truncate_and_restore_an_older_signed_head, {"rolled_back"}),
    (reorder_two_entries, {"out_of_order"}),
    (insert_a_copied_entry, {"edited", "out_of_order", "missing_before"}),
    (append_a_well_chained_entry, {"head_signature"}),
    (wipe_the_log_and_its_head, {"wiped"}),
    (cut_the_start_and_set_the_anchor, {"anchor_signature"}),
    (cut_the_start_and_reuse_the_anchor_signature, {"anchor_signature"}),
    (purge_everything_by_hand, {"anchor_signature", "wiped"}),
    (put_back_an_older_database, {"rolled_back"}),
    (put_back_an_older_data_dir, {"rolled_back"}),
    (delete_the_database, {"missing"}),
    (empty_the_database_file, {"wiped"}),
    (swap_in_another_kiosks_database, {"other_database", "head_signature"}),
    (delete_the_head_beside_the_keys, {"head_missing"}),
    (forge_the_head_beside_the_keys, {"head_unreadable"}),
    (delete_an_undelivered_submission, {"submission_missing"}),
    (mark_a_submission_delivered, {"submission_tampered"}),
    (delete_a_submission_and_its_entry, {"missing_before", "truncated"}),
]
