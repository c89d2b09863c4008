"""The project's test CA: issuer keys for the card-verifiable certificates and a JPKI CA.

Derived deterministically (see keys.py), so `assets/trust/demo.toml` is reproducible:
`python -m kiosk.devices.card.virtual.testca > assets/trust/demo.toml`.
Trusted only in demo and test configuration.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kiosk.devices.card import cvc
from kiosk.devices.card.virtual.keys import derived_key

ISSUER = "issuer/test-jlis"  # in the demo trust table
ROGUE_ISSUER = "issuer/rogue"  # not in any table: the untrusted-issuer demo card
JPKI_CA = "jpki/test-ca"
AP_KEYS = {"text": "ap/text", "face": "ap/face"}  # the keys that sign DF33 and DF28

CA_NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
CA_NOT_AFTER = dt.datetime(2045, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def issuer_key(label: str = ISSUER) -> rsa.RSAPrivateKey:
    return derived_key(label)


def ap_key(ap: str, issuer: str = ISSUER) -> rsa.RSAPrivateKey:
    """The AP signing key; a rogue issuer has its own AP keys."""
    return derived_key(AP_KEYS[ap] if issuer == ISSUER else f"{issuer}/{AP_KEYS[ap]}")


def ap_certificate(ap: str, issuer: str = ISSUER) -> bytes:
    """EF 0004 of the text or card-face AP, signed by `issuer`."""
    ikey = issuer_key(issuer)
    skey = ap_key(ap, issuer).public_key()
    return cvc.encode(cvc.key_id(ikey.public_key()), cvc.key_id(skey), skey, ikey)


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
        f'key_id = "{cvc.key_id(pub).hex()}"\n'
        "exponent = 65537\n"
        f'modulus = "{n:x}"\n\n'
        "[[jpki_ca]]\n"
        'name = "madoguchi-kiosk TEST JPKI user authentication CA"\n'
        f'certificate = """\n{pem}"""\n'
    )


if __name__ == "__main__":
    print(demo_trust_table_toml(), end="")
