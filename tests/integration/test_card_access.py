"""The session's card port over the real pcscd and the virtual card."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from kiosk.devices.card.errors import CardExpired, CardTampered, InternalAuthFailed, UntrustedIssuer
from kiosk.devices.card.trust import TrustTable
from kiosk.devices.card.virtual import VirtualCardSlot, demo_resident
from kiosk.flows.card_access import CardOnReader
from kiosk.flows.ports import WrongSecret
from tests.helpers.card import ALL_PROFILES, PROFILE_IDS

pytestmark = pytest.mark.pcscd

TODAY = date(2026, 11, 22)


@pytest.fixture(params=ALL_PROFILES, ids=PROFILE_IDS)
def card_slot(card_slot: VirtualCardSlot, request: pytest.FixtureRequest) -> VirtualCardSlot:
    """The pcscd slot, making cards in each profile in turn: every test runs on both."""
    card_slot.use_profile(request.param)
    return card_slot


@pytest.fixture
def port_for(card_slot: VirtualCardSlot) -> Iterator[object]:
    def insert(resident: str, trust: TrustTable | None = None) -> CardOnReader:
        card_slot.insert(resident)
        assert card_slot.wait_present()
        return CardOnReader(trust or TrustTable.demo(), card_slot.reader_name, lambda: TODAY)

    yield insert


def test_pin_opens_the_basic_four(port_for) -> None:  # type: ignore[no-untyped-def]
    card = port_for("hanako")
    card.check_card()
    assert card.pin_tries_left() == 3
    read = card.open_with_pin("1234")
    assert read.holder.name == "山田　花子"
    assert read.holder.birth_date == date(1941, 3, 5)
    assert read.holder.sex == "2"
    assert read.photo is None  # the PIN does not open the card face


def test_pin_b_opens_the_photo(port_for) -> None:  # type: ignore[no-untyped-def]
    read = port_for("hanako").open_with_pin_b("16030520332285")
    assert read.photo is not None and read.photo[4:8] == b"jP  "


def test_wrong_pin_reports_tries_and_the_last_one_needs_staff(port_for) -> None:  # type: ignore[no-untyped-def]
    card = port_for("hanako")
    with pytest.raises(WrongSecret) as e:
        card.open_with_pin("9999")
    assert e.value.tries_left == 2
    with pytest.raises(WrongSecret) as e:
        card.open_with_pin("9999")
    assert e.value.tries_left == 1
    with pytest.raises(WrongSecret) as e:  # refused by the device guard: nothing was spent
        card.open_with_pin("1234")
    assert e.value.tries_left == 1
    assert card.pin_tries_left() == 1
    assert card.open_with_pin("1234", staff_override=True).holder.sex == "2"
    assert card.pin_tries_left() == 3


def test_blocked_card_says_zero(port_for) -> None:  # type: ignore[no-untyped-def]
    card = port_for("blocked")
    assert card.pin_tries_left() == 0
    with pytest.raises(WrongSecret) as e:
        card.open_with_pin("0000")
    assert e.value.tries_left == 0


@pytest.mark.parametrize(
    ("resident", "pin_b", "fault"),
    [
        ("expired", "30040220250981", CardExpired),
        ("tampered", None, CardTampered),
        ("cloned", None, InternalAuthFailed),
    ],
)
def test_faults_are_typed(port_for, resident: str, pin_b: str | None, fault: type) -> None:  # type: ignore[no-untyped-def]
    card = port_for(resident)
    with pytest.raises(fault):
        card.open_with_pin_b(pin_b or demo_resident(resident).pin_b)


@pytest.mark.parametrize(
    ("resident", "fault"), [("tampered", CardTampered), ("cloned", InternalAuthFailed)]
)
def test_pin_path_faults_are_typed(port_for, resident: str, fault: type) -> None:  # type: ignore[no-untyped-def]
    """A clone read with its PIN is caught too: the text AP is challenged after the PIN."""
    card = port_for(resident)
    with pytest.raises(fault):
        card.open_with_pin(demo_resident(resident).pin)


def test_unknown_issuer(port_for) -> None:  # type: ignore[no-untyped-def]
    card = port_for("hanako", TrustTable(source="(none)"))
    with pytest.raises(UntrustedIssuer):
        card.open_with_pin("1234")
