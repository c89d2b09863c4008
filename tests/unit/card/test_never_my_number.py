"""Every operation, on every demo card in every profile, with an APDU trace: the My Number
is never touched, and no last try is spent.

Text-AP EF 0001 and card-face EF 0005 are never selected or read, 照合番号A's key EFs (text AP
0014, card-face AP 0013) are never selected or verified, no VERIFY carries a 12-digit number
or goes to a key other than the PIN and 照合番号B keys, and a credential with one try left
gets no VERIFY with data.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from kiosk.devices.card.apdu import Command
from kiosk.devices.card.errors import CardError
from kiosk.devices.card.mynumber import FORBIDDEN_FILES, FORBIDDEN_KEYS, Credential, MyNumberCard
from kiosk.devices.card.transport import AID_FACE, AID_JPKI, AID_TEXT
from kiosk.devices.card.trust import TrustTable
from kiosk.devices.card.virtual import DemoResident, list_demo_residents
from kiosk.devices.card.virtual.profile import CardProfile
from tests.helpers.card import ApduTrace, DirectLink, touched_files, virtual_card

MY_NUMBER_RESIDENTS = [r for r in list_demo_residents() if r.kind == "mynumber"]
ALLOWED_KEYS = {AID_TEXT: {0x11, 0x15}, AID_FACE: {0x12}, AID_JPKI: {0x18, 0x1B}}


def run_every_operation(card: MyNumberCard, pin: str, pin_b: str, jpki_pin: str) -> None:
    now = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    for credential in Credential:
        with contextlib.suppress(CardError):
            card.tries(credential)
    steps = [
        lambda: card.read(pin=pin),
        lambda: card.read(pin_b=pin_b),
        lambda: card.read_basic_info(pin_b=pin_b),
        lambda: card.check_text_integrity(),
        lambda: card.read_card_face(pin_b),
        lambda: card.check_face_integrity(),
        lambda: card.internal_authenticate(),
        lambda: card.jpki_authenticate(jpki_pin, now=now),
        lambda: card.verify(Credential.TEXT_PIN, "0000"),
    ]
    for step in steps:
        with contextlib.suppress(CardError, RuntimeError):
            step()


@pytest.mark.parametrize("resident", MY_NUMBER_RESIDENTS, ids=lambda r: r.id)
def test_no_operation_touches_the_my_number(
    resident: DemoResident, demo_trust: TrustTable, profile: CardProfile
) -> None:
    trace = ApduTrace()
    chip = virtual_card(resident.id, trace, profile)
    before = {(aid, fid): k.tries for aid, ap in chip.image.applications.items()
              for fid, k in ap.keys.items()}  # fmt: skip
    card = MyNumberCard(DirectLink(chip, 65535), demo_trust)
    run_every_operation(card, resident.pin, resident.pin_b, resident.jpki_pin)
    commands = trace.commands
    touched = touched_files(commands)
    assert any(what == "read" and fid == 2 for _, what, fid in touched)  # the trace is real
    assert any(c.ins == 0x2A and c.p2 == 0x00 for c in commands)  # internal auth ran too
    for ap, what, fid in touched:
        assert (ap, fid) not in FORBIDDEN_FILES, f"{what} {fid:04X} in {ap.hex()}"
        if what in ("select", "verify"):
            assert (ap, fid) not in FORBIDDEN_KEYS, f"照合番号A: {what} {fid:04X}"
        if what == "verify":
            assert fid in ALLOWED_KEYS[ap]
    for c in commands:
        if c.ins == 0x20 and c.data:
            assert len(c.data) in (4, 14), "only PINs and 照合番号B are ever sent"
    for (aid, fid), tries in before.items():  # no operation without staff spends a last try
        if tries == 1:
            assert chip.tries(aid, fid) == 1, f"the last try of {fid:04X} was spent"
    assert before[(AID_TEXT, 0x14)] == chip.tries(AID_TEXT, 0x14)  # 照合番号A: untouched
    assert before[(AID_FACE, 0x13)] == chip.tries(AID_FACE, 0x13)


def test_the_forbidden_files_are_refused_before_any_apdu(demo_trust: TrustTable) -> None:
    trace = ApduTrace()
    card = MyNumberCard(DirectLink(virtual_card("hanako", trace)), demo_trust)
    for aid, fid in FORBIDDEN_FILES:
        with pytest.raises(PermissionError):
            card._read(aid, fid, 0xFF10)
    assert trace.exchanges == []


def test_pin_a_key_efs_are_refused_before_any_apdu(demo_trust: TrustTable) -> None:
    trace = ApduTrace()
    card = MyNumberCard(DirectLink(virtual_card("hanako", trace)), demo_trust)
    for aid, fid in FORBIDDEN_KEYS:
        card._select_ap(aid)
        with pytest.raises(PermissionError):
            card._select_ef(fid)
    assert all(c.ins == 0xA4 and c.p1 == 0x04 for c in trace.commands)  # only the AP SELECTs


def test_the_trace_check_would_catch_a_read_of_ef_0001() -> None:
    sneaky = [Command(0x00, 0xA4, 0x04, 0x0C, AID_TEXT), Command(0x00, 0xB0, 0x81, 0x00, le=16)]
    assert (AID_TEXT, "read", 1) in touched_files(sneaky)
