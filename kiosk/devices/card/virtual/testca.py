"""The project's test CA: issuer keys for the card-verifiable certificates and a JPKI CA.

Derived deterministically (see keys.py), so `assets/trust/demo.toml` is reproducible:
`python -m kiosk.devices.card.virtual.testca > assets/trust/demo.toml`.
Trusted only in demo and test configuration.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from kiosk.devices.card.virtual.keys import derived_key

ISSUER = "issuer/test-jlis"  # in the demo trust table
ROGUE_ISSUER = "issuer/rogue"  # not in any table: the untrusted-issuer demo card
JPKI_CA = "jpki/test-ca"
AP_KEYS = {"text": "ap/text", "face": "ap/face"}  # the keys that sign DF33 and DF28

CA_NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
CA_NOT_AFTER = dt.datetime(2045, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def ber(tag: int, value: bytes) -> bytes:
    """BER-TLV as the card stores it (DOMAIN.md §1): a 1-2 byte tag, a definite length in
    short form or 81 / 82 long form. The card side's own encoder, not the kiosk's."""
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return tag.to_bytes(2 if tag > 0xFF else 1, "big") + length + value


def rsa_key_tlvs(key: rsa.RSAPublicKey) -> bytes:
    """A key as the card holds it: exponent then modulus, `90 03 010001 91 82 0100 <n>`."""
    nums = key.public_numbers()
    return ber(0x90, nums.e.to_bytes(3, "big")) + ber(0x91, nums.n.to_bytes(256, "big"))


def sign(key: rsa.RSAPrivateKey, message: bytes) -> bytes:
    """RSA PKCS#1 v1.5 with SHA-256, as every signature on the card."""
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def key_id(key: rsa.RSAPublicKey) -> bytes:
    """A 16-byte key id: the first half of SHA-256 over the modulus (how the test CA names keys)."""
    return hashlib.sha256(key.public_numbers().n.to_bytes(256, "big")).digest()[:16]


def issuer_key(label: str = ISSUER) -> rsa.RSAPrivateKey:
    return derived_key(label)


def ap_key(ap: str, issuer: str = ISSUER) -> rsa.RSAPrivateKey:
    """The AP signing key; a rogue issuer has its own AP keys."""
    return derived_key(AP_KEYS[ap] if issuer == ISSUER else f"{issuer}/{AP_KEYS[ap]}")


def ap_certificate(
    ap: str, issuer: str = ISSUER, signed_over: Literal["tlv", "value"] = "tlv"
) -> bytes:
    """EF 0004 of the text or card-face AP, signed by `issuer` over the 5F4E TLV or its value:
    `7F21 { 5F4E { issuer key id, subject key id, exponent, modulus }, 5F37 signature }`."""
    ikey = issuer_key(issuer)
    skey = ap_key(ap, issuer).public_key()
    body_value = key_id(ikey.public_key()) + key_id(skey) + rsa_key_tlvs(skey)
    body = ber(0x5F4E, body_value)
    signature = sign(ikey, body if signed_over == "tlv" else body_value)
    return ber(0x7F21, body + ber(0x5F37, signature))


@lru_cache(maxsize=1)
def jpki_ca_certificate() -> x509.Certificate:
    key = derived_key(JPKI_CA)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "madoguchi-kiosk TEST"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test JPKI User Authentication CA"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(CA_NOT_BEFORE)
        .not_valid_after(CA_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def jpki_user_certificate(
    subject_key: rsa.RSAPublicKey, serial: int, not_before: dt.date, not_after: dt.date
) -> x509.Certificate:
    """An authentication certificate like JPKI's: no name in it, only the key and validity."""
    ca = jpki_ca_certificate()
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP")]))
        .issuer_name(ca.subject)
        .public_key(subject_key)
        .serial_number(serial)
        .not_valid_before(dt.datetime.combine(not_before, dt.time(), dt.UTC))
        .not_valid_after(dt.datetime.combine(not_after, dt.time(23, 59, 59), dt.UTC))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(derived_key(JPKI_CA), hashes.SHA256())
    )


def demo_trust_table_toml() -> str:
    """The text of assets/trust/demo.toml."""
    pub = issuer_key().public_key()
    n = pub.public_numbers().n
    pem = jpki_ca_certificate().public_bytes(serialization.Encoding.PEM).decode()
    return (
        "# Demo and test trust table: the project's TEST CA (keys anyone can derive).\n"
        "# Never configure this file at a real site. Format: docs/trust-table.md\n"
        "# Regenerate: python -m kiosk.devices.card.virtual.testca > assets/trust/demo.toml\n"
        "version = 1\n\n"
        "[[issuer]]\n"
        'name = "madoguchi-kiosk TEST issuer (card-verifiable certificates)"\n'
        f'key_id = "{key_id(pub).hex()}"\n'
        "exponent = 65537\n"
        f'modulus = "{n:x}"\n\n'
        "[[jpki_ca]]\n"
        'name = "madoguchi-kiosk TEST JPKI user authentication CA"\n'
        f'certificate = """\n{pem}"""\n'
    )


if __name__ == "__main__":
    print(demo_trust_table_toml(), end="")
