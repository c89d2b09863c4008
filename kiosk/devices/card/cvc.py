"""The AP's card-verifiable certificate (EF 0004) and the signature checks that use it.

`7F21 { 5F4E body, 5F37 signature }`; the body is issuer key id (16) ‖ subject key id (16) ‖
the subject's RSA key as exponent and modulus TLVs. The issuer's key is not on the card: it
comes from the trust table. Whether 5F37 covers the whole 5F4E TLV or only its value is
unconfirmed (DOMAIN.md §1): `signed_over` tries both and says which held.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk.devices.card import publickey, tlv
from kiosk.devices.card.tlv import Tlv, TlvError

KEY_ID_LEN = 16


class SignedOver(StrEnum):
    """What a signature of unconfirmed scope turned out to cover."""

    TLV = "tlv"  # tag, length and value
    VALUE = "value"  # the value only


@dataclass(frozen=True)
class CardCertificate:
    issuer_key_id: bytes
    subject_key_id: bytes
    subject_key: rsa.RSAPublicKey
    body: Tlv  # the 5F4E TLV the signature covers (whole, or its value)
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
    key = publickey.parse_rsa_key(v[2 * KEY_ID_LEN :], "certificate key")
    return CardCertificate(v[:KEY_ID_LEN], v[KEY_ID_LEN : 2 * KEY_ID_LEN], key, body, sig.value)


def signed_over(key: rsa.RSAPublicKey, signature: bytes, signed: Tlv) -> SignedOver | None:
    """Which form of `signed` the signature verifies over, or None when neither does.

    Accepting either weakens nothing: both forms need the signer's private key."""
    if verifies(key, signature, signed.raw):
        return SignedOver.TLV
    if verifies(key, signature, signed.value):
        return SignedOver.VALUE
    return None


def verifies(key: rsa.RSAPublicKey, signature: bytes, message: bytes) -> bool:
    """True when `signature` is `key`'s PKCS#1 v1.5 SHA-256 signature over `message`."""
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True
