"""PC/SC readers through pyscard's `scard` layer: contact and contactless alike.

`CardTransport` is what `MyNumberCard` talks to: `transmit(Command) -> Response` with status
words returned (never raised), PC/SC faults raised as typed `CardError`s, T=0 GET RESPONSE
handled, and the largest READ BINARY chunk the card and reader allow in `max_read`.
Detection of a My Number card is by SELECTing its AIDs, never by ATR (contactless readers
make ATRs up).
"""

from __future__ import annotations

from collections.abc import Callable

from smartcard import scard

from kiosk.devices.card import apdu
from kiosk.devices.card.apdu import Command, Response
from kiosk.devices.card.errors import (
    CardError,
    CardProtocolError,
    CardRemoved,
    NoCard,
    NoReader,
    NotMyNumberCard,
    PcscdNotRunning,
    ReaderGone,
)
from kiosk.devices.card.pcscd import SITE_HINT
from kiosk.devices.card.transport import (
    AID_FACE,
    AID_JPKI,
    AID_TEXT,
    MY_NUMBER_AIDS,
    CardTransport,
    Trace,
)

__all__ = ["AID_FACE", "AID_JPKI", "AID_TEXT", "MY_NUMBER_AIDS", "CardTransport", "PcscCard"]


# A card that lost contact mid-command shows up as NOT_TRANSACTED: to the resident it is removal.
_REMOVED = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_UNPOWERED_CARD,
            scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_E_NOT_TRANSACTED}  # fmt: skip
_READER_GONE = {scard.SCARD_E_READER_UNAVAILABLE, scard.SCARD_E_UNKNOWN_READER,
                scard.SCARD_E_NO_READERS_AVAILABLE}  # fmt: skip
_NO_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED}


def _code(hresult: int) -> str:
    return f"0x{hresult & 0xFFFFFFFF:08X}"


def raise_for(hresult: int, during: str, removed: type[CardError] = CardRemoved) -> None:
    """Turn a PC/SC result into the typed fault (or return when it succeeded)."""
    if hresult == scard.SCARD_S_SUCCESS:
        return
    text = f"{during}: {scard.SCardGetErrorMessage(hresult)} ({_code(hresult)})"
    if hresult in _NO_SERVICE:
        raise PcscdNotRunning(f"{text}. {SITE_HINT}")
    if hresult in _READER_GONE:
        raise ReaderGone(text)
    if hresult in _REMOVED or hresult == scard.SCARD_W_RESET_CARD:
        raise removed(text)
    raise CardError(text)


def list_readers() -> list[str]:
    """Readers pcscd knows, in its order; [] when none is plugged in."""
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    raise_for(hresult, "connecting to pcscd")
    try:
        hresult, names = scard.SCardListReaders(ctx, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        raise_for(hresult, "listing readers")
        return list(names)
    finally:
        scard.SCardReleaseContext(ctx)


def supports_extended_length(atr: bytes) -> bool:
    """Whether the ATR's card capabilities (compact-TLV tag 7, 3rd byte, bit 7) say so."""
    hist = historical_bytes(atr)
    if not hist or hist[0] != 0x80:
        return False
    i = 1
    while i < len(hist):
        tag, n = hist[i] >> 4, hist[i] & 0x0F
        value = hist[i + 1 : i + 1 + n]
        if tag == 0x7 and len(value) >= 3:
            return bool(value[2] & 0x40)
        i += 1 + n
    return False


def historical_bytes(atr: bytes) -> bytes:
    """The historical bytes of an ATR (empty when it is malformed)."""
    if len(atr) < 2:
        return b""
    k = atr[1] & 0x0F
    i, y = 1, atr[1] >> 4
    while True:
        i += bin(y & 0x0F).count("1")  # TA..TD present
        if not y & 0x8:
            break
        if i >= len(atr):
            return b""
        y = atr[i] >> 4
    return atr[i + 1 : i + 1 + k]


class PcscCard:
    """A card on one reader, connected in shared mode. Close it (or use `with`)."""

    def __init__(self, reader: str, trace: Trace | None = None, max_read: int | None = None):
        self.reader = reader
        self.trace = trace
        self.apdu_count = 0
        self.selected_aid: bytes | None = None
        self.bytes_sent = 0
        self.bytes_received = 0
        self._card: int | None = None
        self._ctx: int | None = None
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        raise_for(hresult, "connecting to pcscd")
        self._ctx = ctx
        try:
            hresult, handle, self._protocol = scard.SCardConnect(
                self._ctx, reader, scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )  # fmt: skip
            raise_for(hresult, f"connecting to the card in {reader!r}", removed=NoCard)
            self._card = handle
            hresult, _, _, _, atr = scard.SCardStatus(self._card)
            raise_for(hresult, "reading the card status", removed=NoCard)
        except CardError:
            self.close()
            raise
        self.atr = bytes(atr)
        extended = supports_extended_length(self.atr)
        self.max_read = max_read or (apdu.EXTENDED_MAX - 1 if extended else apdu.SHORT_MAX)

    def __enter__(self) -> PcscCard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._card is not None:
            scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)
            self._card = None
        if self._ctx is not None:
            scard.SCardReleaseContext(self._ctx)
            self._ctx = None

    def transmit(self, command: Command) -> Response:
        """Send one command; T=0's 61xx/6Cxx follow-ups are sent and counted as APDUs."""
        return complete_t0(command, self._raw)

    def _raw(self, raw: bytes) -> Response:
        if self._card is None:
            raise CardRemoved("the card connection is closed")
        hresult, out = scard.SCardTransmit(self._card, self._protocol, list(raw))
        raise_for(hresult, "talking to the card")
        data = bytes(out)
        self.apdu_count += 1
        self.bytes_sent += len(raw)
        self.bytes_received += len(data)
        if self.trace is not None:
            self.trace(raw, data)
        if not data:  # vpcd and some contactless readers answer nothing when the card left
            raise CardRemoved("the card stopped answering")
        try:
            return Response.decode(data)
        except ValueError:
            raise CardProtocolError("the reader returned no status word") from None


def complete_t0(command: Command, send: Callable[[bytes], Response]) -> Response:
    """Follow a T=0 card's 61xx (GET RESPONSE for the rest) and 6Cxx (send again with its Le)."""
    resp = send(command.encode())
    if resp.sw >> 8 == 0x6C and command.le is not None:
        fixed = Command(command.cla, command.ins, command.p1, command.p2, command.data,
                        (resp.sw & 0xFF) or 256)  # fmt: skip
        resp = send(fixed.encode())
    data = resp.data
    while resp.sw >> 8 == 0x61:
        resp = send(Command(0x00, 0xC0, 0x00, 0x00, le=(resp.sw & 0xFF) or 256).encode())
        data += resp.data
    return Response(data, resp.sw)


def is_my_number_card(card: PcscCard) -> bool:
    """Whether the card answers SELECT for a My Number AP (text AP first: the one we use most)."""
    for aid in MY_NUMBER_AIDS:
        if card.transmit(apdu.select_df(aid)).ok:
            card.selected_aid = aid
            return True
    return False


def open_my_number_card(
    reader: str = "", trace: Trace | None = None, max_read: int | None = None
) -> PcscCard:
    """Connect to the My Number card on `reader`, or on the first reader that holds one.

    Raises NoReader, NoCard (no reader has a card), NotMyNumberCard (cards, but none is one),
    ReaderGone, PcscdNotRunning.
    """
    names = list_readers()
    if reader:
        if reader not in names:
            raise ReaderGone(f"reader {reader!r} is not connected (known: {names})")
        names = [reader]
    if not names:
        raise NoReader("no card reader is connected")
    saw_card = False
    for name in names:
        try:
            card = PcscCard(name, trace, max_read)
        except NoCard:
            continue
        saw_card = True
        try:
            if is_my_number_card(card):
                return card
        except CardError:
            card.close()
            raise
        card.close()
    if saw_card:
        raise NotMyNumberCard("the card on the reader is not a My Number card")
    raise NoCard("no card on the reader")


GET_UID = Command(0xFF, 0xCA, 0x00, 0x00, le=256)  # PC/SC part 3: the contactless card's UID


def card_uid(reader: str) -> bytes:
    """The UID of the contactless card on `reader` (a staff IC card), read with the PC/SC
    pseudo-APDU GET DATA, which the reader answers itself. Raises NoCard, CardError; a card
    or reader that gives no UID raises CardProtocolError."""
    with PcscCard(reader) as card:
        resp = card.transmit(GET_UID)
    if not resp.ok or not 4 <= len(resp.data) <= 10:  # ISO 14443 UIDs: 4, 7 or 10 bytes
        raise CardProtocolError(f"no card UID from {reader!r}: {resp.sw:04X}")
    return resp.data
