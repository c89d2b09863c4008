"""The HTTPS sink with mutual TLS, against a local back office started by the test.

The test makes its own CA with `cryptography`, a server certificate for 127.0.0.1 and a
client certificate for the kiosk. The server requires the client certificate and dedupes
by the `Idempotency-Key` header, like a real back office must.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.cli import main
from kiosk.store import DeliveryFailed, HttpsSink, verify_envelope
from tests.helpers.store import FakeClock, open_store, submission


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer or (_name(subject), key)
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        b = b.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        b = b.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    if server:
        b = b.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return b.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Path:
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@dataclass
class Pki:
    ca: Path
    server: Path
    client: Path
    stranger: Path  # a client certificate from a CA the server does not trust


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Test City Back Office CA", ca_key, None, ca=True)
    issuer = (ca.subject, ca_key)
    _write(d / "ca", ca, ca_key)
    skey = ec.generate_private_key(ec.SECP256R1())
    _write(d / "server", _cert("127.0.0.1", skey, issuer, server=True), skey)
    ckey = ec.generate_private_key(ec.SECP256R1())
    _write(d / "client", _cert("kiosk-01", ckey, issuer), ckey)
    other_ca_key = ec.generate_private_key(ec.SECP256R1())
    other_ca = _cert("Someone Else CA", other_ca_key, None, ca=True)
    xkey = ec.generate_private_key(ec.SECP256R1())
    _write(d / "stranger", _cert("kiosk-99", xkey, (other_ca.subject, other_ca_key)), xkey)
    return Pki(d / "ca", d / "server", d / "client", d / "stranger")


@dataclass
class BackOffice:
    """What the receiving side saw: every POST, and the documents it accepted (by key)."""

    url: str
    fail_next: int = 0  # answer 503 to this many requests
    drop_response_next: int = 0  # accept, then hang up before answering (lost ack)
    posts: int = 0
    accepted: dict[str, bytes] = field(default_factory=dict)
    client_subjects: list[str] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)  # signed audit heads (witness)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def back_office(pki: Pki) -> Iterator[BackOffice]:
    office = BackOffice(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers.get("Idempotency-Key", "")
            cert = self.connection.getpeercert()  # type: ignore[attr-defined]
            if self.path.endswith("/audit-head"):
                with office.lock:
                    office.heads.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with office.lock:
                office.posts += 1
                office.client_subjects.append(str(cert["subject"]) if cert else "")
                if office.fail_next > 0:
                    office.fail_next -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                seen = key in office.accepted
                office.accepted.setdefault(key, body)
                if office.drop_response_next > 0:
                    office.drop_response_next -= 1
                    self.close_connection = True
                    return  # no status line: the kiosk cannot know it arrived
            self.send_response(409 if seen else 201)
            self.send_header("Content-Length", "0")
            self.end_headers()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server.with_suffix(".crt"), pki.server.with_suffix(".key"))
    ctx.load_verify_locations(pki.ca.with_suffix(".crt"))
    ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no client certificate, no service

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):  # type: ignore[no-untyped-def]
            sock, addr = super().get_request()
            return ctx.wrap_socket(sock, server_side=True), addr

        def handle_error(self, request: object, client_address: object) -> None:
            return None  # handshake refusals are expected in one test

    server = Server(("127.0.0.1", 0), Handler)
    office.url = f"https://127.0.0.1:{server.server_address[1]}/submissions"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield office
    server.shutdown()
    server.server_close()
    thread.join(5)


def _sink(pki: Pki, url: str, who: str = "client") -> HttpsSink:
    path = getattr(pki, who)
    return HttpsSink(
        url, path.with_suffix(".crt"), path.with_suffix(".key"), pki.ca.with_suffix(".crt"),
        timeout_s=5,
    )  # fmt: skip


def test_delivers_signed_document_over_mutual_tls(
    tmp_path: Path, pki: Pki, back_office: BackOffice
) -> None:
    with open_store(tmp_path, FakeClock()) as store:
        r = store.submit(submission(1))
        report = store.sync(_sink(pki, back_office.url))
    assert (report.delivered, report.remaining) == (1, 0)
    doc = json.loads(back_office.accepted[r.idempotency_key])
    assert doc["reference"] == r.reference and verify_envelope(doc)
    assert "kiosk-01" in back_office.client_subjects[0]


def test_retries_with_backoff_and_back_office_sees_it_once(
    tmp_path: Path, pki: Pki, back_office: BackOffice
) -> None:
    clock = FakeClock()
    sink = _sink(pki, back_office.url)
    back_office.fail_next = 2
    back_office.drop_response_next = 1
    with open_store(tmp_path, clock, sink={"retry_base_s": 10, "retry_max_s": 60}) as store:
        r = store.submit(submission(1))
        waits = []
        for _ in range(6):
            report = store.sync(sink)
            if report.delivered:
                break
            item = store.outbox_status().items[0]
            waits.append(item.attempts)
            clock.advance(seconds=60)
        assert report.delivered == 1
    # 503, 503, then accepted-but-no-answer (the kiosk retries), then 409 "already have it".
    assert back_office.posts == 4 and waits == [1, 2, 3]
    assert list(back_office.accepted) == [r.idempotency_key]


def test_kiosk_without_a_trusted_client_certificate_is_refused(
    tmp_path: Path, pki: Pki, back_office: BackOffice
) -> None:
    with open_store(tmp_path, FakeClock()) as store:
        store.submit(submission(1))
        report = store.sync(_sink(pki, back_office.url, who="stranger"))
        assert (report.delivered, report.retry_later) == (0, 1)
        assert store.outbox_status().pending == 1  # kept, to be sent when fixed
    assert back_office.accepted == {}


def test_server_with_untrusted_certificate_is_refused(
    tmp_path: Path, pki: Pki, back_office: BackOffice
) -> None:
    sink = HttpsSink(
        back_office.url, pki.client.with_suffix(".crt"), pki.client.with_suffix(".key"),
        pki.stranger.with_suffix(".crt"), timeout_s=5,
    )  # fmt: skip
    with pytest.raises(DeliveryFailed) as e:
        sink.deliver(b"{}", "key-00000001", "REF")
    assert e.value.retryable and "TLS" in e.value.detail
    assert back_office.posts == 0


def test_cli_sync_over_https(
    tmp_path: Path, pki: Pki, back_office: BackOffice, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    with open_store(data) as store:
        store.submit(submission(1))
        store.submit(submission(2))
    conf = tmp_path / "kiosk.toml"
    conf.write_text(
        "[sink]\n"
        'kind = "https"\n'
        f'url = "{back_office.url}"\n'
        f'client_cert = "{pki.client.with_suffix(".crt")}"\n'
        f'client_key = "{pki.client.with_suffix(".key")}"\n'
        f'ca_cert = "{pki.ca.with_suffix(".crt")}"\n'
    )
    assert main(["--config", str(conf), "--data-dir", str(data), "outbox", "sync", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["sink"], out["delivered"], out["remaining"]) == ("https", 2, 0)
    assert len(back_office.accepted) == 2
