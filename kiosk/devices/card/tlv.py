"""BER-TLV as the My Number card uses it: 1-2 byte tags, definite lengths, FF filler.

Every parse error is a `TlvError` (a `CardProtocolError`), never an IndexError or ValueError.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kiosk.devices.card.errors import CardProtocolError

MAX_HEADER = 6  # up to 2 tag bytes and 0x83 + 3 length bytes


class TlvError(CardProtocolError):
    """Bytes that are not the TLV they should be."""


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes
    raw: bytes  # the whole encoding, tag and length included (signatures cover it)


def encode_length(n: int) -> bytes:
    if n < 0:
        raise ValueError("negative length")
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_tag(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + value


def parse_header(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    """(tag, header length, value length) of the TLV at `offset`; raises TlvError if short."""
    i = offset
    if i >= len(data):
        raise TlvError("no tag")
    first = data[i]
    if first == 0x00:
        raise TlvError("filler byte 00 where a tag should be")
    tag = first
    i += 1
    if first & 0x1F == 0x1F:
        # multi-byte tag: continuation bytes have the high bit set; we accept up to 3 bytes
        while True:
            if i >= len(data):
                raise TlvError("truncated tag")
            tag = (tag << 8) | data[i]
            i += 1
            if not data[i - 1] & 0x80:
                break
            if i - offset >= 3:
                raise TlvError("tag longer than 3 bytes")
    if i >= len(data):
        raise TlvError("no length")
    b = data[i]
    i += 1
    if b < 0x80:
        length = b
    elif b == 0x80 or b > 0x83:
        raise TlvError(f"unsupported length byte {b:02X}")
    else:
        n = b & 0x7F
        if i + n > len(data):
            raise TlvError("truncated length")
        length = int.from_bytes(data[i : i + n], "big")
        i += n
    return tag, i - offset, length


def parse_one(data: bytes, offset: int = 0) -> tuple[Tlv, int]:
    """The TLV at `offset` and the offset just after it."""
    tag, hlen, vlen = parse_header(data, offset)
    start = offset + hlen
    end = start + vlen
    if end > len(data):
        raise TlvError(f"value of tag {tag:X} runs past the data ({end} > {len(data)})")
    return Tlv(tag, bytes(data[start:end]), bytes(data[offset:end])), end


def iter_tlvs(data: bytes) -> Iterator[Tlv]:
    """TLVs one after another until the data ends or only FF/00 filler is left."""
    i = 0
    while i < len(data) and data[i:].strip(b"\xff\x00"):
        tlv, i = parse_one(data, i)
        yield tlv


def parse_file(data: bytes, outer_tag: int) -> Tlv:
    """The single outer TLV a card file holds; what follows it (filler) is ignored."""
    tlv, _ = parse_one(data)
    if tlv.tag != outer_tag:
        raise TlvError(f"expected tag {outer_tag:X}, found {tlv.tag:X}")
    return tlv


def children(value: bytes) -> dict[int, Tlv]:
    """The child TLVs of a constructed value by tag; a repeated tag is an error."""
    out: dict[int, Tlv] = {}
    for t in iter_tlvs(value):
        if t.tag in out:
            raise TlvError(f"tag {t.tag:X} repeated")
        out[t.tag] = t
    return out


def require(found: dict[int, Tlv], tag: int) -> Tlv:
    try:
        return found[tag]
    except KeyError:
        raise TlvError(f"tag {tag:X} missing") from None
