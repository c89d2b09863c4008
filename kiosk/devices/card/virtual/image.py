"""What is written on a virtual card: its files, keys and credentials, built from a resident.

Built in memory when the card is first inserted; nothing is written to disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.devices.card import cvc, tlv
from kiosk.devices.card.transport import AID_FACE, AID_JPKI, AID_TEXT
from kiosk.devices.card.virtual import testca
from kiosk.devices.card.virtual.keys import derived_key
from kiosk.devices.card.virtual.residents import DemoResident
from kiosk.errors import KnownError

AID_JUKI = bytes.fromhex("D3921000310001010401")

PHOTO_BOX = (180, 225)  # greyscale portrait, about the card's photo size


@dataclass
class Key:
    """A credential (PIN, password, 照合番号B) with its retry counter."""

    secret: bytes
    max_tries: int
    tries: int


@dataclass
class PrivateKey:
    key: rsa.RSAPrivateKey
    requires: frozenset[int]  # key EFs one of which must be verified (empty: none)


@dataclass
class ElementaryFile:
    data: bytes
    requires: frozenset[int] = frozenset()  # key EFs, any one of which opens the file
    never: bool = False  # no credential we model opens it (e.g. needs 照合番号A)


@dataclass
class Application:
    aid: bytes
    files: dict[int, ElementaryFile] = field(default_factory=dict)
    keys: dict[int, Key] = field(default_factory=dict)
    private_keys: dict[int, PrivateKey] = field(default_factory=dict)
    internal_auth_key: rsa.RSAPrivateKey | None = None


@dataclass
class CardImage:
    applications: dict[bytes, Application]


def _pad(data: bytes, extra: int = 64) -> bytes:
    """Files are allocated larger than their TLV; the rest is FF filler, as on real cards."""
    return data + b"\xff" * extra


def _offsets(parts: list[bytes]) -> bytes:
    out, pos = b"", 0
    for p in parts:
        out += pos.to_bytes(2, "big")
        pos += len(p)
    return out


def photo_jp2(resident: DemoResident) -> bytes:
    """The resident's face as a small greyscale JPEG 2000 (JP2 container)."""
    return _photo_jp2(resident.photo_path)


@lru_cache(maxsize=16)
def _photo_jp2(path: Path) -> bytes:
    from PIL import Image

    try:
        with Image.open(path) as im:
            grey = im.convert("L")
    except OSError:
        raise KnownError(
            "card.demo_faces_missing",
            f"{path} is missing: run `python packaging/fetch_faces.py` (make setup does)",
        ) from None
    # crop to the card's 4:5 portrait before shrinking, centred a little above the middle
    w, h = grey.size
    target = 4 / 5
    if w / h > target:
        nw = int(h * target)
        grey = grey.crop(((w - nw) // 2, 0, (w - nw) // 2 + nw, h))
    else:
        nh = int(w / target)
        top = max(0, (h - nh) // 3)
        grey = grey.crop((0, top, w, top + nh))
    grey = grey.resize(PHOTO_BOX, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    grey.save(buf, "JPEG2000", quality_mode="rates", quality_layers=[12], no_jp2=False)
    return buf.getvalue()


def _ymd(d: dt.date) -> bytes:
    return d.strftime("%Y%m%d").encode()


def _fake_number(resident: DemoResident) -> bytes:
    """A made-up 12-digit number for EF 0001 (the kiosk never reads it; DF31 hashes it)."""
    digits = int.from_bytes(hashlib.sha256(b"fake:" + resident.id.encode()).digest()[:8]) % 10**12
    return f"{digits:012d}".encode()


def build(resident: DemoResident) -> CardImage:
    """The whole card for a My Number demo resident."""
    issuer = testca.ISSUER if resident.issuer == "test" else testca.ROGUE_ISSUER
    card_key = derived_key(f"card/{resident.id}")
    text_ap = _text_ap(resident, issuer)
    face_ap = _face_ap(resident, issuer, card_key)
    jpki = _jpki_ap(resident)
    juki = Application(AID_JUKI)
    return CardImage({a.aid: a for a in (jpki, text_ap, face_ap, juki)})


def _text_ap(r: DemoResident, issuer: str) -> Application:
    number_tlv = tlv.encode(0xFF10, tlv.encode(0xDF11, _fake_number(r)))
    fields = [
        tlv.encode(0xDF22, r.name.encode()),
        tlv.encode(0xDF23, r.address.encode()),
        tlv.encode(0xDF24, _ymd(r.birth_date)),
        tlv.encode(0xDF25, r.sex.encode()),
    ]
    signed_fields = b"".join(fields)
    df31 = tlv.encode(0xDF31, hashlib.sha256(number_tlv).digest())
    df32 = tlv.encode(0xDF32, hashlib.sha256(signed_fields).digest())
    df33 = tlv.encode(0xDF33, cvc.sign(testca.ap_key("text", issuer), df31 + df32))
    if r.tampered_address:
        fields[1] = tlv.encode(0xDF23, r.tampered_address.encode())
    basic = tlv.encode(0xFF20, tlv.encode(0xDF21, _offsets(fields)) + b"".join(fields))
    pin, pin_b = 0x0011, 0x0015
    return Application(
        AID_TEXT,
        files={
            0x0001: ElementaryFile(_pad(number_tlv), frozenset({pin})),
            0x0002: ElementaryFile(_pad(basic), frozenset({pin, pin_b})),
            0x0003: ElementaryFile(
                _pad(tlv.encode(0xFF30, df31 + df32 + df33)), frozenset({pin, pin_b})
            ),
            0x0004: ElementaryFile(_pad(testca.ap_certificate("text", issuer))),
        },
        keys={
            pin: Key(r.pin.encode(), 3, r.pin_tries),
            pin_b: Key(r.pin_b.encode(), r.pin_b_tries, r.pin_b_tries),
        },
    )


def _face_ap(r: DemoResident, issuer: str, card_key: rsa.RSAPrivateKey) -> Application:
    from kiosk.devices.card.virtual.faceimages import text_png

    spki = card_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    p1 = tlv.encode(0xDF22, _ymd(r.birth_date)) + tlv.encode(0xDF23, r.sex.encode())
    p1 += tlv.encode(0xDF24, spki)
    p2 = tlv.encode(0xDF25, text_png(r.name)) + tlv.encode(0xDF26, text_png(r.address))
    p3 = tlv.encode(0xDF27, photo_jp2(r))
    signed = hashlib.sha256(p1).digest() + hashlib.sha256(p2).digest() + hashlib.sha256(p3).digest()
    df28 = tlv.encode(0xDF28, cvc.sign(testca.ap_key("face", issuer), signed))
    tail = tlv.encode(0xDF29, _ymd(r.card_expiry)) + tlv.encode(0xDF2A, text_png(r.security_code))
    parts = [p1, p2, p3, df28, tail]
    face = tlv.encode(0xFF20, tlv.encode(0xDF21, _offsets(parts)) + b"".join(parts))
    pin_b = 0x0012
    # a clone carries the genuine data (DF24 names the genuine key) but cannot hold that key
    ia_key = derived_key(f"clone/{r.id}") if r.cloned else card_key
    age = tlv.encode(0xFF40, tlv.encode(0xDF41, b"\x01"))
    ap_info = tlv.encode(0xFF30, tlv.encode(0xDF34, b"131016"))
    return Application(
        AID_FACE,
        files={
            0x0001: ElementaryFile(_pad(age)),
            0x0002: ElementaryFile(_pad(face, 128), frozenset({pin_b})),
            0x0003: ElementaryFile(_pad(ap_info)),
            0x0004: ElementaryFile(_pad(testca.ap_certificate("face", issuer))),
            0x0005: ElementaryFile(_pad(tlv.encode(0xFF50, b"")), never=True),
        },
        keys={pin_b: Key(r.pin_b.encode(), r.pin_b_tries, r.pin_b_tries)},
        internal_auth_key=ia_key,
    )


def _jpki_ap(r: DemoResident) -> Application:
    user_key = derived_key(f"jpki/{r.id}")
    sign_key = derived_key("jpki-sign/demo")  # never used by the kiosk: one key for all cards
    # JPKI certificates run to the fifth birthday after issue, or to the card's expiry
    fifth = r.birth_date.replace(year=r.issued.year + 5) if r.birth_date.month != 2 or \
        r.birth_date.day != 29 else dt.date(r.issued.year + 5, 2, 28)  # fmt: skip
    not_after = min(fifth, r.card_expiry)
    serial = int.from_bytes(hashlib.sha256(b"serial:" + r.id.encode()).digest()[:8]) | 1
    cert = testca.jpki_user_certificate(user_key.public_key(), serial, r.issued, not_after)
    der = cert.public_bytes(serialization.Encoding.DER)
    ca_der = testca.jpki_ca_certificate().public_bytes(serialization.Encoding.DER)
    auth_pin, sign_pw = 0x0018, 0x001B
    return Application(
        AID_JPKI,
        files={
            0x0006: ElementaryFile(_pad(b"JPKIAPICCTOKEN2 ".ljust(32, b" "), 0)),
            0x000A: ElementaryFile(_pad(der, 128)),
            0x000B: ElementaryFile(_pad(ca_der, 128)),
        },
        keys={
            auth_pin: Key(r.jpki_pin.encode(), 3, r.jpki_pin_tries),
            sign_pw: Key(r.sign_password.encode(), 5, 5),
        },
        private_keys={
            0x0017: PrivateKey(user_key, frozenset({auth_pin})),
            0x001A: PrivateKey(sign_key, frozenset({sign_pw})),
        },
    )
