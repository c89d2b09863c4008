"""The audit log: allow-listed fields only, and any edit, deletion or reordering is caught."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.paths import DataDir
from kiosk.store import AuditRejected, Store, new_session_id
from kiosk.store.audit import EVENTS, FIELD_RULES, chain_hash, check_entry
from tests.helpers.store import FakeClock, open_store
from tests.helpers.store import settings as make_settings


def _log(store: Store, n: int = 6) -> None:
    sid = new_session_id()
    store.audit("session.started", session_id=sid, language="ja")
    store.audit("card.read", session_id=sid, categories=["card.basic_info"], outcome="ok")
    store.audit("auth.attempt", session_id=sid, method="face", outcome="failed", attempt=1)
    store.audit("auth.fallback", session_id=sid, method="face", to_method="pin",
                reason="face_no_match")  # fmt: skip
    store.audit("staff.check", session_id=sid, role="clerk", staff_id="clerk-03",
                outcome="ok", reason="face_unavailable")  # fmt: skip
    for _ in range(n - 5):
        store.audit("session.ended", session_id=sid, outcome="completed")


def _tamper(db: Path, *sql: str) -> None:
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER IF EXISTS audit_no_update")
    con.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    for s in sql:
        con.execute(s)
    con.commit()
    con.close()


def test_fresh_log_verifies(tmp_path: Path) -> None:
    with open_store(tmp_path, FakeClock()) as store:
        _log(store)
        report = store.verify_audit()
    assert (report.ok, report.entries, report.first_broken) == (True, 6, None)


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "山田 花子"),
        ("address", "輪島市"),
        ("birth_date", "1940-04-01"),
        ("pin", "1234"),
        ("serial", "0123456789ABCDEF"),
        ("my_number", "123456789012"),
        ("note", "any free text"),
    ],
)
def test_personal_or_unknown_fields_are_rejected(tmp_path: Path, field: str, value: str) -> None:
    with open_store(tmp_path) as store:
        with pytest.raises(AuditRejected) as e:
            store.audit("card.read", session_id=new_session_id(), **{field: value})
        assert value not in str(e.value)  # the refusal never repeats the data
        assert list(store.audit_entries()) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"outcome": "山田 花子"},  # free text in an enum field
        {"reason": "1940-04-01"},
        {"staff_id": "Yamada Hanako"},  # a name where a staff account id belongs
        {"reference": "123456789012"},  # a 12-digit number is not a reference
        {"categories": ["山田"]},
        {"purpose": "marketing"},
        {"role": "mayor"},
    ],
)
def test_values_outside_the_allow_list_are_rejected(
    tmp_path: Path, kwargs: dict[str, object]
) -> None:
    event = "export" if "reference" in kwargs or "staff_id" in kwargs else "staff.check"
    if "reference" in kwargs:
        event = "submission.delivered"
    with open_store(tmp_path) as store, pytest.raises(AuditRejected):
        store.audit(event, session_id=new_session_id(), **kwargs)  # type: ignore[arg-type]


def test_session_id_must_be_random_not_a_person(tmp_path: Path) -> None:
    with open_store(tmp_path) as store, pytest.raises(AuditRejected):
        store.audit("session.started", session_id="yamada-hanako-19400401")


def test_database_refuses_update_and_delete_of_entries(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        _log(store)
    con = sqlite3.connect(tmp_path / "kiosk.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE audit SET role = 'admin' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM audit WHERE seq = 2")
    con.close()


def _edit(db: Path) -> None:
    _tamper(db, 'UPDATE audit SET fields = \'{"outcome":"ok","method":"face"}\' WHERE seq = 3')


def _edit_and_rehash(db: Path) -> None:
    # A careful forger recomputes the edited entry's own hash; the next link breaks.
    con = sqlite3.connect(db)
    row = con.execute("SELECT seq, ts, kiosk_id, session_id, role, event, categories, purpose, "
                      "fields, prev_hash FROM audit WHERE seq = 3").fetchone()  # fmt: skip
    forged = {"method": "face", "outcome": "ok", "attempt": 1}
    body = {"seq": row[0], "ts": row[1], "kiosk_id": row[2], "session_id": row[3],
            "role": "resident", "event": row[5], "categories": json.loads(row[6]),
            "purpose": row[7], "fields": forged}  # fmt: skip
    new_hash = chain_hash(row[9], body)
    con.close()
    fields = json.dumps(forged, sort_keys=True)
    _tamper(db, f"UPDATE audit SET fields = '{fields}', hash = '{new_hash}' WHERE seq = 3")


def _rehash_everything(db: Path) -> None:
    # Rewrite the whole chain after an edit: only the signed head (key outside the DB) tells.
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER audit_no_update")
    rows = con.execute("SELECT id, seq, ts, kiosk_id, session_id, role, event, categories, "
                       "purpose, fields FROM audit ORDER BY id").fetchall()  # fmt: skip
    prev = "0" * 64
    for r in rows:
        role = "admin" if r[1] == 2 else r[5]
        body = {"seq": r[1], "ts": r[2], "kiosk_id": r[3], "session_id": r[4], "role": role,
                "event": r[6], "categories": json.loads(r[7]), "purpose": r[8],
                "fields": json.loads(r[9])}  # fmt: skip
        h = chain_hash(prev, body)
        con.execute("UPDATE audit SET role = ?, prev_hash = ?, hash = ? WHERE id = ?",
                    [role, prev, h, r[0]])  # fmt: skip
        prev = h
    last_seq = rows[-1][1]
    con.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", [f"{last_seq}:{prev}"])
    con.commit()
    con.close()


def _delete(db: Path) -> None:
    _tamper(db, "DELETE FROM audit WHERE seq = 3")


def _delete_last(db: Path) -> None:
    _tamper(db, "DELETE FROM audit WHERE seq = 6")


def _reorder(db: Path) -> None:
    # Swap the stored positions of entries 3 and 4 (every column but the row id).
    cols = (
        "seq, ts, kiosk_id, session_id, role, event, categories, purpose, fields, prev_hash, hash"
    )
    _tamper(
        db,
        f"CREATE TEMP TABLE t AS SELECT id, {cols} FROM audit WHERE seq IN (3, 4)",
        "UPDATE audit SET seq = -seq WHERE seq IN (3, 4)",
        *(
            f"UPDATE audit SET ({cols}) = (SELECT {cols} FROM t WHERE t.seq = {other}) "
            f"WHERE seq = -{mine}"
            for mine, other in ((3, 4), (4, 3))
        ),
    )


def _insert(db: Path) -> None:
    cols = (
        "seq, ts, kiosk_id, session_id, role, event, categories, purpose, fields, prev_hash, hash"
    )
    _tamper(db, f"INSERT INTO audit ({cols}) SELECT seq + 100, {cols.split(', ', 1)[1]} "
            "FROM audit WHERE seq = 2")  # fmt: skip


@pytest.mark.parametrize(
    "tamper, first_broken, problem",
    [
        (_edit, 3, "edited"),
        (_edit_and_rehash, 4, "broken_link"),
        (_rehash_everything, 6, "head_signature"),
        (_delete, 4, "missing_before"),
        (_delete_last, 6, "truncated"),
        (_reorder, 4, "out_of_order"),
        (_insert, 102, "edited"),
    ],
    ids=["edit", "edit-rehash", "rehash-all", "delete", "delete-last", "reorder", "insert"],
)
def test_tampering_is_caught_and_names_the_first_broken_entry(
    tmp_path: Path, tamper: Callable[[Path], None], first_broken: int, problem: str
) -> None:
    with open_store(tmp_path, FakeClock()) as store:
        _log(store)
        assert store.verify_audit().ok
    tamper(tmp_path / "kiosk.db")
    # A tampered database may not even open (it no longer reaches the head beside the keys):
    # its copy is examined as evidence.
    with Store.open_evidence(DataDir(tmp_path), make_settings()) as store:
        report = store.verify_audit()
    assert not report.ok
    assert (report.first_broken, report.problem) == (first_broken, problem)


def test_cli_verify_exits_1_and_names_the_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(tmp_path, FakeClock()) as store:
        _log(store)
    assert main(["--data-dir", str(tmp_path), "audit", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    _delete(tmp_path / "kiosk.db")
    assert main(["--data-dir", str(tmp_path), "audit", "verify", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["ok"], out["first_broken"], out["problem"]) == (False, 4, "missing_before")


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(sorted(FIELD_RULES)),
    value=st.one_of(st.text(max_size=40), st.integers(), st.binary(max_size=8)),
)
def test_no_value_passes_that_the_allow_list_does_not_name(field: str, value: object) -> None:
    event = next(e for e, allowed in EVENTS.items() if field in allowed)
    try:
        _, stored = check_entry(event, new_session_id(), "resident", (), "identity", {field: value})
    except AuditRejected:
        return
    v = stored[field]
    # Accepted values are enum members, short ids in a fixed alphabet, or small counts.
    if isinstance(v, int):
        assert 0 <= v < 10**9
    else:
        assert isinstance(v, str) and len(v) <= 32
        assert all(c.isascii() and (c.isalnum() or c in "-_.") for c in v)


def test_staff_id_must_be_a_configured_account(tmp_path: Path) -> None:
    from dataclasses import replace

    from kiosk.config import StaffMember, StaffSettings
    from kiosk.flows.staff import pin_hash
    from kiosk.paths import DataDir
    from tests.helpers.store import settings as make_settings

    staff = StaffSettings((StaffMember("clerk-03", "clerk", pin_hash("demo-clerk", "1111")),))
    conf = replace(make_settings(), staff=staff)
    with Store.open(DataDir(tmp_path), conf) as store:
        sid = new_session_id()
        store.audit("staff.check", session_id=sid, role="clerk", staff_id="clerk-03", outcome="ok")
        with pytest.raises(AuditRejected):
            store.audit(
                "staff.check", session_id=sid, role="clerk", staff_id="yamada", outcome="ok"
            )
        assert [e.fields["staff_id"] for e in store.audit_entries()] == ["clerk-03"]
