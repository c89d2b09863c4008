"""Demo residents from assets/demo/residents.toml: who is on each virtual card, and the case."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from kiosk.errors import KnownError
from kiosk.paths import ASSETS

RESIDENTS_FILE = ASSETS / "demo" / "residents.toml"
FACES_DIR = ASSETS / "faces"


@dataclass(frozen=True)
class DemoResident:
    """One demo card. `pin`, `pin_b` are demo secrets the tray shows; real cards have none here."""

    id: str
    label: str  # short text for the demo tray
    case: str  # what this card demonstrates
    kind: str = "mynumber"  # "mynumber", "other" (not a My Number card) or "staff" (職員証)
    card_uid: str = ""  # a staff card's UID, hex
    name: str = ""
    address: str = ""
    birth_date: date = date(1970, 1, 1)
    sex: str = "9"
    card_expiry: date = date(2035, 1, 1)
    issued: date = date(2025, 1, 1)
    security_code: str = "0000"
    pin: str = ""
    pin_b: str = ""
    jpki_pin: str = ""
    sign_password: str = "DEMO2025"
    pin_tries: int = 3  # tries left when the card is first made
    jpki_pin_tries: int = 3
    pin_b_tries: int = 10
    photo: str = ""  # file in assets/faces/
    tampered_address: str = ""  # written over the signed address: the tampered card
    cloned: bool = False  # the card's key is not the one its data names
    issuer: str = "test"  # "test" (in the demo trust table) or "rogue" (in no table)

    @property
    def photo_path(self) -> Path:
        return FACES_DIR / self.photo


_FIELDS = set(DemoResident.__dataclass_fields__)


def load_residents(path: Path = RESIDENTS_FILE) -> list[DemoResident]:
    """Every resident in the file, in file order; a bad entry raises KnownError naming it."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise KnownError("card.demo_residents", f"{path}: {e}") from None
    out = []
    for i, entry in enumerate(doc.get("resident", [])):
        extra = set(entry) - _FIELDS
        if extra:
            raise KnownError("card.demo_residents", f"{path}: resident[{i}] unknown {extra}")
        try:
            out.append(DemoResident(**entry))
        except TypeError as e:
            raise KnownError("card.demo_residents", f"{path}: resident[{i}]: {e}") from None
    return out


@lru_cache(maxsize=1)
def _cached() -> tuple[DemoResident, ...]:
    return tuple(load_residents())


def list_demo_residents() -> list[DemoResident]:
    """The demo residents of assets/demo/residents.toml."""
    return list(_cached())


def demo_resident(resident_id: str) -> DemoResident:
    for r in _cached():
        if r.id == resident_id:
            return r
    known = ", ".join(r.id for r in _cached())
    raise KnownError("card.demo_unknown", f"no demo resident {resident_id!r} (known: {known})")
