"""The virtual card over the real pcscd: insertion, removal, APDUs, detection by AID."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from kiosk.devices.card import apdu
from kiosk.devices.card.errors import CardRemoved, NotMyNumberCard, ReaderGone
from kiosk.devices.card.monitor import CardWatcher
from kiosk.devices.card.reader import (
    AID_TEXT,
    PcscCard,
    list_readers,
    open_my_number_card,
    supports_extended_length,
)
from kiosk.devices.card.virtual import VirtualCardSlot

pytestmark = pytest.mark.pcscd


def test_vpcd_readers_are_listed(card_slot: VirtualCardSlot) -> None:
    assert card_slot.reader_name in list_readers()


def test_inserted_card_answers_and_keeps_its_tries_across_reinsertion(
    card_slot: VirtualCardSlot,
) -> None:
    card_slot.insert("hanako")
    assert card_slot.wait_present()
    with open_my_number_card(card_slot.reader_name) as card:
        assert supports_extended_length(card.atr)
        assert card.transmit(apdu.select_df(AID_TEXT)).ok
        wrong = card.transmit(apdu.verify(0x80 | 0x11, b"9999"))
        assert wrong.sw == 0x63C2
    card_slot.remove()
    assert card_slot.wait_absent()
    card_slot.insert("hanako")
    assert card_slot.wait_present()
    with open_my_number_card(card_slot.reader_name) as card:
        card.transmit(apdu.select_df(AID_TEXT))
        assert card.transmit(apdu.verify(0x80 | 0x11)).sw == 0x63C2  # still 2: kept by the chip


def test_watcher_reports_insert_and_remove(card_slot: VirtualCardSlot) -> None:
    events: list[str] = []
    seen = threading.Condition()

    def note(kind: str) -> object:
        def f(reader: str) -> None:
            if reader == card_slot.reader_name:
                with seen:
                    events.append(kind)
                    seen.notify_all()

        return f

    watcher = CardWatcher(note("in"), note("out")).start()  # type: ignore[arg-type]
    try:
        card_slot.insert("hanako")
        with seen:
            assert seen.wait_for(lambda: events == ["in"], 10)
        card_slot.remove()
        with seen:
            assert seen.wait_for(lambda: events == ["in", "out"], 10)
    finally:
        watcher.stop()


def test_other_card_is_not_a_my_number_card(card_slot: VirtualCardSlot) -> None:
    card_slot.insert("transit")
    assert card_slot.wait_present()
    with pytest.raises(NotMyNumberCard):
        open_my_number_card(card_slot.reader_name).close()


def test_unknown_reader_is_reported_as_gone(card_slot: VirtualCardSlot) -> None:
    with pytest.raises(ReaderGone):
        open_my_number_card("No Such Reader 00 00")


def test_removal_between_commands_raises_card_removed(card_slot: VirtualCardSlot) -> None:
    card_slot.insert("hanako")
    assert card_slot.wait_present()
    card = PcscCard(card_slot.reader_name)
    try:
        assert card.transmit(apdu.select_df(AID_TEXT)).ok
        card_slot.remove()
        deadline = time.monotonic() + 10
        with pytest.raises(CardRemoved):
            while time.monotonic() < deadline:  # pcscd notices within its polling interval
                card.transmit(apdu.select_df(AID_TEXT))
    finally:
        card.close()


def test_swapping_cards_is_seen_as_a_removal_then_an_insertion(card_slot: VirtualCardSlot) -> None:
    events: list[str] = []
    seen = threading.Condition()

    def note(kind: str) -> Callable[[str], None]:
        def f(reader: str) -> None:
            if reader == card_slot.reader_name:
                with seen:
                    events.append(kind)
                    seen.notify_all()

        return f

    watcher = CardWatcher(note("in"), note("out")).start()
    try:
        card_slot.insert("hanako")
        with seen:
            assert seen.wait_for(lambda: events == ["in"], 10)
        card_slot.insert("yoshio")  # the tray swaps: no pause between the two cards
        with seen:
            assert seen.wait_for(lambda: events == ["in", "out", "in"], 10), events
        assert card_slot.wait_present()
        with open_my_number_card(card_slot.reader_name) as card:
            card.transmit(apdu.select_df(AID_TEXT))
            assert card.transmit(apdu.verify(0x91, b"5555")).ok  # yoshio's card, not hanako's
    finally:
        watcher.stop()
