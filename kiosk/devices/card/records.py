"""The records on the card, parsed from their TLV bytes into small frozen values.

Every parse failure is a `TlvError` (a `CardProtocolError`): a caller never sees an
IndexError, ValueError or UnicodeDecodeError from card bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.devices.card import publickey, tlv
from kiosk.devices.card.tlv import Tlv, TlvError


class Sex(StrEnum):
    """ISO 5218 as the card stores it ("1", "2", "9", "0")."""

    MALE = "male"
    FEMALE = "female"
    NOT_APPLICABLE = "not-applicable"
    NOT_KNOWN = "not-known"

    @classmethod
    def from_iso5218(cls, code: str) -> Sex:
        table = {"1": cls.MALE, "2": cls.FEMALE, "9": cls.NOT_APPLICABLE, "0": cls.NOT_KNOWN}
        try:
            return table[code]
        except KeyError:
            raise TlvError(f"sex code {code!r} is not ISO 5218") from None


@dataclass(frozen=True)
class BasicInfo:
    """The basic 4 information (基本4情報) of the text AP. Personal data: never log it."""

    name: str  # as on the card: U+3000 between family and given name
    address: str
    birth_date: date
    sex: Sex

    def __repr__(self) -> str:  # a stray log line must not carry the name or address
        return "BasicInfo(<personal data>)"


@dataclass(frozen=True)
class TextRecord:
    """EF 0002 of the text AP as read, with what the integrity check needs."""

    info: BasicInfo
    signed_fields: bytes = field(repr=False)  # the value of FF20 from DF22 on (DF32 hashes it)


@dataclass(frozen=True)
class IntegrityRecord:
    """EF 0003 of the text AP: DF31 (hash of EF 0001), DF32 (hash of the basic info), DF33."""

    number_hash_tlv: bytes
    basic_hash_tlv: bytes
    basic_hash: bytes
    signature: bytes


@dataclass(frozen=True)
class CardFace:
    """The card face AP's record (EF 0002). Personal data: never log or persist the photo."""

    photo: bytes = field(repr=False)
    photo_format: str  # "jp2" (JPEG 2000 in its JP2 container) or "j2k" (bare codestream)
    birth_date: date
    sex: Sex
    expiry: date
    card_key: rsa.RSAPublicKey = field(repr=False)  # DF24: checks internal authentication
    name_image: bytes = field(repr=False)
    address_image: bytes = field(repr=False)
    signed_digest: bytes = field(repr=False)  # SHA-256(DF22..DF24) ‖ SHA-256(DF25..26) ‖ (DF27)
    signature: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"CardFace(<personal data>, photo {len(self.photo)} bytes {self.photo_format})"


def _text(value: bytes, what: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise TlvError(f"{what} is not UTF-8") from None


def parse_date(value: bytes, what: str) -> date:
    """YYYYMMDD in ASCII."""
    s = value.decode("ascii", "replace")
    if len(s) != 8 or not s.isdigit():
        raise TlvError(f"{what} is not YYYYMMDD")
    try:
        return date(int(s[:4]), int(s[4:6]), int(s[6:]))
    except ValueError:
        raise TlvError(f"{what} is not a calendar date") from None


def parse_text_record(data: bytes) -> TextRecord:
    """EF 0002 of the text AP: `FF20 { DF21, DF22 name, DF23 address, DF24 birth, DF25 sex }`."""
    outer = tlv.parse_file(data, 0xFF20)
    kids = tlv.children(outer.value)
    name = tlv.require(kids, 0xDF22)
    info = BasicInfo(
        name=_text(name.value, "name"),
        address=_text(tlv.require(kids, 0xDF23).value, "address"),
        birth_date=parse_date(tlv.require(kids, 0xDF24).value, "birth date"),
        sex=Sex.from_iso5218(_text(tlv.require(kids, 0xDF25).value, "sex")),
    )
    start = outer.value.find(name.raw)
    return TextRecord(info, outer.value[start:])


def parse_integrity_record(data: bytes) -> IntegrityRecord:
    """EF 0003 of the text AP: `FF30 { DF31, DF32, DF33 }`."""
    kids = tlv.children(tlv.parse_file(data, 0xFF30).value)
    df31, df32, df33 = (tlv.require(kids, t) for t in (0xDF31, 0xDF32, 0xDF33))
    if len(df32.value) != 32:
        raise TlvError("DF32 is not a SHA-256 hash")
    return IntegrityRecord(df31.raw, df32.raw, df32.value, df33.value)


def photo_format(photo: bytes) -> str:
    if photo.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
        return "jp2"
    if photo.startswith(b"\xff\x4f\xff\x51"):
        return "j2k"
    raise TlvError("the photo is not JPEG 2000")


def parse_card_face(data: bytes) -> CardFace:
    """EF 0002 of the card-face AP (DF22..DF2A; see DOMAIN.md §1)."""
    kids = tlv.children(tlv.parse_file(data, 0xFF20).value)
    df = {t: tlv.require(kids, t) for t in range(0xDF22, 0xDF2A)}
    key = publickey.parse_rsa_key(df[0xDF24].value, "DF24 (the card's key)")
    photo = df[0xDF27].value
    digest = (
        hashlib.sha256(df[0xDF22].raw + df[0xDF23].raw + df[0xDF24].raw).digest()
        + hashlib.sha256(df[0xDF25].raw + df[0xDF26].raw).digest()
        + hashlib.sha256(df[0xDF27].raw).digest()
    )
    return CardFace(
        photo=photo,
        photo_format=photo_format(photo),
        birth_date=parse_date(df[0xDF22].value, "birth date"),
        sex=Sex.from_iso5218(_text(df[0xDF23].value, "sex")),
        expiry=parse_date(tlv.require(kids, 0xDF29).value, "expiry"),
        card_key=key,
        name_image=df[0xDF25].value,
        address_image=df[0xDF26].value,
        signed_digest=digest,
        signature=df[0xDF28].value,
    )


@dataclass(frozen=True)
class AuthKeyRecord:
    """EF 0007 of the text AP: `FF50 { DF51 the AP's authentication key, DF52 signature }`.

    DF52 is by the AP's certified key, over the DF51 TLV or its value (unconfirmed)."""

    key: rsa.RSAPublicKey = field(repr=False)
    signed: Tlv = field(repr=False)  # DF51
    signature: bytes = field(repr=False)


def parse_auth_key_record(data: bytes) -> AuthKeyRecord:
    kids = tlv.children(tlv.parse_file(data, 0xFF50).value)
    df51, df52 = tlv.require(kids, 0xDF51), tlv.require(kids, 0xDF52)
    return AuthKeyRecord(publickey.parse_rsa_key(df51.value, "DF51"), df51, df52.value)


@dataclass(frozen=True)
class BirthRecord:
    """EF 0001 of the card-face AP: `{ DF11 birth date, DF12 public key, DF13 signature }`.

    The outer tag is not in the public record, so any constructed one is taken."""

    birth_date: date
    key: rsa.RSAPublicKey = field(repr=False)
    signature: bytes = field(repr=False)


def parse_birth_record(data: bytes) -> BirthRecord:
    outer, _ = tlv.parse_one(data)
    if not outer.raw[0] & 0x20:
        raise TlvError(f"the birth-date record's tag {outer.tag:X} is not constructed")
    kids = tlv.children(outer.value)
    return BirthRecord(
        parse_date(tlv.require(kids, 0xDF11).value, "birth date"),
        publickey.parse_rsa_key(tlv.require(kids, 0xDF12).value, "DF12"),
        tlv.require(kids, 0xDF13).value,
    )
