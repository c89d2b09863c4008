"""The one RSA public-key parser for every key the card holds.

Certificate bodies (EF 0004), the card-face record's DF24, the text AP's EF 0007 DF51 and the
birth-date record's DF12 all hold a key as two TLVs, exponent then modulus (`90 03 010001`,
`91 82 0100 <modulus>` in a real card's certificate). A DER SubjectPublicKeyInfo is still
accepted should a card carry one. Anything else is a `TlvError`, never another exception.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.devices.card import tlv
from kiosk.devices.card.tlv import TlvError

MIN_BITS = 2048  # every key on a My Number card is RSA-2048; a shorter one is not a card's
EXPONENT_TAG = 0x90
MODULUS_TAG = 0x91
_SEQUENCE = 0x30


def parse_rsa_key(data: bytes, what: str) -> rsa.RSAPublicKey:
    """The RSA key in `data` (FF filler after it ignored); `what` names it in the error."""
    if data[:1] == bytes([_SEQUENCE]):
        return _spki(data, what)
    parts = list(tlv.iter_tlvs(data))
    if len(parts) != 2:
        raise TlvError(f"{what}: {len(parts)} TLVs where an exponent and a modulus should be")
    for part in parts:
        if part.raw[0] & 0x20:  # the constructed bit of the tag's first byte
            raise TlvError(f"{what}: tag {part.tag:X} is constructed, not a number")
    # Position decides, as in open readers of real cards; the tags the public record shows
    # (90, 91) are the usual ones, but a card with others still gives its key this way.
    return checked_key(_unsigned(parts[0].value, what), _unsigned(parts[1].value, what), what)


def checked_key(e: int, n: int, what: str) -> rsa.RSAPublicKey:
    """An RSA key from its numbers, refused unless it is one a card can have."""
    if n.bit_length() < MIN_BITS:
        raise TlvError(f"{what}: a {n.bit_length()}-bit modulus (at least {MIN_BITS} needed)")
    if n % 2 == 0:
        raise TlvError(f"{what}: the modulus is even")
    if e < 3 or e % 2 == 0 or e >= n:
        raise TlvError(f"{what}: {e} is not a usable RSA exponent")
    try:
        return rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise TlvError(f"{what}: key rejected ({exc})") from None


def _unsigned(value: bytes, what: str) -> int:
    if not value:
        raise TlvError(f"{what}: an empty number")
    return int.from_bytes(value, "big")


def _spki(data: bytes, what: str) -> rsa.RSAPublicKey:
    der = tlv.parse_one(data)[0].raw  # by its length: filler after it is not DER
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # a mangled key or an unknown OID
        raise TlvError(f"{what}: not a public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise TlvError(f"{what}: not an RSA key")
    nums = key.public_numbers()
    return checked_key(nums.e, nums.n, what)
