"""The virtual card answers as the chip does: access conditions, counters, status words."""

from __future__ import annotations

import io

from PIL import Image

from kiosk.devices.card import apdu
from kiosk.devices.card.apdu import Command, Response
from kiosk.devices.card.transport import AID_FACE, AID_JPKI, AID_TEXT
from kiosk.devices.card.virtual import VirtualOtherCard
from kiosk.devices.card.virtual.card import VirtualMyNumberCard
from kiosk.devices.card.virtual.image import photo_jp2
from kiosk.devices.card.virtual.residents import demo_resident
from tests.helpers.card import virtual_card

DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420") + bytes(32)


def send(card: VirtualMyNumberCard, c: Command) -> Response:
    return Response.decode(card.process(c.encode()))


def test_basic_info_needs_the_pin_or_pin_b() -> None:
    card = virtual_card("hanako")
    assert send(card, apdu.select_df(AID_TEXT)).ok
    assert send(card, apdu.read_binary(0, 5, sfi=2)).sw == apdu.SW_SECURITY_NOT_SATISFIED
    assert send(card, apdu.read_binary(0, 5, sfi=4)).ok  # the certificate is public
    assert send(card, apdu.verify(0x95, b"16030520332285")).ok
    assert send(card, apdu.read_binary(0, 5, sfi=2)).data[:2] == b"\xff\x20"


def test_selecting_another_ap_forgets_what_was_verified() -> None:
    card = virtual_card("hanako")
    send(card, apdu.select_df(AID_TEXT))
    assert send(card, apdu.verify(0x91, b"1234")).ok
    send(card, apdu.select_df(AID_FACE))
    send(card, apdu.select_df(AID_TEXT))
    assert send(card, apdu.read_binary(0, 5, sfi=2)).sw == apdu.SW_SECURITY_NOT_SATISFIED


def test_counter_goes_down_blocks_and_survives_reset() -> None:
    card = virtual_card("hanako")
    send(card, apdu.select_df(AID_TEXT))
    assert [send(card, apdu.verify(0x91, b"0000")).sw for _ in range(3)] == [0x63C2, 0x63C1, 0x63C0]
    card.reset()
    send(card, apdu.select_df(AID_TEXT))
    assert send(card, apdu.verify(0x91)).sw == apdu.SW_AUTH_BLOCKED
    assert send(card, apdu.verify(0x91, b"1234")).sw == apdu.SW_AUTH_BLOCKED  # even the right PIN
    assert card.tries(AID_TEXT, 0x11) == 0


def test_verify_by_selected_key_ef() -> None:
    card = virtual_card("hanako")
    send(card, apdu.select_df(AID_FACE))
    assert send(card, apdu.verify(0x80)).sw == apdu.SW_NO_CURRENT_EF
    assert send(card, apdu.select_ef(0x0012)).ok
    assert send(card, apdu.verify(0x80)).sw == 0x63CA


def test_card_face_my_number_image_is_never_readable() -> None:
    card = virtual_card("hanako")
    send(card, apdu.select_df(AID_FACE))
    send(card, apdu.verify(0x92, b"16030520332285"))
    assert send(card, apdu.read_binary(0, 5, sfi=2)).ok
    assert send(card, apdu.read_binary(0, 5, sfi=5)).sw == apdu.SW_SECURITY_NOT_SATISFIED


def test_internal_authentication_needs_a_fresh_challenge() -> None:
    card = virtual_card("hanako")
    send(card, apdu.select_df(AID_FACE))
    no_challenge = send(card, apdu.internal_authenticate(DIGEST_INFO))
    assert no_challenge.sw == apdu.SW_CONDITIONS_NOT_SATISFIED
    assert len(send(card, apdu.get_challenge(8)).data) == 8
    assert len(send(card, apdu.internal_authenticate(DIGEST_INFO)).data) == 256
    again = send(card, apdu.internal_authenticate(DIGEST_INFO))
    assert again.sw == apdu.SW_CONDITIONS_NOT_SATISFIED  # one challenge, one signature
    assert send(card, apdu.internal_authenticate(b"not a digest info")).sw == apdu.SW_WRONG_DATA


def test_jpki_signature_needs_the_pin() -> None:
    card = virtual_card("hanako")
    send(card, apdu.select_df(AID_JPKI))
    send(card, apdu.select_ef(0x0017))
    assert send(card, apdu.compute_signature(DIGEST_INFO)).sw == apdu.SW_SECURITY_NOT_SATISFIED
    assert send(card, apdu.verify(0x98, b"1234")).ok
    send(card, apdu.select_ef(0x0017))
    assert send(card, apdu.compute_signature(DIGEST_INFO)).ok


def test_unknown_things_get_iso_status_words() -> None:
    card = virtual_card("hanako")
    assert send(card, apdu.select_df(b"\xa0\x00\x00\x00\x03")).sw == apdu.SW_FILE_NOT_FOUND
    assert send(card, Command(0x00, 0xCA, 0, 0, le=0)).sw == apdu.SW_INS_NOT_SUPPORTED
    assert send(card, Command(0x90, 0xA4, 0, 0)).sw == apdu.SW_CLA_NOT_SUPPORTED
    assert Response.decode(card.process(b"\x00")).sw == apdu.SW_WRONG_LENGTH


def test_reading_past_the_end() -> None:
    card = virtual_card("hanako")
    send(card, apdu.select_df(AID_TEXT))
    cert = send(card, apdu.read_binary(0, 256 * 8, sfi=4))
    assert cert.sw == apdu.SW_END_OF_FILE and cert.data.endswith(b"\xff" * 8)  # FF filler
    assert send(card, apdu.read_binary(0x7000, 1)).sw == apdu.SW_OFFSET_OUTSIDE


def test_other_card_has_no_my_number_application() -> None:
    other = VirtualOtherCard()
    assert Response.decode(other.process(apdu.select_df(AID_TEXT).encode())).sw == 0x6A82


def test_card_photo_is_small_greyscale_jpeg2000() -> None:
    data = photo_jp2(demo_resident("hanako"))
    assert data.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n")  # JP2 signature box
    assert 1000 < len(data) < 6000
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "L" and im.size[0] <= 200 and im.size[1] <= 250
