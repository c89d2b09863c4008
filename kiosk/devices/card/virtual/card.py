"""The virtual My Number card: answers APDUs as the chip does (DOMAIN.md §1).

State that lives on a real chip lives here too: retry counters survive power-off and
reconnection (keep the object to keep the card); the selected AP, the current EF and what
has been verified are lost at reset and power-off, as on the chip.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from kiosk.devices.card import apdu
from kiosk.devices.card.apdu import Command, Response
from kiosk.devices.card.virtual.image import Application, CardImage, ElementaryFile, Key

SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

# Historical bytes with card capabilities (tag 73): DF selection by name, extended Lc/Le.
_ATR_BODY = bytes.fromhex("3B858131FE458073800040")


def _with_tck(atr: bytes) -> bytes:
    tck = 0
    for b in atr[1:]:
        tck ^= b
    return atr + bytes([tck])


ATR = _with_tck(_ATR_BODY)


def _sw(sw: int, data: bytes = b"") -> Response:
    return Response(data, sw)


def _uses_short_ef(c: Command) -> bool:
    if c.ins == 0xB0:
        return bool(c.p1 & 0x80)
    return c.ins == 0x20 and c.p2 & 0xE0 == 0x80 and c.p2 != 0x80


class VirtualCard:
    """What vpcd talks to: an ATR, power, reset, and one APDU at a time."""

    atr: bytes = ATR

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def reset(self) -> None: ...

    def process(self, raw: bytes) -> bytes:
        raise NotImplementedError


class VirtualOtherCard(VirtualCard):
    """A contact card that is not a My Number card (a transit or bank card stand-in)."""

    atr = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")

    def process(self, raw: bytes) -> bytes:
        return _sw(apdu.SW_FILE_NOT_FOUND).encode() if raw[1:2] == b"\xa4" else b"\x6d\x00"


class VirtualStaffCard(VirtualCard):
    """A staff IC card (職員証) on a contactless reader: only its UID matters to the kiosk,
    which the reader gives for GET DATA (FF CA 00 00). It has no My Number application."""

    atr = bytes.fromhex("3B8F8001804F0CA0000003060300030000000068")

    def __init__(self, uid: bytes) -> None:
        self.uid = uid

    def process(self, raw: bytes) -> bytes:
        if raw[:4] == b"\xff\xca\x00\x00":
            return self.uid + b"\x90\x00"
        return _sw(apdu.SW_FILE_NOT_FOUND).encode() if raw[1:2] == b"\xa4" else b"\x6d\x00"


class VirtualMyNumberCard(VirtualCard):
    """A faithful My Number chip over its CardImage. Thread-safe: one APDU at a time.

    `on_apdu(command, response)` (optional) sees every exchange (tests trace with it).
    """

    def __init__(
        self,
        image: CardImage,
        on_apdu: Callable[[bytes, bytes], None] | None = None,
        extended_length: bool | None = None,
        short_ef: bool = True,
    ) -> None:
        self.image = image
        self.on_apdu = on_apdu
        # False: an extended Le is answered 6700, like a chip or reader without it
        self.extended_length = (
            image.profile.extended_length if extended_length is None else extended_length
        )
        self.short_ef = short_ef  # False: SFI forms of READ BINARY / VERIFY answer 6A86
        self._lock = threading.Lock()
        self._ap: Application | None = None
        self._ef: int | None = None
        self._verified: set[int] = set()
        self._challenge: bytes | None = None
        self.apdu_count = 0

    # -- power ----------------------------------------------------------------------------
    def power_on(self) -> None:
        self.reset()

    def power_off(self) -> None:
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._ap, self._ef, self._challenge = None, None, None
            self._verified.clear()

    def tries(self, aid: bytes, key_fid: int) -> int:
        """Tries left on a credential (for tests and the demo tray; costs nothing)."""
        return self.image.applications[aid].keys[key_fid].tries

    # -- APDUs ----------------------------------------------------------------------------
    def process(self, raw: bytes) -> bytes:
        with self._lock:
            self.apdu_count += 1
            try:
                cmd = Command.decode(raw)
            except ValueError:
                resp = _sw(apdu.SW_WRONG_LENGTH)
            else:
                extended = len(cmd.data) > 255 or (cmd.le or 0) > apdu.SHORT_MAX
                if extended and not self.extended_length:
                    resp = _sw(apdu.SW_WRONG_LENGTH)
                elif not self.short_ef and _uses_short_ef(cmd):
                    resp = _sw(apdu.SW_WRONG_P1P2)
                else:
                    resp = self._dispatch(cmd)
            out = resp.encode()
        if self.on_apdu is not None:
            self.on_apdu(raw, out)
        return out

    def _dispatch(self, c: Command) -> Response:
        if c.cla not in (0x00, 0x80):
            return _sw(apdu.SW_CLA_NOT_SUPPORTED)
        handler = {
            (0x00, 0xA4): self._select,
            (0x00, 0x20): self._verify,
            (0x00, 0xB0): self._read_binary,
            (0x00, 0x84): self._get_challenge,
            (0x80, 0x2A): self._sign,
        }.get((c.cla, c.ins))
        if handler is None:
            return _sw(apdu.SW_INS_NOT_SUPPORTED)
        return handler(c)

    def _select(self, c: Command) -> Response:
        if c.p1 == 0x04:
            ap = self.image.applications.get(c.data)
            if ap is None:
                return _sw(apdu.SW_FILE_NOT_FOUND)
            self._ap, self._ef, self._challenge = ap, None, None
            self._verified.clear()  # security status belongs to the DF
            return _sw(apdu.SW_OK)
        if c.p1 == 0x02:
            if self._ap is None or len(c.data) != 2:
                return _sw(apdu.SW_FILE_NOT_FOUND if self._ap is None else apdu.SW_WRONG_DATA)
            fid = int.from_bytes(c.data, "big")
            ap = self._ap
            if fid not in ap.files and fid not in ap.keys and fid not in ap.private_keys:
                return _sw(apdu.SW_FILE_NOT_FOUND)
            self._ef = fid
            return _sw(apdu.SW_OK)
        return _sw(apdu.SW_WRONG_P1P2)

    def _key_for(self, c: Command) -> tuple[int, Key] | Response:
        if self._ap is None:
            return _sw(apdu.SW_NO_CURRENT_EF)
        if c.p1 != 0x00:
            return _sw(apdu.SW_WRONG_P1P2)
        if c.p2 == 0x80:
            fid = self._ef
            if fid is None or fid not in self._ap.keys:
                return _sw(apdu.SW_NO_CURRENT_EF)
        elif c.p2 & 0xE0 == 0x80:
            fid = c.p2 & 0x1F
            if fid not in self._ap.keys:
                return _sw(apdu.SW_FILE_NOT_FOUND)
        else:
            return _sw(apdu.SW_WRONG_P1P2)
        return fid, self._ap.keys[fid]

    def _verify(self, c: Command) -> Response:
        found = self._key_for(c)
        if isinstance(found, Response):
            return found
        fid, key = found
        if not c.data:
            if fid in self._verified:  # ISO 7816-4: an empty VERIFY on a verified key is 9000
                return _sw(apdu.SW_OK)
            return _sw(0x63C0 | key.tries if key.tries else apdu.SW_AUTH_BLOCKED)
        if key.tries == 0:
            return _sw(apdu.SW_AUTH_BLOCKED)
        if secrets.compare_digest(c.data, key.secret):
            key.tries = key.max_tries
            self._verified.add(fid)
            return _sw(apdu.SW_OK)
        key.tries -= 1
        self._verified.discard(fid)
        return _sw(0x63C0 | key.tries)

    def _read_binary(self, c: Command) -> Response:
        if self._ap is None:
            return _sw(apdu.SW_NO_CURRENT_EF)
        if c.p1 & 0x80:
            if c.p1 & 0x60:
                return _sw(apdu.SW_WRONG_P1P2)
            fid, offset = c.p1 & 0x1F, c.p2
            if fid not in self._ap.files:
                return _sw(apdu.SW_FILE_NOT_FOUND)
            self._ef = fid
        else:
            fid, offset = self._ef or -1, (c.p1 << 8) | c.p2
            if fid not in self._ap.files:
                return _sw(apdu.SW_NO_CURRENT_EF)
        ef: ElementaryFile = self._ap.files[fid]
        if ef.requires and not ef.requires & self._verified:
            return _sw(apdu.SW_SECURITY_NOT_SATISFIED)
        if offset > len(ef.data):
            return _sw(apdu.SW_OFFSET_OUTSIDE)
        want = c.le or apdu.SHORT_MAX
        chunk = ef.data[offset : offset + want]
        return _sw(apdu.SW_OK if len(chunk) == want else apdu.SW_END_OF_FILE, chunk)

    def _get_challenge(self, c: Command) -> Response:
        if self._ap is None or c.le is None or not 1 <= c.le <= 32:
            return _sw(apdu.SW_WRONG_LENGTH if self._ap else apdu.SW_CONDITIONS_NOT_SATISFIED)
        self._challenge = secrets.token_bytes(c.le)
        return _sw(apdu.SW_OK, self._challenge)

    def _sign(self, c: Command) -> Response:
        if self._ap is None:
            return _sw(apdu.SW_CONDITIONS_NOT_SATISFIED)
        if len(c.data) != 51 or not c.data.startswith(SHA256_DIGEST_INFO_PREFIX):
            return _sw(apdu.SW_WRONG_DATA)
        if c.p1 != 0x00:
            return _sw(apdu.SW_WRONG_P1P2)
        if c.p2 == 0x00:  # internal authentication: needs a challenge issued just before
            key = self._ap.internal_auth_key
            if key is None:
                return _sw(apdu.SW_INS_NOT_SUPPORTED)
            if self._challenge is None:
                return _sw(apdu.SW_CONDITIONS_NOT_SATISFIED)
            self._challenge = None
        elif c.p2 == 0x80:  # JPKI: the selected private key, if its PIN was verified
            pk = self._ap.private_keys.get(self._ef or -1)
            if pk is None:
                return _sw(apdu.SW_NO_CURRENT_EF)
            if pk.requires and not pk.requires & self._verified:
                return _sw(apdu.SW_SECURITY_NOT_SATISFIED)
            key = pk.key
        else:
            return _sw(apdu.SW_WRONG_P1P2)
        sig = key.sign(c.data[19:], padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        return _sw(apdu.SW_OK, sig)
