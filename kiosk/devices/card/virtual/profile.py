"""Profiles of the virtual card: the layouts the public record leaves open, each one a card.

DOMAIN.md §1 leaves some things unconfirmed (what 5F37 and DF52 sign; whether a card takes
extended length). Each profile settles them one way, and the card tests run on every profile,
so no part of the kiosk knows only one layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class CardProfile:
    name: str
    signed_over: Literal["tlv", "value"]  # what 5F37 (over 5F4E) and DF52 (over DF51) cover
    extended_length: bool  # False: an extended Le is answered 6700, reads are 256 bytes at most
    filler: int  # FF bytes after each file's TLV (files are allocated larger than their data)
    label: str = ""


TLV_EXTENDED = CardProfile(
    "tlv-extended", "tlv", True, 64, "signatures over whole TLVs; extended length"
)
VALUE_SHORT = CardProfile(
    "value-short", "value", False, 0, "signatures over values only; 256-byte reads (6700)"
)
PROFILES = {p.name: p for p in (TLV_EXTENDED, VALUE_SHORT)}
DEFAULT = TLV_EXTENDED


def profile_named(name: str) -> CardProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"no card profile {name!r} (known: {', '.join(PROFILES)})") from None
