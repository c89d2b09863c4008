"""Command and response APDUs (ISO 7816-4), short and extended length.

Status words the My Number card uses are named here so callers never compare raw numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_AUTH_BLOCKED = 0x6983
SW_DATA_INVALIDATED = 0x6984
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_NO_CURRENT_EF = 0x6986
SW_WRONG_DATA = 0x6A80
SW_FUNC_NOT_SUPPORTED = 0x6A81
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_NO_RETRY_LIMIT = 0x6300
SW_OFFSET_OUTSIDE = 0x6B00
SW_END_OF_FILE = 0x6282

SHORT_MAX = 256
EXTENDED_MAX = 65536


@dataclass(frozen=True)
class Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # None: no response data expected; 256/65536 encode as 00/0000

    def encode(self, extended: bool | None = None) -> bytes:
        """The bytes to send; extended form when asked or when a length needs it."""
        if extended is None:
            extended = len(self.data) > 255 or (self.le is not None and self.le > SHORT_MAX)
        out = bytes([self.cla, self.ins, self.p1, self.p2])
        if not extended:
            if self.data:
                out += bytes([len(self.data)]) + self.data
            if self.le is not None:
                out += bytes([self.le % 256])
            return out
        if self.data:
            out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                out += (self.le % 65536).to_bytes(2, "big")
        elif self.le is not None:
            out += b"\x00" + (self.le % 65536).to_bytes(2, "big")
        return out

    @classmethod
    def decode(cls, raw: bytes) -> Command:
        """Parse a command (the virtual card's side); raises ValueError on bad framing."""
        if len(raw) < 4:
            raise ValueError("APDU shorter than 4 bytes")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or SHORT_MAX)
        if body[0] != 0:
            lc = body[0]
            if len(body) == 1 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:]))
            if len(body) == 2 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), body[-1] or SHORT_MAX)
            raise ValueError("short APDU with inconsistent Lc")
        # extended length
        if len(body) == 3:
            return cls(cla, ins, p1, p2, le=int.from_bytes(body[1:3], "big") or EXTENDED_MAX)
        if len(body) < 3:
            raise ValueError("truncated extended length")
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise ValueError("extended Lc of zero")
        if len(body) == 3 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3:]))
        if len(body) == 5 + lc:
            le = int.from_bytes(body[-2:], "big") or EXTENDED_MAX
            return cls(cla, ins, p1, p2, bytes(body[3 : 3 + lc]), le)
        raise ValueError("extended APDU with inconsistent Lc")


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    def encode(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def decode(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise ValueError("response shorter than a status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))


def tries_from_sw(sw: int) -> int | None:
    """Tries left that a VERIFY status word reports; None when the card keeps no limit."""
    if sw == SW_NO_RETRY_LIMIT:
        return None
    if sw & 0xFFF0 == 0x63C0:
        return sw & 0x0F
    if sw in (SW_AUTH_BLOCKED, SW_DATA_INVALIDATED):
        return 0
    raise ValueError(f"not a tries status word: {sw:04X}")


# Commands the kiosk sends (one place, so the trace test knows their shapes).
def select_df(aid: bytes) -> Command:
    return Command(0x00, 0xA4, 0x04, 0x0C, aid)


def select_ef(fid: int) -> Command:
    return Command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))


def verify(p2: int, secret: bytes = b"") -> Command:
    return Command(0x00, 0x20, 0x00, p2, secret)


def read_binary(offset: int, le: int, sfi: int | None = None) -> Command:
    if sfi is not None:
        if offset > 0xFF:
            raise ValueError("a short-EF READ BINARY reaches offsets up to 255 only")
        return Command(0x00, 0xB0, 0x80 | sfi, offset, le=le)
    if offset > 0x7FFF:
        raise ValueError("offset beyond 32767")
    return Command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le)


def get_challenge(n: int = 8) -> Command:
    return Command(0x00, 0x84, 0x00, 0x00, le=n)


def internal_authenticate(digest_info: bytes) -> Command:
    return Command(0x80, 0x2A, 0x00, 0x00, digest_info, le=SHORT_MAX)


def compute_signature(digest_info: bytes) -> Command:
    return Command(0x80, 0x2A, 0x00, 0x80, digest_info, le=SHORT_MAX)
