"""A staff IC card (職員証) over the real pcscd: its UID is all the kiosk reads of it."""

from __future__ import annotations

import json

import pytest

from kiosk import cli
from kiosk.config import StaffMember, StaffSettings
from kiosk.devices.card.errors import NotMyNumberCard
from kiosk.devices.card.reader import card_uid, open_my_number_card
from kiosk.devices.card.virtual import VirtualCardSlot, demo_resident
from kiosk.flows.staff import ConfigStaff, card_hash, pin_hash

pytestmark = pytest.mark.pcscd


def test_the_staff_card_gives_its_uid_and_signs_its_owner_in(card_slot: VirtualCardSlot) -> None:
    card = demo_resident("staffcard")
    card_slot.insert("staffcard")
    assert card_slot.wait_present()
    uid = card_uid(card_slot.reader_name)
    assert uid == bytes.fromhex(card.card_uid)
    staff = ConfigStaff(StaffSettings(members=(
        StaffMember("clerk1", "clerk", pin_hash("clerk1", "9999"), card_hash(uid)),
    )))  # fmt: skip
    who = staff.by_card(uid)
    assert who is not None and (who.id, who.role) == ("clerk1", "clerk")
    assert staff.by_card(uid[::-1]) is None
    # It is not a My Number card: placed on the resident's reader, it goes to a person.
    with pytest.raises(NotMyNumberCard):
        open_my_number_card(card_slot.reader_name)


def test_kiosk_staff_card_id_prints_what_the_config_needs(
    card_slot: VirtualCardSlot, capsys: pytest.CaptureFixture[str]
) -> None:
    card_slot.insert("staffcard")
    assert card_slot.wait_present()
    assert cli.main(["staff", "card-id", "--reader", card_slot.reader_name, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"ok": True, "card_sha256": card_hash(bytes.fromhex("04A1B2C3D4E5F6"))}
    assert "04A1B2C3D4E5F6" not in json.dumps(out)  # the UID itself is not printed


def test_kiosk_staff_card_id_without_a_card_says_so(
    card_slot: VirtualCardSlot, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["staff", "card-id", "--reader", card_slot.reader_name]) == 1
    assert capsys.readouterr().err.strip()
