"""The trust table: which issuers may sign card data, which CAs issue JPKI certificates.

A TOML file named by `[card] trust_table` (format in docs/trust-table.md). Production keys
are the deployer's to supply; `assets/trust/demo.toml` holds the test CA's public keys and
is trusted only in demo and test configuration.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.devices.card import publickey
from kiosk.devices.card.cvc import KEY_ID_LEN
from kiosk.devices.card.errors import TrustTableError
from kiosk.devices.card.publickey import MIN_BITS
from kiosk.devices.card.tlv import TlvError
from kiosk.paths import ASSETS

DEMO_TABLE = ASSETS / "trust" / "demo.toml"


@dataclass(frozen=True)
class IssuerKey:
    name: str
    key_id: bytes
    key: rsa.RSAPublicKey


@dataclass(frozen=True)
class TrustTable:
    """Issuer keys by 16-byte key id, and JPKI CA certificates. Empty trusts nothing."""

    issuers: dict[bytes, IssuerKey] = field(default_factory=dict)
    jpki_cas: tuple[x509.Certificate, ...] = ()
    source: str = ""

    def issuer(self, key_id: bytes) -> IssuerKey | None:
        return self.issuers.get(key_id)

    @classmethod
    def load(cls, path: Path) -> TrustTable:
        """Read a trust table; every mistake raises TrustTableError naming the file and entry."""
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise TrustTableError(f"{path}: cannot read the trust table ({e.strerror})") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise TrustTableError(f"{path}: not UTF-8 text (byte {e.start})") from None
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise TrustTableError(f"{path}: not valid TOML ({e})") from None
        except RecursionError:  # tomllib recurses per level of nested arrays and tables
            raise TrustTableError(f"{path}: nested too deeply to be a trust table") from None
        return cls.from_dict(doc, str(path))

    @classmethod
    def from_dict(cls, doc: dict[str, object], source: str = "") -> TrustTable:
        _only(doc, {"version", "issuer", "jpki_ca"}, source)
        version = doc.get("version", 1)
        if type(version) is not int or version != 1:
            raise TrustTableError(f"{source}: version must be 1")
        issuers: dict[bytes, IssuerKey] = {}
        for i, entry in enumerate(_tables(doc, "issuer", source)):
            where = f"{source}: issuer[{i}]"
            _only(entry, {"name", "key_id", "exponent", "modulus"}, where)
            name = _text(entry, "name", where, required=False)
            key_id = _key_id(_text(entry, "key_id", where), where)
            if key_id in issuers:
                raise TrustTableError(f"{where}: key_id {key_id.hex()} is listed twice")
            key = _issuer_key(entry, where)
            issuers[key_id] = IssuerKey(name, key_id, key)
        cas: list[x509.Certificate] = []
        for i, entry in enumerate(_tables(doc, "jpki_ca", source)):
            where = f"{source}: jpki_ca[{i}]"
            _only(entry, {"name", "certificate"}, where)
            _text(entry, "name", where, required=False)
            pem = _text(entry, "certificate", where)
            try:
                cert = x509.load_pem_x509_certificate(pem.encode())
                ca_key = cert.public_key()
            except ValueError as v:
                raise TrustTableError(f"{where}: not a PEM certificate ({v})") from None
            if not isinstance(ca_key, rsa.RSAPublicKey) or ca_key.key_size < MIN_BITS:
                raise TrustTableError(f"{where}: the CA key is not RSA of {MIN_BITS} bits or more")
            cas.append(cert)
        return cls(issuers, tuple(cas), source)

    @classmethod
    def demo(cls) -> TrustTable:
        """The test CA's table: for demo mode and tests only, never at a real site."""
        return cls.load(DEMO_TABLE)


def _only(table: dict[str, object], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise TrustTableError(f"{where}: unknown key {unknown[0]!r}")


def _text(entry: dict[str, object], key: str, where: str, required: bool = True) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if value is None:
        raise TrustTableError(f"{where}: missing {key!r}")
    if not isinstance(value, str):
        raise TrustTableError(f"{where}: {key} must be a string")
    return value


def _key_id(text: str, where: str) -> bytes:
    try:
        key_id = bytes.fromhex(text)
    except ValueError:
        raise TrustTableError(f"{where}: key_id is not hex") from None
    if len(key_id) != KEY_ID_LEN:
        raise TrustTableError(f"{where}: key_id must be {KEY_ID_LEN} bytes (32 hex digits)")
    return key_id


def _issuer_key(entry: dict[str, object], where: str) -> rsa.RSAPublicKey:
    digits = _text(entry, "modulus", where).replace(":", "").replace(" ", "")
    if not digits or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise TrustTableError(f"{where}: modulus must be hex digits (no sign, no 0x)")
    e = entry.get("exponent", 65537)
    if type(e) is not int:
        raise TrustTableError(f"{where}: exponent must be an integer")
    try:
        return publickey.checked_key(e, int(digits, 16), "the key")
    except TlvError as t:
        raise TrustTableError(f"{where}: {t.detail}") from None


def _tables(doc: dict[str, object], key: str, source: str) -> list[dict[str, object]]:
    v = doc.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise TrustTableError(f"{source}: {key} must be an array of tables ([[{key}]])")
    return v


def resolve(setting: str, demo: bool) -> TrustTable:
    """The table `[card] trust_table` names; empty means the demo table in demo mode, else none."""
    if setting:
        return TrustTable.load(Path(setting).expanduser())
    return TrustTable.demo() if demo else TrustTable(source="(none)")
