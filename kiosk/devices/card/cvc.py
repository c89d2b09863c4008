"""The AP's card-verifiable certificate (EF 0004) and the signature checks that use it.

`7F21 { 5F4E body, 5F37 signature }`; the body is issuer key id (16) ‖ subject key id (16) ‖
`90` exponent ‖ `91` modulus. The issuer signs the whole 5F4E TLV (RSA PKCS#1 v1.5, SHA-256).
The issuer's key is not on the card: it comes from the trust table.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk.devices.card import tlv
from kiosk.devices.card.tlv import TlvError

KEY_ID_LEN = 16


@dataclass(frozen=True)
class CardCertificate:
    issuer_key_id: bytes
    subject_key_id: bytes
    subject_key: rsa.RSAPublicKey
    signed: bytes  # the 5F4E TLV the signature covers
    signature: bytes


def parse(data: bytes) -> CardCertificate:
    """Parse EF 0004 (filler after the TLV is ignored); raises TlvError when malformed."""
    outer = tlv.parse_file(data, 0x7F21)
    kids = tlv.children(outer.value)
    body = tlv.require(kids, 0x5F4E)
    sig = tlv.require(kids, 0x5F37)
    v = body.value
    if len(v) < 2 * KEY_ID_LEN:
        raise TlvError("certificate body too short for its key ids")
    key = tlv.children(v[2 * KEY_ID_LEN :])
    e = int.from_bytes(tlv.require(key, 0x90).value, "big")
    n = int.from_bytes(tlv.require(key, 0x91).value, "big")
    if e < 3 or e % 2 == 0 or n.bit_length() < 1024:
        raise TlvError("certificate key is not a usable RSA key")
    try:
        public = rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise TlvError(f"certificate key rejected: {exc}") from None
    return CardCertificate(
        v[:KEY_ID_LEN], v[KEY_ID_LEN : 2 * KEY_ID_LEN], public, body.raw, sig.value
    )


def encode(issuer_key_id: bytes, subject_key_id: bytes, subject: rsa.RSAPublicKey,
           issuer_private: rsa.RSAPrivateKey) -> bytes:  # fmt: skip
    """Build EF 0004's TLV (the virtual card's side)."""
    nums = subject.public_numbers()
    key = tlv.encode(0x90, nums.e.to_bytes(3, "big")) + tlv.encode(
        0x91, nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
    )
    body = tlv.encode(0x5F4E, issuer_key_id + subject_key_id + key)
    sig = sign(issuer_private, body)
    return tlv.encode(0x7F21, body + tlv.encode(0x5F37, sig))


def sign(key: rsa.RSAPrivateKey, message: bytes) -> bytes:
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def verifies(key: rsa.RSAPublicKey, signature: bytes, message: bytes) -> bool:
    """True when `signature` is `key`'s PKCS#1 v1.5 SHA-256 signature over `message`."""
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id(key: rsa.RSAPublicKey) -> bytes:
    """A 16-byte key id: the first half of SHA-256 over the modulus (how the test CA names keys)."""
    import hashlib

    n = key.public_numbers().n
    return hashlib.sha256(n.to_bytes((n.bit_length() + 7) // 8, "big")).digest()[:KEY_ID_LEN]
