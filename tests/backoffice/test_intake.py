"""Intake as kiosks use it: their own Store and HttpsSink, over mutual TLS, into PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import shutil
import ssl
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from backoffice.intake import area_of
from backoffice.sandbox import Pki, Service
from kiosk.store import HttpsSink, Store, Submission
from tests.backoffice.conftest import MakeKiosk


def post(service: Service, pki: Pki, client: str, body: bytes, key: str, path: str = "") -> int:
    """One POST with `client`'s certificate; the HTTP status."""
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    cert = pki.folder / "clients" / f"{client}.crt"  # made by make_kiosk
    ctx.load_cert_chain(cert, cert.with_suffix(".key"))
    conn = http.client.HTTPSConnection("127.0.0.1", service.ports["intake"], context=ctx)
    try:
        conn.request(
            "POST",
            path or "/intake/submissions",
            body=body,
            headers={"Idempotency-Key": key, "Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def rows(dsn: str, query: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, list(params)).fetchall()  # type: ignore[arg-type]


def test_kiosk_sync_delivers_over_mutual_tls_once(make_kiosk: MakeKiosk, dsn: str) -> None:
    k = make_kiosk("kiosk-01")
    refs = k.submit(6)
    report = k.store.sync(k.sink)
    assert (report.delivered, report.remaining) == (6, 0)
    got = rows(dsn, "SELECT reference, kind, via, payload FROM submissions ORDER BY id")
    assert [r[0] for r in got] == refs
    assert all(r[2] == "https" for r in got)
    # What arrived is what the kiosk signed: payload and photo bytes, byte for byte.
    for ref, kind, _, payload in got:
        doc = k.store.read(ref)
        assert payload == doc["payload"] and kind == doc["kind"]
        stored = rows(
            dsn,
            "SELECT a.data FROM attachments a JOIN submissions s "
            "ON s.id = a.submission_id WHERE s.reference = %s ORDER BY idx",
            ref,
        )
        assert [bytes(r[0]) for r in stored] == [
            base64.b64decode(a["data"]) for a in doc["attachments"]
        ]
    assert rows(dsn, "SELECT count(*) FROM requests")[0][0] == 6
    # Marked delivered on the kiosk; a second round sends nothing and stores nothing new.
    assert k.store.sync(k.sink).delivered == 0
    assert rows(dsn, "SELECT count(*) FROM submissions")[0][0] == 6


def test_a_second_delivery_of_the_same_key_is_409_and_stored_once(
    make_kiosk: MakeKiosk, service: Service, pki: Pki, dsn: str
) -> None:
    k = make_kiosk("kiosk-01")
    ref = k.submit(1)[0]
    doc = k.store.document(ref)
    key = json.loads(doc)["idempotency_key"]
    assert post(service, pki, "kiosk-01", doc, key) == 201
    assert post(service, pki, "kiosk-01", doc, key) == 409
    # The kiosk, which crashed before marking it delivered, syncs it again: 409 = delivered.
    assert k.store.sync(k.sink).delivered == 1
    assert rows(dsn, "SELECT count(*) FROM submissions")[0][0] == 1


def test_racing_deliveries_of_one_document_store_it_once(
    make_kiosk: MakeKiosk, service: Service, pki: Pki, dsn: str
) -> None:
    k = make_kiosk("kiosk-01")
    doc = k.store.document(k.submit(1)[0])
    key = json.loads(doc)["idempotency_key"]
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: post(service, pki, "kiosk-01", doc, key), range(32)))
    assert sorted(set(statuses)) == [201, 409] and statuses.count(201) == 1
    assert rows(dsn, "SELECT count(*) FROM submissions")[0][0] == 1
    assert rows(dsn, "SELECT count(*) FROM requests")[0][0] == 1


def test_tampered_document_is_refused_and_held_by_the_kiosk(
    make_kiosk: MakeKiosk, service: Service, pki: Pki, dsn: str
) -> None:
    k = make_kiosk("kiosk-01")
    doc = json.loads(k.store.document(k.submit(1)[0]))
    doc["payload"]["contact"]["phone"] = "09099999999"  # changed after signing
    body = json.dumps(doc, ensure_ascii=False).encode()
    assert post(service, pki, "kiosk-01", body, doc["idempotency_key"]) == 422
    assert rows(dsn, "SELECT count(*) FROM submissions")[0][0] == 0


def test_payload_outside_its_schema_is_refused(make_kiosk: MakeKiosk, dsn: str) -> None:
    k = make_kiosk("kiosk-01")
    # Signed by the kiosk, but not a valid 罹災証明書 request (docs/schema/risai.v1.json).
    k.submit_raw(
        Submission(
            "risai", 1, {"schema": "risai.v1", "kind": "risai"}, idempotency_key="bad-payload-0001"
        )
    )
    report = k.store.sync(k.sink)
    assert (report.delivered, report.held) == (0, 1)
    assert "HTTP 422" in report.errors[0]
    assert rows(dsn, "SELECT count(*) FROM submissions")[0][0] == 0


def test_unenrolled_and_revoked_kiosks_are_refused(make_kiosk: MakeKiosk, dsn: str) -> None:
    stranger = make_kiosk("kiosk-stranger", enrol=False)  # a cert from our CA, never enrolled
    stranger.submit(1)
    report = stranger.store.sync(stranger.sink)
    assert (report.delivered, report.held) == (0, 1) and "HTTP 403" in report.errors[0]

    k = make_kiosk("kiosk-02")
    k.submit(1)
    assert k.store.sync(k.sink).delivered == 1
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE kiosks SET revoked_at = now() WHERE kiosk_id = 'kiosk-02'")
    k.submit(1)
    report = k.store.sync(k.sink)
    assert (report.delivered, report.held) == (0, 1) and "HTTP 403" in report.errors[0]
    assert rows(dsn, "SELECT count(*) FROM submissions")[0][0] == 1


def test_another_kiosks_key_cannot_deliver_in_its_name(
    make_kiosk: MakeKiosk, service: Service, pki: Pki, dsn: str
) -> None:
    make_kiosk("kiosk-01")
    other = make_kiosk("kiosk-02")
    doc = other.store.document(other.submit(1)[0])
    key = json.loads(doc)["idempotency_key"]
    # kiosk-01's certificate, kiosk-02's signed document: the pinned key does not match.
    assert post(service, pki, "kiosk-01", doc, key) == 422
    assert rows(dsn, "SELECT count(*) FROM submissions")[0][0] == 0


def test_a_client_without_certificate_gets_no_connection(service: Service, pki: Pki) -> None:
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    conn = http.client.HTTPSConnection("127.0.0.1", service.ports["intake"], context=ctx)
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
        conn.request("POST", "/intake/submissions", body=b"{}")
        conn.getresponse().read()
    conn.close()


def test_witness_keeps_the_signed_head(make_kiosk: MakeKiosk, dsn: str) -> None:
    k = make_kiosk("kiosk-01")
    k.submit(2)
    k.store.sync(k.sink)
    seq, hash_, _ = k.store.signed_audit_head() or (0, "", b"")
    assert rows(
        dsn,
        "SELECT seq, hash FROM audit_heads WHERE kiosk_id = 'kiosk-01' ORDER BY seq DESC LIMIT 1",
    ) == [(seq, hash_)]
    assert rows(dsn, "SELECT count(*) FROM witness_alerts")[0][0] == 0


def test_witness_flags_a_restored_backup_and_the_kiosk_audits_it(
    make_kiosk: MakeKiosk, dsn: str, tmp_path: Path
) -> None:
    k = make_kiosk("kiosk-01")
    k.submit(1)
    k.store.sync(k.sink)
    backup = tmp_path / "backup"
    shutil.copytree(k.data.root, backup)  # the kiosk's disk as it was
    k.submit(2)
    k.store.sync(k.sink)  # the back office has seen the newer head
    k.store.close()
    shutil.rmtree(k.data.root)
    shutil.copytree(backup, k.data.root)  # someone puts the old disk back
    k.store = Store.open(k.data, k.settings)
    before = k.store.signed_audit_head()
    assert before is not None
    k.store.sync(k.sink)
    alerts = rows(dsn, "SELECT problem, seq, known_seq FROM witness_alerts")
    assert alerts and alerts[0][0] == "rollback" and alerts[0][1] == before[0]
    assert alerts[0][2] > before[0]
    events = [(e.event, dict(e.fields)) for e in k.store.audit_entries()]
    assert ("audit.witness", {"outcome": "untrusted", "sink": "https"}) in events


def test_witness_flags_a_fork(make_kiosk: MakeKiosk, dsn: str, tmp_path: Path) -> None:
    k = make_kiosk("kiosk-01")
    k.submit(1)
    k.store.sync(k.sink)
    backup = tmp_path / "backup"
    shutil.copytree(k.data.root, backup)
    for _ in range(3):
        k.store.audit("session.started", session_id="a" * 32, language="ja")
    k.store.sync(k.sink)
    seen = k.store.signed_audit_head()
    k.store.close()
    shutil.rmtree(k.data.root)
    shutil.copytree(backup, k.data.root)
    k.store = Store.open(k.data, k.settings)
    for _ in range(3):  # the same number of entries, different ones: same seq, other hash
        k.store.audit("session.started", session_id="b" * 32, language="en")
    forked = k.store.signed_audit_head()
    assert seen and forked and seen[0] == forked[0] and seen[1] != forked[1]
    k.store.sync(k.sink)
    assert rows(dsn, "SELECT problem, seq FROM witness_alerts") == [("fork", forked[0])]


def test_audit_head_with_a_bad_signature_is_refused(
    make_kiosk: MakeKiosk, service: Service, pki: Pki, dsn: str
) -> None:
    make_kiosk("kiosk-01")
    head = {
        "kiosk_id": "kiosk-01",
        "seq": 99,
        "hash": "ab" * 32,
        "signature": base64.b64encode(b"\0" * 64).decode(),
    }
    status = post(
        service, pki, "kiosk-01", json.dumps(head).encode(), "unused-key-0001", "/intake/audit-head"
    )
    assert status == 422
    assert rows(dsn, "SELECT count(*) FROM audit_heads")[0][0] == 0


@pytest.mark.parametrize(
    ("address", "area"),
    [
        ("石川県輪島市河井町１部", "石川県輪島市河井町"),
        ("宮城県仙台市青葉区国分町３丁目７番１号", "宮城県仙台市青葉区"),
        ("東京都千代田区霞が関２丁目１番２号", "東京都千代田区"),
        ("石川県鳳珠郡能登町字宇出津", "石川県鳳珠郡能登町"),
    ],
)
def test_area_is_the_municipality(address: str, area: str) -> None:
    assert area_of(address) == area


def test_document_hash_is_of_the_bytes_received(make_kiosk: MakeKiosk, dsn: str) -> None:
    k = make_kiosk("kiosk-01")
    ref = k.submit(1)[0]
    k.store.sync(k.sink)
    assert (
        rows(dsn, "SELECT document_sha256 FROM submissions")[0][0]
        == hashlib.sha256(k.store.document(ref)).hexdigest()
    )


def test_the_witness_url_is_the_sibling_of_the_intake_url(pki: Pki) -> None:
    pair = pki.client("kiosk-url")
    sink = HttpsSink("https://office.example:8443/city/intake/submissions?v=1", pair.cert,
                     pair.key, pki.ca.cert)  # fmt: skip
    assert sink.witness_path == "/city/intake/audit-head"
