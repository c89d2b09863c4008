"""The virtual card answers as DOMAIN.md §1 says the chip does: files, key EFs, access
conditions, counters and status words. These tests send raw APDUs and read raw bytes: they
check the card against the public record, not against the kiosk's parser."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from kiosk.devices.card import apdu
from kiosk.devices.card.apdu import Command, Response
from kiosk.devices.card.transport import AID_FACE, AID_JPKI, AID_TEXT
from kiosk.devices.card.virtual import VirtualOtherCard, testca
from kiosk.devices.card.virtual.card import VirtualMyNumberCard
from kiosk.devices.card.virtual.image import birth_key_secret, photo_jp2
from kiosk.devices.card.virtual.profile import CardProfile
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


def test_card_face_my_number_image_needs_pin_a() -> None:
    card = virtual_card("hanako")
    send(card, apdu.select_df(AID_FACE))
    send(card, apdu.verify(0x92, b"16030520332285"))
    assert send(card, apdu.read_binary(0, 5, sfi=2)).ok
    assert send(card, apdu.read_binary(0, 5, sfi=5)).sw == apdu.SW_SECURITY_NOT_SATISFIED


def test_files_and_key_efs_are_where_domain_md_puts_them(profile: CardProfile) -> None:
    """Raw bytes, read as DOMAIN.md §1 lays them out (tags by hand, not the kiosk's parser)."""
    r = demo_resident("hanako")
    card = virtual_card("hanako", profile=profile)
    send(card, apdu.select_df(AID_TEXT))
    for key_ef in (0x0011, 0x0014, 0x0015):  # PIN, 照合番号A, 照合番号B
        assert send(card, apdu.select_ef(key_ef)).ok
        assert send(card, apdu.verify(0x80)).sw & 0xFFF0 == 0x63C0
    assert send(card, apdu.read_binary(0, 2, sfi=7)).sw == apdu.SW_SECURITY_NOT_SATISFIED
    assert send(card, apdu.verify(0x91, r.pin.encode())).ok
    key_record = read_all(card, 0x07)
    assert key_record[:3] == b"\xff\x50\x82"  # FF50 { DF51 key, DF52 signature }
    assert key_record[5:7] == b"\xdf\x51" and b"\xdf\x52\x82\x01\x00" in key_record
    cert = read_all(card, 0x04)
    assert cert[:2] == b"\x7f\x21" and b"\x90\x03\x01\x00\x01\x91\x82\x01\x00" in cert
    send(card, apdu.select_df(AID_FACE))
    for key_ef in (0x0011, 0x0012, 0x0013):  # birth-date key, 照合番号B, 照合番号A
        assert send(card, apdu.select_ef(key_ef)).ok
        assert send(card, apdu.verify(0x80)).sw & 0xFFF0 == 0x63C0
    assert send(card, apdu.read_binary(0, 2, sfi=1)).sw == apdu.SW_SECURITY_NOT_SATISFIED
    assert send(card, apdu.verify(0x91, birth_key_secret(r))).ok  # opens EF 0001 only
    birth = read_all(card, 0x01)
    assert b"\xdf\x11\x08" + b"19410305" in birth and b"\xdf\x12" in birth
    assert send(card, apdu.read_binary(0, 2, sfi=2)).sw == apdu.SW_SECURITY_NOT_SATISFIED
    assert send(card, apdu.verify(0x92, r.pin_b.encode())).ok
    face = read_all(card, 0x02)
    df24 = face.index(b"\xdf\x24")  # two TLVs, exponent then modulus, not a DER SEQUENCE
    assert face[df24 + 2 : df24 + 5] == b"\x82\x01\x09"
    assert face[df24 + 5 : df24 + 14] == b"\x90\x03\x01\x00\x01\x91\x82\x01\x00"


def test_status_words_a_real_card_gives(profile: CardProfile) -> None:
    card = virtual_card("blocked", profile=profile)
    assert send(card, apdu.read_binary(0, 4)).sw == apdu.SW_NO_CURRENT_EF  # no AP: wrong state
    send(card, apdu.select_df(AID_TEXT))
    assert send(card, apdu.read_binary(0, 4)).sw == 0x6986  # no current EF
    assert send(card, apdu.verify(0x80)).sw == 0x6986  # VERIFY without a key EF selected
    assert send(card, apdu.read_binary(0, 4, sfi=2)).sw == 0x6982  # not verified
    assert send(card, apdu.select_ef(0x0009)).sw == 0x6A82  # no such EF
    assert send(card, apdu.read_binary(0, 4, sfi=9)).sw == 0x6A82
    assert send(card, apdu.select_ef(0x0011)).ok
    assert send(card, apdu.read_binary(0, 4)).sw == 0x6986  # a key EF is not for reading
    assert send(card, apdu.verify(0x91)).sw == 0x6983  # blocked
    assert send(card, apdu.verify(0x91, b"0000")).sw == 0x6983  # even the right PIN


def test_extended_length_per_profile(profile: CardProfile) -> None:
    card = virtual_card("hanako", profile=profile)
    send(card, apdu.select_df(AID_TEXT))
    big = send(card, apdu.read_binary(0, 600, sfi=4))
    if profile.extended_length:
        assert big.data[:2] == b"\x7f\x21"
    else:
        assert big.sw == apdu.SW_WRONG_LENGTH and not big.data
    assert len(send(card, apdu.read_binary(0, 256, sfi=4)).data) == 256


def test_signatures_cover_what_the_profile_says(profile: CardProfile) -> None:
    """5F37 verifies under the issuer over the 5F4E TLV or its value, as the profile says."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    cert = virtual_card("hanako", profile=profile).image.applications[AID_TEXT].files[4].data
    assert cert[:3] == b"\x7f\x21\x82" and cert[5:8] == b"\x5f\x4e\x82"
    body_len = int.from_bytes(cert[8:10], "big")  # 7F21 82 xxxx 5F4E 82 yyyy <body>
    body_tlv, body_value = cert[5 : 10 + body_len], cert[10 : 10 + body_len]
    assert cert[10 + body_len : 15 + body_len] == b"\x5f\x37\x82\x01\x00"
    signature = cert[15 + body_len : 15 + body_len + 256]
    issuer = testca.issuer_key().public_key()
    covered = body_tlv if profile.signed_over == "tlv" else body_value
    other = body_value if profile.signed_over == "tlv" else body_tlv
    issuer.verify(signature, covered, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        issuer.verify(signature, other, padding.PKCS1v15(), hashes.SHA256())


def read_all(card: VirtualMyNumberCard, sfi: int) -> bytes:
    out = b""
    while True:
        resp = send(card, apdu.read_binary(len(out), 256, sfi=sfi) if not out else
                    apdu.read_binary(len(out), 256))  # fmt: skip
        out += resp.data
        if resp.sw != apdu.SW_OK or not resp.data:
            return out


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
