"""APDU and BER-TLV encoding as the card and the kiosk both use it."""

from __future__ import annotations

import pytest

from kiosk.devices.card import apdu, tlv
from kiosk.devices.card.apdu import Command, Response
from kiosk.devices.card.reader import historical_bytes, supports_extended_length
from kiosk.devices.card.virtual.card import ATR


@pytest.mark.parametrize(
    ("command", "encoded"),
    [
        (apdu.select_df(bytes.fromhex("D3921000310001010408")), "00A4040C0AD3921000310001010408"),
        (apdu.select_ef(0x0002), "00A4020C020002"),
        (apdu.verify(0x91), "00200091"),
        (apdu.verify(0x80, b"1234"), "002000800431323334"),
        (apdu.read_binary(0, 5, sfi=2), "00B0820005"),
        (apdu.read_binary(0x0105, 256), "00B0010500"),
        (apdu.read_binary(5, 4433), "00B00005001151"),
        (apdu.get_challenge(8), "0084000008"),
    ],
)
def test_commands_encode_as_domain_md_says(command: Command, encoded: str) -> None:
    assert command.encode().hex().upper() == encoded
    assert Command.decode(command.encode()) == command


def test_extended_command_with_data_and_le_round_trips() -> None:
    c = Command(0x80, 0x2A, 0x00, 0x80, bytes(300), le=512)
    raw = c.encode()
    assert raw[4:7] == b"\x00\x01\x2c" and raw[-2:] == b"\x02\x00"
    assert Command.decode(raw) == c


@pytest.mark.parametrize("raw", ["00", "00A4040C05D392", "00B000000000", "00B00000000005AA"])
def test_bad_framing_is_a_value_error(raw: str) -> None:
    with pytest.raises(ValueError):
        Command.decode(bytes.fromhex(raw))


def test_response_split() -> None:
    r = Response.decode(bytes.fromhex("01029000"))
    assert r.data == b"\x01\x02" and r.ok and r.encode() == bytes.fromhex("01029000")


@pytest.mark.parametrize(
    ("sw", "tries"),
    [(0x63C3, 3), (0x63C1, 1), (0x63C0, 0), (0x6983, 0), (0x6984, 0), (0x6300, None)],
)
def test_tries_from_status_word(sw: int, tries: int | None) -> None:
    assert apdu.tries_from_sw(sw) == tries


def test_tries_from_other_status_word_is_an_error() -> None:
    with pytest.raises(ValueError):
        apdu.tries_from_sw(0x9000)


def test_tlv_lengths_and_two_byte_tags() -> None:
    value = bytes(300)
    enc = tlv.encode(0xFF20, value)
    assert enc[:5] == bytes.fromhex("FF2082012C")
    assert tlv.parse_header(enc) == (0xFF20, 5, 300)
    assert tlv.encode(0xDF22, b"ab") == bytes.fromhex("DF22026162")
    assert tlv.encode(0x5F4E, bytes(129))[:5] == bytes.fromhex("5F4E818100")


def test_file_is_parsed_by_its_length_and_filler_ignored() -> None:
    inner = tlv.encode(0xDF22, "山田　花子".encode()) + tlv.encode(0xDF25, b"2")
    data = tlv.encode(0xFF20, inner) + b"\xff" * 40
    outer = tlv.parse_file(data, 0xFF20)
    kids = tlv.children(outer.value)
    assert kids[0xDF22].value.decode() == "山田　花子"
    assert list(kids) == [0xDF22, 0xDF25]


def test_children_stop_at_filler_but_not_at_ff_tags() -> None:
    data = tlv.encode(0xFF20, b"") + tlv.encode(0xDF21, b"x") + b"\xff\xff\x00"
    assert [t.tag for t in tlv.iter_tlvs(data)] == [0xFF20, 0xDF21]


@pytest.mark.parametrize(
    "data",
    ["", "DF", "DF22", "DF2205616263", "DF2284000000", "FF20820100", "00", "DF2281"],
)
def test_truncated_or_odd_tlv_is_a_tlv_error(data: str) -> None:
    with pytest.raises(tlv.TlvError):
        tlv.parse_one(bytes.fromhex(data))


def test_wrong_outer_tag_and_repeated_child_are_errors() -> None:
    with pytest.raises(tlv.TlvError):
        tlv.parse_file(tlv.encode(0xFF30, b""), 0xFF20)
    with pytest.raises(tlv.TlvError):
        tlv.children(tlv.encode(0xDF22, b"a") + tlv.encode(0xDF22, b"b"))


def test_virtual_card_atr_announces_extended_length() -> None:
    assert historical_bytes(ATR) == bytes.fromhex("8073800040")
    assert supports_extended_length(ATR)
    # a made-up contactless ATR without card capabilities: short APDUs only
    assert not supports_extended_length(bytes.fromhex("3B8F8001804F0CA0000003060300030000000068"))
