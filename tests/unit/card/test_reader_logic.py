"""Reader logic that needs no pcscd: PC/SC result codes and T=0 follow-ups."""

from __future__ import annotations

import pytest
from smartcard import scard

from kiosk.devices.card import apdu
from kiosk.devices.card.apdu import Command, Response
from kiosk.devices.card.errors import (
    CardError,
    CardRemoved,
    NoCard,
    PcscdNotRunning,
    ReaderGone,
)
from kiosk.devices.card.monitor import CardWatcher
from kiosk.devices.card.reader import complete_t0, raise_for


@pytest.mark.parametrize(
    ("hresult", "fault"),
    [
        (scard.SCARD_E_NO_SERVICE, PcscdNotRunning),
        (scard.SCARD_E_SERVICE_STOPPED, PcscdNotRunning),
        (scard.SCARD_E_READER_UNAVAILABLE, ReaderGone),  # what an unplugged USB reader gives
        (scard.SCARD_E_UNKNOWN_READER, ReaderGone),
        (scard.SCARD_W_REMOVED_CARD, CardRemoved),
        (scard.SCARD_E_NOT_TRANSACTED, CardRemoved),
        (scard.SCARD_E_NO_SMARTCARD, CardRemoved),
        (scard.SCARD_E_INVALID_HANDLE, CardError),
    ],
)
def test_pcsc_results_become_typed_faults(hresult: int, fault: type[CardError]) -> None:
    with pytest.raises(fault) as e:
        raise_for(hresult, "testing")
    assert type(e.value) is fault
    assert "testing" in e.value.detail


def test_no_card_when_connecting() -> None:
    with pytest.raises(NoCard):
        raise_for(scard.SCARD_E_NO_SMARTCARD, "connecting", removed=NoCard)
    raise_for(scard.SCARD_S_SUCCESS, "fine")  # success raises nothing


def test_pcscd_down_says_how_to_start_it() -> None:
    with pytest.raises(PcscdNotRunning) as e:
        raise_for(scard.SCARD_E_NO_SERVICE, "connecting to pcscd")
    assert "systemctl enable --now pcscd.socket" in e.value.detail


class T0Card:
    """A T=0 card that answers 61xx and wants GET RESPONSE, or 6Cxx for a wrong Le."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.sent: list[bytes] = []

    def __call__(self, raw: bytes) -> Response:
        self.sent.append(raw)
        c = Command.decode(raw)
        if c.ins == 0xC0:
            part, self.body = self.body[: c.le], self.body[c.le or 0 :]
            return Response(part, 0x9000 if not self.body else 0x6100 | min(len(self.body), 255))
        if c.ins == 0xB0 and c.le != len(self.body):
            return Response(b"", 0x6C00 | len(self.body))
        if c.ins == 0xB0:
            return Response(self.body, 0x9000)
        return Response(b"", 0x6100 | min(len(self.body), 255))


def test_get_response_collects_everything() -> None:
    card = T0Card(bytes(range(256)) + bytes(44))
    resp = complete_t0(apdu.internal_authenticate(bytes(51)), card)
    assert resp.ok and len(resp.data) == 300
    assert [r[1] for r in card.sent] == [0x2A, 0xC0, 0xC0]


def test_wrong_le_is_sent_again_with_the_cards_length() -> None:
    card = T0Card(b"\x01\x02\x03")
    resp = complete_t0(apdu.read_binary(0, 5, sfi=2), card)
    assert resp.data == b"\x01\x02\x03" and resp.ok
    assert card.sent[1][-1] == 3


def test_watcher_reads_a_fast_swap_as_out_then_in() -> None:
    events: list[str] = []
    w = CardWatcher(lambda r: events.append(f"in:{r}"), lambda r: events.append(f"out:{r}"))
    present = scard.SCARD_STATE_PRESENT | scard.SCARD_STATE_CHANGED
    w.reader_state("R", present | (4 << 16))
    w.reader_state("R", present | (4 << 16))  # nothing new
    w.reader_state("R", present | (6 << 16))  # another card within one poll
    w.reader_state("R", scard.SCARD_STATE_EMPTY | (7 << 16))
    w.reader_state("R", present | scard.SCARD_STATE_MUTE | (8 << 16))
    w.reader_state("R", scard.SCARD_STATE_UNAVAILABLE | (8 << 16))
    assert events == ["in:R", "out:R", "in:R", "out:R", "in:R", "out:R"]
    assert w.present == frozenset()
