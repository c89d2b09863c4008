"""The session's card port over the real My Number card on a PC/SC reader.

Each call opens the card afresh: a card may be pulled and put back between two taps, and
a fresh connection never carries a verified state from one resident to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from kiosk.devices.card.errors import CredentialBlocked, OneTryLeft, WrongCredential
from kiosk.devices.card.mynumber import Credential, MyNumberCard
from kiosk.devices.card.reader import open_my_number_card
from kiosk.devices.card.records import BasicInfo, Sex
from kiosk.devices.card.trust import TrustTable
from kiosk.flows.ports import CardHolder, CardRead, WrongSecret

DEFAULT_TRIES = 3  # the text AP PIN's limit, for a card that reports none


class CardOnReader:
    """`CardPort` for whichever reader holds the card (or the configured one)."""

    def __init__(self, trust: TrustTable, reader: str = "", today: Callable[[], date] = date.today):
        self.trust = trust
        self.reader = reader
        self._today = today

    def _open(self) -> tuple[MyNumberCard, Callable[[], None]]:
        transport = open_my_number_card(self.reader)
        return MyNumberCard(transport, self.trust), transport.close

    def check_card(self) -> None:
        _, close = self._open()  # raises NotMyNumberCard, NoCard, ReaderGone, PcscdNotRunning
        close()

    def pin_tries_left(self) -> int:
        card, close = self._open()
        try:
            left = card.tries(Credential.TEXT_PIN).left
        finally:
            close()
        return DEFAULT_TRIES if left is None else left

    def open_with_pin(self, pin: str, staff_override: bool = False) -> CardRead:
        return self._open_with(pin=pin, staff_override=staff_override)

    def open_with_pin_b(self, pin_b: str) -> CardRead:
        return self._open_with(pin_b=pin_b, staff_override=False)

    def _open_with(
        self, *, pin: str | None = None, pin_b: str | None = None, staff_override: bool
    ) -> CardRead:
        card, close = self._open()
        try:
            reading = card.read(pin=pin, pin_b=pin_b, staff_override=staff_override)
        except WrongCredential as e:
            raise WrongSecret(-1 if e.tries_left is None else e.tries_left) from None
        except CredentialBlocked:
            raise WrongSecret(0) from None
        except OneTryLeft:
            raise WrongSecret(1) from None  # the session then asks a person first
        finally:
            close()
        reading.require_genuine(self._today())  # tampered, copied, expired, untrusted: typed
        assert reading.basic is not None
        return CardRead(
            holder=holder_of(reading.basic),
            photo=reading.face.photo if reading.face is not None else None,
        )


_ISO5218 = {Sex.MALE: "1", Sex.FEMALE: "2", Sex.NOT_APPLICABLE: "9", Sex.NOT_KNOWN: "0"}


def holder_of(info: BasicInfo) -> CardHolder:
    return CardHolder(
        name=info.name, birth_date=info.birth_date, address=info.address, sex=_ISO5218[info.sex]
    )
