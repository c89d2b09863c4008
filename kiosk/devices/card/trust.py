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

from kiosk.devices.card.cvc import KEY_ID_LEN
from kiosk.devices.card.errors import TrustTableError
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
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise TrustTableError(f"{path}: cannot read the trust table ({e.strerror})") from None
        except tomllib.TOMLDecodeError as e:
            raise TrustTableError(f"{path}: not valid TOML ({e})") from None
        return cls.from_dict(doc, str(path))

    @classmethod
    def from_dict(cls, doc: dict[str, object], source: str = "") -> TrustTable:
        unknown = set(doc) - {"version", "issuer", "jpki_ca"}
        if unknown:
            raise TrustTableError(f"{source}: unknown key {sorted(unknown)[0]!r}")
        if doc.get("version", 1) != 1:
            raise TrustTableError(f"{source}: version must be 1")
        issuers: dict[bytes, IssuerKey] = {}
        for i, entry in enumerate(_tables(doc, "issuer", source)):
            where = f"{source}: issuer[{i}]"
            extra = set(entry) - {"name", "key_id", "exponent", "modulus"}
            if extra:
                raise TrustTableError(f"{where}: unknown key {sorted(extra)[0]!r}")
            try:
                key_id = bytes.fromhex(str(entry["key_id"]))
                n = int(str(entry["modulus"]).replace(":", "").replace(" ", ""), 16)
                e = entry.get("exponent", 65537)
                if not isinstance(e, int):
                    raise ValueError("exponent must be an integer")
                key = rsa.RSAPublicNumbers(e, n).public_key()
            except KeyError as k:
                raise TrustTableError(f"{where}: missing {k.args[0]!r}") from None
            except ValueError as v:
                raise TrustTableError(f"{where}: {v}") from None
            if len(key_id) != KEY_ID_LEN:
                raise TrustTableError(f"{where}: key_id must be {KEY_ID_LEN} bytes (32 hex digits)")
            issuers[key_id] = IssuerKey(str(entry.get("name", "")), key_id, key)
        cas: list[x509.Certificate] = []
        for i, entry in enumerate(_tables(doc, "jpki_ca", source)):
            where = f"{source}: jpki_ca[{i}]"
            try:
                cas.append(x509.load_pem_x509_certificate(str(entry["certificate"]).encode()))
            except KeyError:
                raise TrustTableError(f"{where}: missing 'certificate'") from None
            except ValueError as v:
                raise TrustTableError(f"{where}: not a PEM certificate ({v})") from None
        return cls(issuers, tuple(cas), source)

    @classmethod
    def demo(cls) -> TrustTable:
        """The test CA's table: for demo mode and tests only, never at a real site."""
        return cls.load(DEMO_TABLE)


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
