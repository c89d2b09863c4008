"""MyNumberCard against the virtual card, wired directly (pcscd is covered in integration).

Every test that reads a card takes the `profile` fixture: it runs on each card layout."""

from __future__ import annotations

import datetime as dt
from datetime import date

import pytest

from kiosk.devices.card import apdu
from kiosk.devices.card.errors import (
    CardExpired,
    CardTampered,
    CredentialBlocked,
    InternalAuthFailed,
    OneTryLeft,
    UntrustedIssuer,
    WrongCredential,
)
from kiosk.devices.card.mynumber import (
    Credential,
    CredentialFormatError,
    Integrity,
    InternalAuth,
    MyNumberCard,
)
from kiosk.devices.card.records import Sex
from kiosk.devices.card.transport import AID_TEXT
from kiosk.devices.card.trust import TrustTable
from kiosk.devices.card.virtual import demo_resident
from kiosk.devices.card.virtual.profile import CardProfile
from tests.helpers.card import ApduTrace, DirectLink, virtual_card

TODAY = date(2026, 11, 22)


def card_for(
    resident_id: str, trust: TrustTable, profile: CardProfile, max_read: int = apdu.SHORT_MAX
) -> tuple[MyNumberCard, ApduTrace]:
    trace = ApduTrace()
    chip = virtual_card(resident_id, trace, profile)
    return MyNumberCard(DirectLink(chip, max_read), trust), trace


def verifies_with_data(trace: ApduTrace) -> list[apdu.Command]:
    return [c for c in trace.commands if c.ins == 0x20 and c.data]


def test_valid_card_reads_everything_and_passes(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    r = demo_resident("hanako")
    card, _ = card_for("hanako", demo_trust, profile, max_read=65535)
    reading = card.read(pin_b=r.pin_b)
    assert reading.basic is not None and reading.face is not None
    assert reading.basic.name == "山田　花子"
    assert reading.basic.birth_date == date(1941, 3, 5) and reading.basic.sex is Sex.FEMALE
    assert reading.face.birth_date == reading.basic.birth_date
    assert reading.face.expiry == date(2033, 3, 5)
    assert reading.face.photo_format == "jp2" and len(reading.face.photo) < 8000
    assert reading.integrity is Integrity.OK and reading.internal_auth is InternalAuth.OK
    reading.require_genuine(TODAY)  # raises nothing
    assert "山田" not in repr(reading)  # personal data stays out of logs


def test_pin_reads_basic_info_only(demo_trust: TrustTable, profile: CardProfile) -> None:
    card, _ = card_for("hanako", demo_trust, profile)
    reading = card.read(pin="1234")
    assert reading.basic is not None and reading.basic.address.startswith("東京都")
    assert reading.face is None and reading.internal_auth is InternalAuth.OK
    assert reading.integrity is Integrity.OK


def test_name_outside_common_sets_survives(demo_trust: TrustTable, profile: CardProfile) -> None:
    card, _ = card_for("yoshio", demo_trust, profile)
    info = card.read_basic_info(pin="5555")
    assert info.name == "髙橋　𠮷男" and info.birth_date == date(1989, 1, 8)


def test_reads_are_header_then_exact_length(demo_trust: TrustTable, profile: CardProfile) -> None:
    """Short chunks: every READ BINARY asks for the header or exactly what is left (≤256)."""
    r = demo_resident("hanako")
    short, trace_short = card_for("hanako", demo_trust, profile)
    short.read(pin_b=r.pin_b)
    long, trace_long = card_for("hanako", demo_trust, profile, max_read=65535)
    long.read(pin_b=r.pin_b)
    reads = [c for c in trace_short.commands if c.ins == 0xB0]
    assert all(c.le is not None and c.le <= 256 for c in reads)
    assert reads[0].le == 6  # the header first
    long_reads = [c for c in trace_long.commands if c.ins == 0xB0]
    if profile.extended_length:
        # one header read and one read for the rest of each of the 5 files
        assert len(long_reads) == 10
        assert len(trace_long.exchanges) < len(trace_short.exchanges)
    else:  # the card answers 6700 once, then it is read as in short chunks
        assert len(trace_long.exchanges) == len(trace_short.exchanges) + 1
    # nothing past the TLV: no response ends in filler
    assert all(not resp[:-2].endswith(b"\xff" * 4) for _, resp in trace_long.exchanges)


def test_tries_are_read_without_spending(demo_trust: TrustTable, profile: CardProfile) -> None:
    card, trace = card_for("taro", demo_trust, profile)
    assert card.tries(Credential.TEXT_PIN).left == 1
    assert card.tries(Credential.TEXT_PIN).last_try
    assert card.tries(Credential.JPKI_AUTH_PIN).left == 1
    assert card.tries(Credential.FACE_PIN_B).left == 10
    assert card.tries(Credential.JPKI_SIGN_PASSWORD).left == 5
    assert card.tries(Credential.TEXT_PIN).left == 1  # still: nothing was spent
    assert verifies_with_data(trace) == []


def test_one_try_left_is_refused_without_staff(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    card, trace = card_for("taro", demo_trust, profile)
    with pytest.raises(OneTryLeft) as e:
        card.read_basic_info(pin="0000")
    assert e.value.message_id == "card.one_try_left"
    assert verifies_with_data(trace) == []  # the last try was not sent


def test_staff_override_spends_the_last_try(demo_trust: TrustTable, profile: CardProfile) -> None:
    card, _ = card_for("taro", demo_trust, profile)
    info = card.read_basic_info(pin="4321", staff_override=True)
    assert info.name == "佐藤　太郎"
    assert card.tries(Credential.TEXT_PIN).verified


def test_wrong_pin_with_staff_override_blocks(demo_trust: TrustTable, profile: CardProfile) -> None:
    card, _ = card_for("taro", demo_trust, profile)
    with pytest.raises(CredentialBlocked):
        card.verify(Credential.TEXT_PIN, "0000", staff_override=True)


def test_wrong_pin_reports_tries_left(demo_trust: TrustTable, profile: CardProfile) -> None:
    card, _ = card_for("hanako", demo_trust, profile)
    with pytest.raises(WrongCredential) as e:
        card.verify(Credential.TEXT_PIN, "9999")
    assert e.value.tries_left == 2 and e.value.params == {"tries": 2}
    card.verify(Credential.TEXT_PIN, "1234")  # a correct PIN resets the counter
    fresh, _ = MyNumberCard(card.transport, demo_trust), None
    assert fresh.tries(Credential.TEXT_PIN).left == 3


def test_blocked_card_sends_nothing(demo_trust: TrustTable, profile: CardProfile) -> None:
    card, trace = card_for("blocked", demo_trust, profile)
    with pytest.raises(CredentialBlocked):
        card.read_basic_info(pin="0000", staff_override=True)
    assert verifies_with_data(trace) == []


@pytest.mark.parametrize("secret", ["123", "12345", "abcd", "１２３４", "123456789012"])
def test_malformed_pin_is_not_sent(
    demo_trust: TrustTable, secret: str, profile: CardProfile
) -> None:
    card, trace = card_for("hanako", demo_trust, profile)
    with pytest.raises(CredentialFormatError):
        card.verify(Credential.TEXT_PIN, secret)
    assert trace.exchanges == []


def test_a_12_digit_number_is_never_sent_as_pin_b(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    card, trace = card_for("hanako", demo_trust, profile)
    with pytest.raises(CredentialFormatError):
        card.read_card_face("123456789012")  # the shape of 照合番号A
    assert trace.exchanges == []


def test_tampered_card_fails_integrity(demo_trust: TrustTable, profile: CardProfile) -> None:
    r = demo_resident("tampered")
    card, _ = card_for("tampered", demo_trust, profile)
    reading = card.read(pin_b=r.pin_b)
    assert reading.integrity is Integrity.FAILED
    with pytest.raises(CardTampered):
        reading.require_genuine(TODAY)


def test_cloned_card_fails_internal_authentication(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    r = demo_resident("cloned")
    card, _ = card_for("cloned", demo_trust, profile)
    reading = card.read(pin_b=r.pin_b)
    assert reading.integrity is Integrity.OK and reading.internal_auth is InternalAuth.FAILED
    with pytest.raises(InternalAuthFailed):
        reading.require_genuine(TODAY)


def test_genuine_card_passes_internal_authentication_every_time(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    r = demo_resident("hanako")
    card, trace = card_for("hanako", demo_trust, profile)
    card.read_card_face(r.pin_b)
    assert card.internal_authenticate() and card.internal_authenticate()
    challenges = [resp for c, resp in trace.exchanges if c[1] == 0x84]
    assert len(set(challenges)) == 2  # a fresh challenge each time


def test_foreign_issuer_is_untrusted(demo_trust: TrustTable, profile: CardProfile) -> None:
    r = demo_resident("foreign")
    card, _ = card_for("foreign", demo_trust, profile)
    reading = card.read(pin_b=r.pin_b)
    assert reading.integrity is Integrity.UNTRUSTED_ISSUER
    with pytest.raises(UntrustedIssuer):
        reading.require_genuine(TODAY)


def test_empty_trust_table_trusts_no_card(profile: CardProfile) -> None:
    card, _ = card_for("hanako", TrustTable(), profile)
    assert card.read(pin="1234").integrity is Integrity.UNTRUSTED_ISSUER


def test_expired_card(demo_trust: TrustTable, profile: CardProfile) -> None:
    r = demo_resident("expired")
    card, _ = card_for("expired", demo_trust, profile)
    reading = card.read(pin_b=r.pin_b)
    assert reading.face is not None and reading.face.expiry == date(2025, 4, 2)
    with pytest.raises(CardExpired):
        reading.require_genuine(TODAY)
    reading.require_genuine(date(2025, 4, 2))  # valid through its last day


def test_jpki_user_authentication(demo_trust: TrustTable, profile: CardProfile) -> None:
    card, _ = card_for("hanako", demo_trust, profile)
    auth = card.jpki_authenticate("1234", now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    assert auth.not_before.date() == date(2023, 3, 1)
    assert auth.not_after.date() == date(2028, 3, 5)  # the fifth birthday after issue
    assert "Test JPKI" in auth.issuer


def test_jpki_expired_certificate_is_refused_before_the_pin(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    card, trace = card_for("expired", demo_trust, profile)
    with pytest.raises(CardExpired):
        card.jpki_authenticate("2580", now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    assert verifies_with_data(trace) == []


def test_jpki_certificate_from_unknown_ca_is_untrusted(profile: CardProfile) -> None:
    card, trace = card_for("hanako", TrustTable(), profile)
    with pytest.raises(UntrustedIssuer):
        card.jpki_authenticate("1234")
    assert verifies_with_data(trace) == []


def test_jpki_signature_from_another_key_fails(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    card, _ = card_for("hanako", demo_trust, profile)
    other = virtual_card("yoshio")
    # swap the signing key for another card's: the certificate no longer matches the chip
    jpki = card.transport.card.image.applications  # type: ignore[attr-defined]
    aid = next(a for a in jpki if a.startswith(bytes.fromhex("D392F0")))
    jpki[aid].private_keys[0x0017] = other.image.applications[aid].private_keys[0x0017]
    with pytest.raises(InternalAuthFailed):
        card.jpki_authenticate("1234", now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC))


def test_detection_hint_saves_the_select(demo_trust: TrustTable) -> None:
    link = DirectLink(virtual_card("hanako"))
    assert link.transmit(apdu.select_df(AID_TEXT)).ok
    link.selected_aid = AID_TEXT
    before = link.apdu_count
    MyNumberCard(link, demo_trust).read_basic_info(pin="1234")
    sent = link.apdu_count - before
    assert sent == 1 + 1 + 2  # tries, verify, header + rest: no SELECT


def test_card_without_extended_length_is_read_in_short_chunks(demo_trust: TrustTable) -> None:
    r = demo_resident("hanako")
    trace = ApduTrace()
    chip = virtual_card("hanako", trace)
    chip.extended_length = False
    card = MyNumberCard(DirectLink(chip, max_read=65535), demo_trust)  # the ATR promised it
    reading = card.read(pin_b=r.pin_b)
    assert reading.integrity is Integrity.OK and reading.internal_auth is InternalAuth.OK
    assert card.max_read == apdu.SHORT_MAX
    refused = [c for c, resp in trace.exchanges if resp[-2:] == b"\x67\x00"]
    assert len(refused) == 1  # asked once, then remembered


def test_card_without_short_ef_addressing_is_read_by_select(demo_trust: TrustTable) -> None:
    r = demo_resident("hanako")
    trace = ApduTrace()
    chip = virtual_card("hanako", trace)
    chip.short_ef = False
    reading = MyNumberCard(DirectLink(chip, max_read=65535), demo_trust).read(pin_b=r.pin_b)
    assert reading.integrity is Integrity.OK and reading.internal_auth is InternalAuth.OK
    selects = [c for c in trace.commands if c.ins == 0xA4 and c.p1 == 0x02]
    assert {int.from_bytes(c.data, "big") for c in selects} == {0x02, 0x03, 0x04, 0x12, 0x15}


def test_pin_path_challenges_the_card_in_the_text_ap(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    card, trace = card_for("hanako", demo_trust, profile)
    reading = card.read(pin="1234")
    assert reading.internal_auth is InternalAuth.OK and reading.face is None
    aps = [c.data for c in trace.commands if c.ins == 0xA4 and c.p1 == 0x04]
    assert aps == [AID_TEXT]  # the card-face AP is never opened on the PIN path
    sent = [(c.ins, c.p1) for c in trace.commands]
    assert (0xB0, 0x87) in sent  # EF 0007 read by its short EF id
    assert sent[-2:] == [(0x84, 0x00), (0x2A, 0x00)]  # GET CHALLENGE, INTERNAL AUTHENTICATE


@pytest.mark.parametrize("pin_path", [True, False], ids=["pin", "pin-b"])
def test_a_clone_fails_internal_authentication_on_both_paths(
    demo_trust: TrustTable, profile: CardProfile, pin_path: bool
) -> None:
    r = demo_resident("cloned")
    card, _ = card_for("cloned", demo_trust, profile)
    reading = card.read(pin=r.pin) if pin_path else card.read(pin_b=r.pin_b)
    assert reading.integrity is Integrity.OK  # the right data, signed by the issuer
    assert reading.internal_auth is InternalAuth.FAILED  # but another private key
    with pytest.raises(InternalAuthFailed):
        reading.require_genuine(TODAY)


@pytest.mark.parametrize("pin_path", [True, False], ids=["pin", "pin-b"])
def test_which_signature_scope_held_is_reported(
    demo_trust: TrustTable, profile: CardProfile, pin_path: bool
) -> None:
    r = demo_resident("hanako")
    card, _ = card_for("hanako", demo_trust, profile)
    reading = card.read(pin=r.pin) if pin_path else card.read(pin_b=r.pin_b)
    assert reading.integrity is Integrity.OK and reading.internal_auth is InternalAuth.OK
    assert reading.cvc_signed_over == profile.signed_over
    assert reading.auth_key_signed_over == (profile.signed_over if pin_path else None)


def test_a_key_record_changed_after_signing_fails(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    """DF51 swapped for another key (a cloner's own): DF52 no longer holds in either scope."""
    card, trace = card_for("hanako", demo_trust, profile)
    chip = card.transport.card  # type: ignore[attr-defined]
    other = virtual_card("taro", profile=profile).image.applications[AID_TEXT].files[7]
    df51_mine = chip.image.applications[AID_TEXT].files[7].data[5:270]
    df51_other = other.data[5:270]
    assert df51_mine[:2] == b"\xdf\x51" and df51_mine != df51_other
    ef = chip.image.applications[AID_TEXT].files[7]
    ef.data = ef.data.replace(df51_mine, df51_other)
    reading = card.read(pin="1234")
    assert reading.integrity is Integrity.FAILED
    assert reading.internal_auth is InternalAuth.NOT_CHECKED  # no trusted key to check with
    assert not any(c.ins == 0x2A for c in trace.commands)
    with pytest.raises(CardTampered):
        reading.require_genuine(TODAY)


def test_a_card_without_its_key_record_fails_internal_authentication(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    """A copy that leaves EF 0007 out cannot dodge the check: no key is a failed check."""
    card, _ = card_for("hanako", demo_trust, profile)
    del card.transport.card.image.applications[AID_TEXT].files[7]  # type: ignore[attr-defined]
    reading = card.read(pin="1234")
    assert reading.integrity is Integrity.OK
    assert reading.internal_auth is InternalAuth.FAILED


def test_untrusted_issuer_is_not_checked_further(profile: CardProfile) -> None:
    for pin_path in (True, False):
        card, _ = card_for("hanako", TrustTable(), profile)
        r = demo_resident("hanako")
        reading = card.read(pin=r.pin) if pin_path else card.read(pin_b=r.pin_b)
        assert reading.integrity is Integrity.UNTRUSTED_ISSUER
        assert reading.internal_auth is InternalAuth.NOT_CHECKED
        assert reading.cvc_signed_over is None


@pytest.mark.parametrize("pin_path", [True, False], ids=["pin", "pin-b"])
def test_tampered_data_fails_on_both_paths(
    demo_trust: TrustTable, profile: CardProfile, pin_path: bool
) -> None:
    r = demo_resident("tampered")
    card, _ = card_for("tampered", demo_trust, profile)
    reading = card.read(pin=r.pin) if pin_path else card.read(pin_b=r.pin_b)
    assert reading.integrity is Integrity.FAILED
