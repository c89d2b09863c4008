"""Checks on what a kiosk sends: the envelope's shape and Ed25519 signature, the payload schema.

The kiosk signs the canonical JSON of the envelope without `signature` (`kiosk.store.audit.
canonical`); the back office checks it with the key pinned when the kiosk was enrolled, not
the key the document carries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jsonschema import Draft202012Validator

from backoffice import SCHEMA_DIR
from kiosk.store.audit import canonical, head_message

ENVELOPE_SCHEMA = "submission-envelope.v1.json"


class Refused(ValueError):
    """A document or head we will not accept; `code` is a short, non-personal reason."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@cache
def validator(name: str) -> Draft202012Validator:
    path = SCHEMA_DIR / name
    if not path.is_file():
        raise Refused("unknown_schema")
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _b64(text: object) -> bytes:
    if not isinstance(text, str):
        raise Refused("bad_base64")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("bad_base64") from None


@dataclass(frozen=True)
class Photo:
    media_type: str
    sha256: str
    data: bytes


@dataclass(frozen=True)
class Envelope:
    """A checked submission: signed by `kiosk_id`'s pinned key, payload valid for its kind."""

    kiosk_id: str
    reference: str
    idempotency_key: str
    kind: str
    schema_version: int
    created_at: str
    payload: dict[str, Any]
    attachments: tuple[Photo, ...]
    document_sha256: str


def check_envelope(raw: bytes, pinned_key: bytes) -> Envelope:
    """The envelope in `raw` if signed by `pinned_key` and valid; `Refused` says why not."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refused("not_json") from None
    if not isinstance(doc, dict):
        raise Refused("not_an_envelope")
    if any(True for _ in validator(ENVELOPE_SCHEMA).iter_errors(doc)):
        raise Refused("envelope_schema")
    sig = doc["signature"]
    if _b64(sig["public_key"]) != pinned_key:
        raise Refused("unknown_signing_key")
    body = {k: v for k, v in doc.items() if k != "signature"}
    if not verify_ed25519(pinned_key, _b64(sig["value"]), canonical(body)):
        raise Refused("bad_signature")
    kind, version = doc["kind"], doc["schema_version"]
    if any(True for _ in validator(f"{kind}.v{version}.json").iter_errors(doc["payload"])):
        raise Refused("payload_schema")
    photos = []
    for a in doc["attachments"]:
        data = _b64(a["data"])
        if hashlib.sha256(data).hexdigest() != a["sha256"]:
            raise Refused("attachment_hash")
        photos.append(Photo(a["media_type"], a["sha256"], data))
    return Envelope(
        doc["kiosk_id"],
        doc["reference"],
        doc["idempotency_key"],
        kind,
        version,
        doc["created_at"],
        doc["payload"],
        tuple(photos),
        hashlib.sha256(raw).hexdigest(),
    )


@dataclass(frozen=True)
class Head:
    kiosk_id: str
    seq: int
    hash: str
    signature: bytes


def check_head(raw: bytes, pinned_key: bytes) -> Head:
    """A signed audit head `{"kiosk_id", "seq", "hash", "signature"}` from the pinned key."""
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refused("not_json") from None
    if not isinstance(obj, dict):
        raise Refused("not_a_head")
    seq, hash_, kiosk = obj.get("seq"), obj.get("hash"), obj.get("kiosk_id")
    if not (isinstance(seq, int) and not isinstance(seq, bool) and seq >= 1):
        raise Refused("not_a_head")
    if not (isinstance(hash_, str) and len(hash_) == 64 and isinstance(kiosk, str)):
        raise Refused("not_a_head")
    try:
        int(hash_, 16)
    except ValueError:
        raise Refused("not_a_head") from None
    signature = _b64(obj.get("signature"))
    if not verify_ed25519(pinned_key, signature, head_message(seq, hash_)):
        raise Refused("bad_signature")
    return Head(kiosk, seq, hash_, signature)
