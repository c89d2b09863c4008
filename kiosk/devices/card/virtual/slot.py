"""The demo card tray's slot: put a demo resident's virtual card in a vpcd reader, take it out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kiosk.devices.card.virtual import image
from kiosk.devices.card.virtual.card import (
    VirtualCard,
    VirtualMyNumberCard,
    VirtualOtherCard,
    VirtualStaffCard,
)
from kiosk.devices.card.virtual.profile import DEFAULT, CardProfile
from kiosk.devices.card.virtual.residents import demo_resident
from kiosk.devices.card.vpcd import DEFAULT_PORT, VpcdLink

SWAP_GUARD_S = 3.0  # longest wait for pcscd to notice a removal before the next card goes in


def vpcd_reader_name(port: int) -> str:
    return f"Virtual PCD 00 {port - DEFAULT_PORT:02d}"


class VirtualCardSlot:
    """One vpcd reader and the demo cards that go in and out of it.

    Each resident's card is built once and kept, so its retry counters survive removal and
    re-insertion like a real chip's. Methods may be called from any thread.
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        on_apdu: Callable[[bytes, bytes], None] | None = None,
        profile: CardProfile = DEFAULT,
    ) -> None:
        self.port = port
        self.host = host
        self.on_apdu = on_apdu
        self.profile = profile  # the layout of the My Number cards this slot makes
        self._cards: dict[str, VirtualCard] = {}
        self._link: VpcdLink | None = None
        self._inserted: str | None = None
        self._removed_at = -1e9
        self._lock = threading.RLock()

    @property
    def reader_name(self) -> str:
        """The PC/SC name of this slot's reader (Debian's vpcd: port 35963 is "... 00 00")."""
        return vpcd_reader_name(self.port)

    @property
    def inserted(self) -> str | None:
        """The resident id of the card in the slot, or None."""
        return self._inserted

    def use_profile(self, profile: CardProfile) -> None:
        """Make the next cards in `profile`; cards already made are dropped (and the card in
        the slot taken out), so no reading mixes two layouts."""
        with self._lock:
            self.remove()
            self.profile = profile
            self._cards.clear()

    def card(self, resident_id: str) -> VirtualCard:
        """The resident's card (built on first use, 1-3 s: RSA keys and a JPEG 2000 photo)."""
        with self._lock:
            found = self._cards.get(resident_id)
            if found is None:
                r = demo_resident(resident_id)
                if r.kind == "other":
                    found = VirtualOtherCard()
                elif r.kind == "staff":
                    found = VirtualStaffCard(bytes.fromhex(r.card_uid))
                else:
                    found = VirtualMyNumberCard(image.build(r, self.profile), self._trace)
                self._cards[resident_id] = found
            return found

    def prepare(self, resident_ids: list[str]) -> threading.Thread:
        """Build cards in the background so a later insert() is instant."""
        t = threading.Thread(target=lambda: [self.card(i) for i in resident_ids], daemon=True)
        t.start()
        return t

    def insert(self, resident_id: str) -> None:
        """Place the card; a card already there is removed first. Returns before pcscd sees it."""
        with self._lock:
            card = self.card(resident_id)
            if self._link is not None:
                self.remove()
            wait = None
            if time.monotonic() - self._removed_at < SWAP_GUARD_S:
                # a swap: let pcscd see the reader empty first, or the session would never
                # hear that the first card left and could link two people's data
                reader, until = self.reader_name, self._removed_at + SWAP_GUARD_S

                def wait() -> object:
                    return reader_state(reader, present=False, until=until)

            self._link = VpcdLink(card, self.port, self.host, before_connect=wait).start()
            self._inserted = resident_id

    def wait_present(self, timeout: float = 10.0) -> bool:
        """True once pcscd reports the inserted card in this slot's reader (tests wait on this)."""
        link = self._link
        deadline = time.monotonic() + timeout
        if link is None or not link.wait_connected(timeout):
            return False
        return reader_state(self.reader_name, present=True, until=deadline)

    def wait_absent(self, timeout: float = 10.0) -> bool:
        """True once pcscd reports this slot's reader empty."""
        return reader_state(self.reader_name, present=False, until=time.monotonic() + timeout)

    def remove(self) -> None:
        with self._lock:
            if self._link is not None:
                self._link.stop()
                self._removed_at = time.monotonic()
            self._link = None
            self._inserted = None

    def close(self) -> None:
        self.remove()

    def _trace(self, command: bytes, response: bytes) -> None:
        if self.on_apdu is not None:
            self.on_apdu(command, response)


def reader_state(reader: str, present: bool, until: float) -> bool:
    """Wait until pcscd sees a card in `reader` (or sees none); False at the deadline."""
    from smartcard import scard

    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        state = scard.SCARD_STATE_UNAWARE
        while True:
            left = int((until - time.monotonic()) * 1000)
            hresult, result = scard.SCardGetStatusChange(ctx, max(left, 0), [(reader, state)])
            if hresult == scard.SCARD_S_SUCCESS:
                state = result[0][1] & ~scard.SCARD_STATE_CHANGED
                if bool(state & scard.SCARD_STATE_PRESENT) == present:
                    return True
            elif hresult != scard.SCARD_E_TIMEOUT:
                return False
            if time.monotonic() >= until:
                return False
    finally:
        scard.SCardReleaseContext(ctx)
