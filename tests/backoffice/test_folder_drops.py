"""Sealed folder drops: the kiosk's FolderSink seals to the back office's X25519 key, the
importer opens them with the private key and stores each once; audit-head.json is witnessed."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from backoffice import importer
from backoffice.sandbox import Pki
from backoffice.tls import load_drop_key
from kiosk.store import FolderSink
from kiosk.store.outbox import load_recipient_key
from tests.backoffice.conftest import MakeKiosk


def count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def test_sealed_drops_are_imported_once(
    make_kiosk: MakeKiosk, pki: Pki, dsn: str, tmp_path: Path
) -> None:
    k = make_kiosk("kiosk-usb")
    drop = tmp_path / "usb-stick"
    sink = FolderSink(drop, load_recipient_key(pki.drop_public))
    k.submit(4)
    assert k.store.sync(sink).delivered == 4
    files = sorted(p.name for p in drop.glob("*.json"))
    assert "audit-head.json" in files and len(files) == 5
    sealed = next(p for p in drop.glob("*.json") if p.name != "audit-head.json")
    assert json.loads(sealed.read_bytes())["format"] == "kiosk-sealed-drop.v1"
    assert oct((drop / "audit-head.json").stat().st_mode & 0o777) == "0o600"

    key = load_drop_key(pki.drop_private)
    first = importer.run(dsn, drop, key)
    assert first == {"accepted": 4, "heads": 1}
    second = importer.run(dsn, drop, key)  # the stick is plugged in again
    assert second == {"duplicate": 4, "heads": 1}
    assert count(dsn, "submissions") == 4
    with psycopg.connect(dsn) as conn:
        vias = {r[0] for r in conn.execute("SELECT via FROM submissions")}
        head = conn.execute("SELECT seq FROM audit_heads").fetchall()
    assert vias == {"folder"}
    assert head == [((k.store.signed_audit_head() or (0,))[0],)]


def test_drops_sealed_to_another_office_or_from_strangers_are_refused(
    make_kiosk: MakeKiosk, pki: Pki, dsn: str, tmp_path: Path
) -> None:
    other = Pki.make(tmp_path / "other-office")
    k = make_kiosk("kiosk-usb")
    drop = tmp_path / "drop"
    k.submit(2)
    k.store.sync(FolderSink(drop, load_recipient_key(other.drop_public)))
    stranger = make_kiosk("kiosk-stranger", enrol=False)
    stranger.submit(1)
    stranger.store.sync(FolderSink(drop, load_recipient_key(pki.drop_public)))
    got = importer.run(dsn, drop, load_drop_key(pki.drop_private))
    assert got["refused_unsealing_failed"] == 2, got
    assert got["refused_kiosk_not_enrolled"] == 1
    assert count(dsn, "submissions") == 0
