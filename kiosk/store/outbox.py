"""Sinks that carry signed submission documents to the back office.

A sink delivers one document at a time and says whether a failure is worth retrying. Every
sink sends the idempotency key with the document, so the back office can drop a copy it
already has: a document may travel twice (the kiosk crashed between delivering and marking
it delivered), but it is accepted once.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import re
import secrets
import ssl
import stat
from datetime import timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.config import SinkSettings
from kiosk.paths import DataDir
from kiosk.store.errors import DeliveryFailed, from_os

_KEY = re.compile(r"^[A-Za-z0-9_-]{8,80}$")


def check_idempotency_key(key: str) -> str:
    """`key` if it is 8-80 characters of [A-Za-z0-9_-] (safe as a file name and a header)."""
    if not _KEY.fullmatch(key):
        raise ValueError("idempotency key must be 8-80 characters of A-Z a-z 0-9 _ -")
    return key


def backoff(attempts: int, base_s: int, max_s: int) -> timedelta:
    """Wait before the next try after `attempts` failures: base, 2×base, 4×base … up to max."""
    return timedelta(seconds=min(max_s, base_s * (2 ** max(0, attempts - 1))))


def audit_head_document(kiosk_id: str, seq: int, hash_: str, signature: bytes) -> bytes:
    """The signed audit head a sink shows the back office after each sync round."""
    return json.dumps(
        {"kiosk_id": kiosk_id, "seq": seq, "hash": hash_,
         "signature": base64.b64encode(signature).decode("ascii")},
        sort_keys=True,
    ).encode("ascii")  # fmt: skip


AUDIT_HEAD_FILE = "audit-head.json"


class Sink(Protocol):
    """Delivers one signed document. Raises `DeliveryFailed` (retryable or not)."""

    kind: str

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None: ...


class FolderSink:
    """Signed-file drop into a folder (a city's closed network, a USB transfer).

    The file is `<idempotency key>.json`, written to a hidden temporary name, fsynced and
    renamed, so the receiver never sees half a file. Delivering the same key again leaves
    the one file as it is. Files are sealed to the back office's key; without one nothing is
    handed over (documents wait, encrypted, in the outbox) unless `allow_plaintext`. Drops
    are 0600 in a 0700 folder; `.part` files a crash left are removed when the sink starts.
    """

    kind = "folder"

    def __init__(
        self,
        folder: Path,
        recipient: X25519PublicKey | None = None,
        *,
        allow_plaintext: bool = False,
    ) -> None:
        self.folder = folder
        self.recipient = recipient  # when set, files are sealed to the back office's key
        self.allow_plaintext = allow_plaintext
        remove_part_files(folder)

    def path_for(self, idempotency_key: str) -> Path:
        return self.folder / f"{check_idempotency_key(idempotency_key)}.json"

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None:
        final = self.path_for(idempotency_key)
        if self.recipient is None and not self.allow_plaintext:
            # Plaintext would put names, addresses and photos in a folder: wait for a key.
            raise DeliveryFailed(
                "folder sink: no sink.recipient_public_key (plaintext hand-over is off)",
                retryable=True,
            )
        if final.exists():
            return  # delivered before the kiosk could mark it: once is enough
        if self.recipient is not None:
            document = seal_for_recipient(self.recipient, document, idempotency_key)
        tmp = self.folder / f".{final.name}.{os.getpid()}.part"
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if stat.S_IMODE(self.folder.stat().st_mode) & 0o077:
                with contextlib.suppress(OSError):  # a mount we do not own keeps its mode
                    self.folder.chmod(0o700)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                os.fchmod(fd, 0o600)
                view = memoryview(document)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, final)
            dfd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            known = from_os(e)
            detail = f"folder sink: {known.message_id if known else type(e).__name__}"
            raise DeliveryFailed(f"{detail} errno {e.errno}", retryable=True) from None

    def witness(self, head: bytes) -> bool:
        """Write the signed audit head as `audit-head.json` (0600); the importer checks it."""
        final = self.folder / AUDIT_HEAD_FILE
        tmp = self.folder / f".{AUDIT_HEAD_FILE}.{os.getpid()}.part"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, head)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, final)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise DeliveryFailed(f"folder sink: audit head errno {e.errno}") from None
        return True  # a folder cannot answer; the back office flags a rollback on import


def remove_part_files(folder: Path) -> int:
    """Remove half-written `.part` drops (a crash mid-write); how many went."""
    return clean_drop_folder(folder, older_than=None)


def clean_drop_folder(folder: Path, older_than: float | None) -> int:
    """Remove `.part` files, and drops last changed before `older_than` (a timestamp)."""
    n = 0
    try:
        names = list(folder.iterdir())
    except OSError:
        return 0  # not there yet, or not ours to list
    for p in names:
        part = p.name.startswith(".") and p.name.endswith(".part")
        drop = older_than is not None and p.name.endswith(".json") and not p.name.startswith(".")
        if not (part or drop):
            continue
        try:
            st = p.lstat()
            if not stat.S_ISREG(st.st_mode):
                continue
            if part or (older_than is not None and st.st_mtime < older_than):
                p.unlink()
                n += 1
        except OSError:
            continue  # being written or picked up this moment: next time
    return n


SEALED_FORMAT = "kiosk-sealed-drop.v1"


def _drop_key(shared: bytes, idempotency_key: str) -> bytes:
    info = b"kiosk-sealed-drop|" + idempotency_key.encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def seal_for_recipient(recipient: X25519PublicKey, document: bytes, idempotency_key: str) -> bytes:
    """The document encrypted to the back office's X25519 key (ephemeral ECDH, AES-256-GCM).

    Only the idempotency key (random, not personal) stays readable, so a receiver can
    dedupe before decrypting. Open with `open_sealed_drop`.
    """
    ephemeral = X25519PrivateKey.generate()
    key = _drop_key(ephemeral.exchange(recipient), idempotency_key)
    nonce = secrets.token_bytes(12)
    ct = AESGCM(key).encrypt(nonce, document, idempotency_key.encode("ascii"))
    raw = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return json.dumps(
        {
            "format": SEALED_FORMAT,
            "alg": "X25519-HKDF-SHA256-AES256GCM",
            "idempotency_key": idempotency_key,
            "ephemeral_public_key": base64.b64encode(raw).decode("ascii"),
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "ciphertext": base64.b64encode(ct).decode("ascii"),
        },
        sort_keys=True,
    ).encode("ascii")


def open_sealed_drop(private_key: X25519PrivateKey, sealed: bytes) -> bytes:
    """The signed envelope inside a sealed drop file (for the back office and tests)."""
    obj = json.loads(sealed)
    if obj.get("format") != SEALED_FORMAT:
        raise ValueError("not a sealed kiosk drop file")
    idem = str(obj["idempotency_key"])
    peer = X25519PublicKey.from_public_bytes(base64.b64decode(obj["ephemeral_public_key"]))
    key = _drop_key(private_key.exchange(peer), idem)
    nonce, ct = base64.b64decode(obj["nonce"]), base64.b64decode(obj["ciphertext"])
    return AESGCM(key).decrypt(nonce, ct, idem.encode("ascii"))


def load_recipient_key(path: Path) -> X25519PublicKey:
    """An X25519 public key from a PEM file; ValueError if it is another kind of key."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, X25519PublicKey):
        raise ValueError(f"{path}: not an X25519 public key")
    return key


class HttpsSink:
    """POST over HTTPS with mutual TLS; the `Idempotency-Key` header lets the server dedupe.

    2xx and 409 (already have it) mean delivered; 408, 429 and 5xx and network errors are
    retried; any other status holds the document for staff.
    """

    kind = "https"

    def __init__(
        self,
        url: str,
        client_cert: Path,
        client_key: Path,
        ca_cert: Path | None,
        timeout_s: float = 10.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("sink url must be https://host[:port]/path")
        self.host = parts.hostname
        self.port = parts.port or 443
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout_s = timeout_s
        ctx = ssl.create_default_context(cafile=str(ca_cert) if ca_cert else None)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(client_cert), str(client_key))
        self.context = ctx

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """One POST on a fresh mutual-TLS connection; its status, or `DeliveryFailed`."""
        conn = http.client.HTTPSConnection(
            self.host, self.port, context=self.context, timeout=self.timeout_s
        )
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            return resp.status
        except ssl.SSLError as e:
            raise DeliveryFailed(f"https sink: TLS {e.reason or type(e).__name__}") from None
        except (OSError, http.client.HTTPException) as e:
            raise DeliveryFailed(f"https sink: {type(e).__name__}") from None
        finally:
            conn.close()

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None:
        status = self._post(
            self.path,
            document,
            {
                "Content-Type": "application/json",
                "Idempotency-Key": check_idempotency_key(idempotency_key),
                "X-Kiosk-Reference": reference,
            },
        )
        if 200 <= status < 300 or status == 409:
            return
        retry = status in (408, 425, 429) or status >= 500
        raise DeliveryFailed(f"https sink: HTTP {status}", retryable=retry)

    @property
    def witness_path(self) -> str:
        """The sibling `…/audit-head` of the intake path (its last segment replaced)."""
        path = self.path.split("?", 1)[0]
        return path.rsplit("/", 1)[0] + "/audit-head"

    def witness(self, head: bytes) -> bool:
        """POST the signed audit head; False when the back office answers 409 (rollback/fork)."""
        status = self._post(self.witness_path, head, {"Content-Type": "application/json"})
        if status == 409:
            return False
        if 200 <= status < 300:
            return True
        raise DeliveryFailed(f"https sink: audit head HTTP {status}", retryable=True)


class NoSink:
    """Keeps everything in the outbox (an outreach laptop synced by hand later)."""

    kind = "none"

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None:
        raise DeliveryFailed("no sink configured", retryable=True)


def sink_from_settings(settings: SinkSettings, data: DataDir) -> Sink:
    """The sink `[sink]` names; bad paths or URLs raise `ValueError` naming the key."""
    if settings.kind == "folder":
        folder = Path(settings.folder) if settings.folder else data.outbox_dir
        recipient = None
        if settings.recipient_public_key:
            recipient = load_recipient_key(Path(settings.recipient_public_key))
        return FolderSink(folder, recipient, allow_plaintext=settings.allow_plaintext)
    if settings.kind == "https":
        for key in ("url", "client_cert", "client_key"):
            if not getattr(settings, key):
                raise ValueError(f"sink.{key} is required when sink.kind = 'https'")
        return HttpsSink(
            settings.url,
            Path(settings.client_cert),
            Path(settings.client_key),
            Path(settings.ca_cert) if settings.ca_cert else None,
            timeout_s=settings.timeout_s,
        )
    return NoSink()


__all__ = [
    "AUDIT_HEAD_FILE",
    "FolderSink",
    "HttpsSink",
    "NoSink",
    "Sink",
    "audit_head_document",
    "backoff",
    "check_idempotency_key",
    "clean_drop_folder",
    "load_recipient_key",
    "open_sealed_drop",
    "seal_for_recipient",
    "sink_from_settings",
]
