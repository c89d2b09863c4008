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


def touched_files(commands: list[Command]) -> list[tuple[bytes, str, int]]:
    """(AP, what, file or key id) for each SELECT EF, READ BINARY and VERIFY, in order."""
    ap, current = b"", -1
    out = []
    for c in commands:
        if c.ins == 0xA4 and c.p1 == 0x04:
            ap, current = c.data, -1
        elif c.ins == 0xA4 and c.p1 == 0x02:
            current = int.from_bytes(c.data, "big")
            out.append((ap, "select", current))
        elif c.ins == 0xB0:
            if c.p1 & 0x80:
                current = c.p1 & 0x1F
            out.append((ap, "read", current))
        elif c.ins == 0x20:
            out.append((ap, "verify", c.p2 & 0x1F if c.p2 != 0x80 else current))
    return out


def assert_my_number_untouched(commands: list[Command]) -> None:
    """No SELECT, READ or VERIFY of the My Number files or 照合番号A's key EFs in the trace;
    only 4-digit PINs and 14-digit 照合番号B in VERIFY."""
    from kiosk.devices.card.mynumber import FORBIDDEN_FILES, FORBIDDEN_KEYS

    touched = touched_files(commands)
    assert touched, "an empty trace proves nothing"
    for ap, what, fid in touched:
        assert (ap, fid) not in FORBIDDEN_FILES | FORBIDDEN_KEYS, f"{what} {fid:04X} {ap.hex()}"
    assert all(len(c.data) in (4, 14) for c in commands if c.ins == 0x20 and c.data)
