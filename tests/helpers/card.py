"""Card test helpers: a direct link to a virtual card (no pcscd), an APDU trace, and the
virtual-card profiles every card test runs on."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.devices.card import apdu
from kiosk.devices.card.apdu import Command, Response
from kiosk.devices.card.virtual import VirtualMyNumberCard, demo_resident
from kiosk.devices.card.virtual import image as card_image
from kiosk.devices.card.virtual.profile import DEFAULT, PROFILES, CardProfile

# The same tests on every layout the public record allows: no test knows only one card.
ALL_PROFILES = list(PROFILES.values())
PROFILE_IDS = [p.name for p in ALL_PROFILES]


@dataclass
class ApduTrace:
    """Every command and response, in order (as bytes)."""

    exchanges: list[tuple[bytes, bytes]] = field(default_factory=list)

    def __call__(self, command: bytes, response: bytes) -> None:
        self.exchanges.append((command, response))

    @property
    def commands(self) -> list[Command]:
        return [Command.decode(c) for c, _ in self.exchanges]


class DirectLink:
    """A CardTransport wired straight to a virtual card: the reader without pcscd."""

    def __init__(self, card: VirtualMyNumberCard, max_read: int = apdu.SHORT_MAX) -> None:
        self.card = card
        self.max_read = max_read
        self.selected_aid: bytes | None = None
        self.apdu_count = 0

    def transmit(self, command: Command) -> Response:
        self.apdu_count += 1
        return Response.decode(self.card.process(command.encode()))


def virtual_card(
    resident_id: str, trace: ApduTrace | None = None, profile: CardProfile = DEFAULT
) -> VirtualMyNumberCard:
    """A fresh card for a demo resident (keys are cached, so this is quick after the first)."""
    return VirtualMyNumberCard(card_image.build(demo_resident(resident_id), profile), trace)
