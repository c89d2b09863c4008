"""What the card operations need from a reader, and the AIDs they select (no pyscard here).

Kept apart from reader.py so flows can use `MyNumberCard` and its types without importing
the PC/SC library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from kiosk.devices.card.apdu import Command, Response

AID_JPKI = bytes.fromhex("D392F000260100000001")
AID_TEXT = bytes.fromhex("D3921000310001010408")
AID_FACE = bytes.fromhex("D3921000310001010402")
MY_NUMBER_AIDS = (AID_TEXT, AID_FACE, AID_JPKI)

Trace = Callable[[bytes, bytes], None]


class CardTransport(Protocol):
    """A connected card: `transmit` returns status words (never raises on them) and raises
    typed CardErrors for reader faults; `max_read` is the largest READ BINARY chunk."""

    max_read: int
    selected_aid: bytes | None  # the AP left selected by detection (saves one SELECT)

    def transmit(self, command: Command) -> Response: ...
