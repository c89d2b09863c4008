"""Small real fakes for the procedure tests: a card read, camera stills, an audit log."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from PIL import Image

from kiosk.flows.procedures.common import Cause, Disaster, Person
from kiosk.flows.rules import DisasterScale

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 30)


@dataclass(frozen=True)
class CardRead:
    """What the text AP gives (as the card module returns it: birth date YYYYMMDD)."""

    name: str = "山田　花子"
    birth_date: str = "19400401"
    address: str = "東京都千代田区霞が関１－２－３"


def still(color: tuple[int, int, int] = (120, 80, 40), fmt: str = "JPEG") -> bytes:
    """A real small image as the kiosk camera would hand it over."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, format=fmt)
    return buf.getvalue()


class Camera:
    """A `PhotoSource` returning a different still each time."""

    def __init__(self) -> None:
        self.taken = 0

    def capture_jpeg(self) -> bytes:
        self.taken += 1
        return still((self.taken * 20 % 256, 60, 90))


DISASTERS = [
    Disaster("typhoon", "令和8年台風第15号", date(2026, 9, 18), Cause.TYPHOON, True,
             DisasterScale(support_act_applied=True, relief_act_applied_in_prefecture=True)),
    Disaster("closed", "令和7年東部地震", date(2025, 11, 2), Cause.EARTHQUAKE, False),
    Disaster("future", "将来の訓練", date(2026, 12, 1), Cause.OTHER, True),
]  # fmt: skip


def me() -> Person:
    return Person.from_card(CardRead())
