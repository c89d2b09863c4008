"""Fuzz the parsers that take card bytes: only typed errors, never an unexpected exception."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.devices.card import cvc, publickey, records, tlv
from kiosk.devices.card.apdu import Command, Response
from kiosk.devices.card.errors import CardProtocolError
from kiosk.devices.card.mynumber import parse_jpki_certificate
from kiosk.devices.card.reader import historical_bytes, supports_extended_length
from kiosk.devices.card.tlv import TlvError
from kiosk.devices.card.virtual.card import VirtualMyNumberCard
from kiosk.devices.card.virtual.keys import derived_key
from tests.helpers.card import virtual_card
from tests.helpers.vectors import VECTOR

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

tags = st.sampled_from([0xFF20, 0xFF30, 0x7F21, 0x5F4E, 0x5F37, 0x90, 0x91, 0x30,
                        *range(0xDF21, 0xDF34)])  # fmt: skip


@st.composite
def tlv_like(draw: st.DrawFn, depth: int = 2) -> bytes:
    """Mostly well-formed TLV trees with mutations: wrong lengths, cut-offs, filler."""
    if depth == 0 or draw(st.booleans()):
        value = draw(st.binary(max_size=40))
    else:
        value = b"".join(draw(st.lists(tlv_like(depth - 1), max_size=5)))
    enc = tlv.encode(draw(tags), value)
    mutation = draw(st.integers(0, 4))
    if mutation == 1 and enc:
        cut = draw(st.integers(0, len(enc)))
        enc = enc[:cut]
    elif mutation == 2 and len(enc) > 2:
        i = draw(st.integers(0, len(enc) - 1))
        enc = enc[:i] + bytes([draw(st.integers(0, 255))]) + enc[i + 1 :]
    elif mutation == 3:
        enc += b"\xff" * draw(st.integers(0, 8))
    return enc


def only_typed(fn: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(TlvError):
        fn(data)


@FAST
@given(st.one_of(tlv_like(), st.binary(max_size=200)))
def test_tlv_parsers(data: bytes) -> None:
    only_typed(lambda d: list(tlv.iter_tlvs(d)), data)
    only_typed(lambda d: tlv.children(d), data)
    only_typed(lambda d: tlv.parse_file(d, 0xFF20), data)


@FAST
@given(st.one_of(tlv_like(), st.binary(max_size=300)))
def test_record_parsers(data: bytes) -> None:
    only_typed(records.parse_text_record, data)
    only_typed(records.parse_integrity_record, data)
    only_typed(records.parse_card_face, data)
    only_typed(records.parse_auth_key_record, data)
    only_typed(records.parse_birth_record, data)
    only_typed(cvc.parse, data)
    only_typed(lambda d: publickey.parse_rsa_key(d, "key"), data)


def _mutations(good: bytes) -> st.SearchStrategy[bytes]:
    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(good)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        return bytes(data[: draw(st.integers(0, len(data)))])

    return mutate()


def _real_files() -> dict[str, bytes]:
    card: VirtualMyNumberCard = virtual_card("hanako")
    apps = list(card.image.applications.values())
    text, face = apps[1], apps[2]
    return {
        "text": text.files[2].data,
        "integrity": text.files[3].data,
        "cert": text.files[4].data,
        "auth_key": text.files[7].data,
        "face": face.files[2].data,
        "birth": face.files[1].data,
        "vector": VECTOR,
    }


FILES = _real_files()


@FAST
@given(_mutations(FILES["text"]))
def test_mutated_basic_info(data: bytes) -> None:
    only_typed(records.parse_text_record, data)


@FAST
@given(_mutations(FILES["integrity"]))
def test_mutated_integrity_record(data: bytes) -> None:
    only_typed(records.parse_integrity_record, data)


@FAST
@given(_mutations(FILES["cert"]) | _mutations(FILES["vector"]))
def test_mutated_certificate(data: bytes) -> None:
    only_typed(cvc.parse, data)


@FAST
@given(_mutations(FILES["auth_key"]) | _mutations(FILES["birth"]))
def test_mutated_key_records(data: bytes) -> None:
    only_typed(records.parse_auth_key_record, data)
    only_typed(records.parse_birth_record, data)


@settings(max_examples=150, deadline=None)
@given(_mutations(FILES["face"][:1200]) | _mutations(FILES["face"]))
def test_mutated_card_face(data: bytes) -> None:
    only_typed(records.parse_card_face, data)


@FAST
@given(st.binary(max_size=300))
def test_apdu_framing(data: bytes) -> None:
    try:
        c = Command.decode(data)
    except ValueError:
        return
    assert Command.decode(c.encode()) == c
    try:
        Response.decode(data)
    except ValueError:
        assert len(data) < 2


@FAST
@given(st.binary(max_size=40))
def test_atr_parsing_never_raises(atr: bytes) -> None:
    assert isinstance(supports_extended_length(atr), bool)
    assert len(historical_bytes(atr)) <= 15


@FAST
@given(st.binary(min_size=4, max_size=80))
def test_virtual_card_answers_anything_with_a_status_word(raw: bytes) -> None:
    out = CARD.process(raw)
    assert len(out) >= 2


CARD = virtual_card("hanako")


RSA_OID = bytes.fromhex("06092a864886f70d010101")  # 1.2.840.113549.1.1.1 in DER
UNKNOWN_OID = bytes.fromhex("06092a864886f70d01010f")  # same length, no such key type


def test_a_card_key_of_an_unknown_algorithm_is_a_typed_error() -> None:
    """Found by atheris (tests/fuzz): cryptography's UnsupportedAlgorithm escaped the parser."""
    spki = (
        derived_key("card/hanako")
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert RSA_OID in spki
    publickey.parse_rsa_key(spki, "DF24")  # a DER key is still taken
    with pytest.raises(TlvError, match="DF24"):
        publickey.parse_rsa_key(spki.replace(RSA_OID, UNKNOWN_OID, 1), "DF24")


def test_a_malformed_jpki_certificate_is_refused_before_the_pin_is_spent() -> None:
    card: VirtualMyNumberCard = virtual_card("hanako")
    stored = next(iter(card.image.applications.values())).files[0x000A].data
    der = tlv.parse_file(stored, 0x30).raw  # the card reads by the TLV length (FF filler)
    cert, key = parse_jpki_certificate(der)
    assert key.key_size >= 2048 and cert.issuer
    bad_version = der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x23", 1)  # v35
    assert bad_version != der
    # Cut short; an unknown key type; version 35 (found by atheris); an empty SEQUENCE.
    for broken in (
        der[:200],
        der.replace(RSA_OID, UNKNOWN_OID, 1),
        bad_version,
        b"0\x03\x02\x01\x00",
    ):
        with pytest.raises(CardProtocolError):
            parse_jpki_certificate(broken)
