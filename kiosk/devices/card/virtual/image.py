"""What is written on a virtual card: its files, keys and credentials, built from a resident.

Written from the public layouts of DOMAIN.md §1 alone, with its own TLV encoder: a card
written from the kiosk's parser would only prove that the parser agrees with itself. What the
public record leaves open is settled by the card's `CardProfile`. Built in memory when the
card is first inserted; nothing is written to disk.
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

from kiosk.devices.card.transport import AID_FACE, AID_JPKI, AID_TEXT
from kiosk.devices.card.virtual import testca
from kiosk.devices.card.virtual.keys import derived_key
from kiosk.devices.card.virtual.profile import DEFAULT, CardProfile
from kiosk.devices.card.virtual.residents import DemoResident
from kiosk.devices.card.virtual.testca import ber, rsa_key_tlvs, sign
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
    profile: CardProfile = DEFAULT


# Key EFs (DOMAIN.md §1). 照合番号A is on the card, so the card has it; the kiosk never sends it.
TEXT_PIN, TEXT_PIN_A, TEXT_PIN_B = 0x0011, 0x0014, 0x0015
FACE_BIRTH_KEY, FACE_PIN_B, FACE_PIN_A = 0x0011, 0x0012, 0x0013


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


class _Writer:
    """Files of one card in one profile: FF filler after each TLV, signatures in its scope."""

    def __init__(self, profile: CardProfile) -> None:
        self.profile = profile

    def file(self, data: bytes, *opened_by: int, extra: int = 0) -> ElementaryFile:
        return ElementaryFile(data + b"\xff" * (self.profile.filler + extra), frozenset(opened_by))

    def signed_part(self, tag: int, value: bytes) -> bytes:
        """What a signature of unconfirmed scope covers on this card: the TLV or its value."""
        return ber(tag, value) if self.profile.signed_over == "tlv" else value


def build(resident: DemoResident, profile: CardProfile = DEFAULT) -> CardImage:
    """The whole card for a My Number demo resident, laid out as `profile` says."""
    issuer = testca.ISSUER if resident.issuer == "test" else testca.ROGUE_ISSUER
    w = _Writer(profile)
    text_ap = _text_ap(w, resident, issuer)
    face_ap = _face_ap(w, resident, issuer)
    jpki = _jpki_ap(w, resident)
    juki = Application(AID_JUKI)
    return CardImage({a.aid: a for a in (jpki, text_ap, face_ap, juki)}, profile)


def _chip_key(r: DemoResident, ap: str) -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """(the key the AP's data names, the key the chip signs with): they differ on a clone."""
    named = derived_key(f"card/{r.id}" if ap == "face" else f"card-{ap}/{r.id}")
    # a clone carries the genuine data (which names the genuine key) but cannot hold that key
    return named, derived_key(f"clone/{r.id}") if r.cloned else named


def _text_ap(w: _Writer, r: DemoResident, issuer: str) -> Application:
    """Text AP (券面事項入力補助AP): EF 0001..0004, EF 0007, key EFs 0011 / 0014 / 0015."""
    number = ber(0xFF10, ber(0xDF11, _fake_number(r)))
    fields = [
        ber(0xDF22, r.name.encode()),  # UTF-8, U+3000 between family and given name
        ber(0xDF23, r.address.encode()),
        ber(0xDF24, _ymd(r.birth_date)),
        ber(0xDF25, r.sex.encode()),  # ISO 5218
    ]
    df31 = ber(0xDF31, hashlib.sha256(number).digest())
    df32 = ber(0xDF32, hashlib.sha256(b"".join(fields)).digest())  # EF 0002's value from DF22
    ap_key = testca.ap_key("text", issuer)
    df33 = ber(0xDF33, sign(ap_key, df31 + df32))  # over the DF31 and DF32 TLVs
    if r.tampered_address:
        fields[1] = ber(0xDF23, r.tampered_address.encode())
    basic = ber(0xFF20, ber(0xDF21, _offsets(fields)) + b"".join(fields))
    named, chip = _chip_key(r, "text")
    df51_value = rsa_key_tlvs(named.public_key())
    df52 = ber(0xDF52, sign(ap_key, w.signed_part(0xDF51, df51_value)))
    auth_key = ber(0xFF50, ber(0xDF51, df51_value) + df52)
    cert = testca.ap_certificate("text", issuer, w.profile.signed_over)
    return Application(
        AID_TEXT,
        files={
            0x0001: w.file(number, TEXT_PIN, TEXT_PIN_A),
            0x0002: w.file(basic, TEXT_PIN, TEXT_PIN_B),
            0x0003: w.file(ber(0xFF30, df31 + df32 + df33), TEXT_PIN, TEXT_PIN_B),
            0x0004: w.file(cert),
            0x0007: w.file(auth_key, TEXT_PIN, TEXT_PIN_B),
        },
        keys={
            TEXT_PIN: Key(r.pin.encode(), 3, r.pin_tries),
            TEXT_PIN_A: Key(_fake_number(r), 3, 3),
            TEXT_PIN_B: Key(r.pin_b.encode(), r.pin_b_tries, r.pin_b_tries),
        },
        internal_auth_key=chip,
    )


def birth_key_secret(r: DemoResident) -> bytes:
    """The birth-date key's secret: *unconfirmed*, here YYMMDD as printed; the kiosk never
    uses it (it opens only the birth-date record)."""
    return r.pin_b[:6].encode()


def _face_ap(w: _Writer, r: DemoResident, issuer: str) -> Application:
    """Card-face AP (券面事項確認AP): EF 0001..0005, key EFs 0011 / 0012 / 0013."""
    from kiosk.devices.card.virtual.faceimages import text_png

    named, chip = _chip_key(r, "face")
    key_tlvs = rsa_key_tlvs(named.public_key())  # DF24: two TLVs, not a SubjectPublicKeyInfo
    p1 = ber(0xDF22, _ymd(r.birth_date)) + ber(0xDF23, r.sex.encode()) + ber(0xDF24, key_tlvs)
    p2 = ber(0xDF25, text_png(r.name)) + ber(0xDF26, text_png(r.address))
    p3 = ber(0xDF27, photo_jp2(r))
    signed = hashlib.sha256(p1).digest() + hashlib.sha256(p2).digest() + hashlib.sha256(p3).digest()
    ap_key = testca.ap_key("face", issuer)
    df28 = ber(0xDF28, sign(ap_key, signed))  # DF29 and DF2A are not signed
    tail = ber(0xDF29, _ymd(r.card_expiry)) + ber(0xDF2A, text_png(r.security_code))
    parts = [p1, p2, p3, df28, tail]
    face = ber(0xFF20, ber(0xDF21, _offsets(parts)) + b"".join(parts))
    df11 = _ymd(r.birth_date)
    df13 = sign(ap_key, w.signed_part(0xDF11, df11) + w.signed_part(0xDF12, key_tlvs))
    birth = ber(0xFF10, ber(0xDF11, df11) + ber(0xDF12, key_tlvs) + ber(0xDF13, df13))
    number_image = ber(0xFF40, ber(0xDF41, text_png(_fake_number(r).decode())))
    return Application(
        AID_FACE,
        files={
            0x0001: w.file(birth, FACE_BIRTH_KEY),
            0x0002: w.file(face, FACE_PIN_B, FACE_PIN_A, extra=64),
            0x0003: w.file(ber(0xFF30, ber(0xDF34, b"131016"))),  # AP info: municipality code
            0x0004: w.file(testca.ap_certificate("face", issuer, w.profile.signed_over)),
            0x0005: w.file(number_image, FACE_PIN_A),  # the rendered My Number: 照合番号A only
        },
        keys={
            FACE_BIRTH_KEY: Key(birth_key_secret(r), 10, 10),
            FACE_PIN_B: Key(r.pin_b.encode(), r.pin_b_tries, r.pin_b_tries),
            FACE_PIN_A: Key(_fake_number(r), 10, 10),
        },
        internal_auth_key=chip,
    )


def _jpki_ap(w: _Writer, r: DemoResident) -> Application:
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
            0x0006: w.file(b"JPKIAPICCTOKEN2 ".ljust(32, b" ")),
            0x000A: w.file(der, extra=64),
            0x000B: w.file(ca_der, extra=64),
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
