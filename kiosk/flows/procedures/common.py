"""What every procedure shares: people, disasters, photos, proxies, checks and references.

Plain Python, no widgets. Checks return `Problem`s with message ids (catalog
`assets/i18n/procedures.toml`); they never raise for something the resident typed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol

from kiosk.errors import KnownError
from kiosk.flows.rules import DisasterScale
from kiosk.paths import ASSETS
from kiosk.store import Attachment, Submission

DISASTERS_FILE = ASSETS / "demo" / "disasters.toml"


@dataclass(frozen=True)
class Problem:
    """One thing to fix before submitting: which field, and a message id with its params."""

    field: str
    message_id: str
    params: dict[str, object] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# People


class CardPerson(Protocol):
    """What the card's text AP gives (basic 4 info without sex); read-only."""

    @property
    def name(self) -> str: ...
    @property
    def birth_date(self) -> date | str: ...
    @property
    def address(self) -> str: ...


IdentityCheck = Literal["card", "staff"]


@dataclass(frozen=True)
class Person:
    """A named person in a request. From the card these are never asked again (WCAG 3.3.7)."""

    name: str
    birth_date: date
    address: str
    identity: IdentityCheck | None = None  # how this person was identified at the kiosk
    staff_id: str = ""  # who checked them, when identity == "staff"

    def __repr__(self) -> str:  # a stray log line must not carry a name or an address
        return f"Person(<personal data>, identity={self.identity!r})"

    @classmethod
    def from_card(cls, card: CardPerson) -> Person:
        """Copy name, birth date and address from a card read; identity 'card'."""
        bd = card.birth_date
        if isinstance(bd, str):
            bd = date(int(bd[:4]), int(bd[4:6]), int(bd[6:8]))
        return cls(name=card.name, birth_date=bd, address=card.address, identity="card")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "birth_date": self.birth_date.isoformat(),
            "address": self.address,
        }
        if self.identity is not None:
            out["identity"] = self.identity
        if self.staff_id:
            out["staff_id"] = self.staff_id
        return out


class Relationship(StrEnum):
    """The proxy's relation to the person they apply for."""

    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    GRANDCHILD = "grandchild"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other-relative"
    NOT_RELATIVE = "not-relative"  # a friend, neighbour, supporter, lawyer …

    @property
    def label_id(self) -> str:
        return f"procedures.relationship.{self.value}"

    @property
    def is_relative(self) -> bool:
        return self is not Relationship.NOT_RELATIVE


@dataclass
class Proxy:
    """Someone applying for another person. The proxy is the one at the kiosk."""

    principal: Person  # the person the application is for (typed, or from their card)
    relationship: Relationship | None = None
    same_household: bool = False

    @property
    def needs_letter(self) -> bool:
        """委任状: not needed for a relative in the same household; everyone else signs one."""
        return not (
            self.relationship is not None and self.relationship.is_relative and self.same_household
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "relationship": self.relationship.value if self.relationship else None,
            "same_household": self.same_household,
            "letter": "printed" if self.needs_letter else "not-needed",
        }


def check_applicant(applicant: Person, proxy: Proxy | None, today: date) -> list[Problem]:
    """The person at the kiosk and, for a proxy, the person applied for."""
    out: list[Problem] = []
    if applicant.identity is None:
        out.append(Problem("applicant", "procedures.error.identity-not-checked"))
    if applicant.identity == "staff" and not applicant.staff_id:
        out.append(Problem("applicant", "procedures.error.staff-check-unnamed"))
    if proxy is None:
        return out
    p = proxy.principal
    if proxy.relationship is None:
        out.append(Problem("proxy.relationship", "procedures.error.relationship-required"))
    if not p.name.strip():
        out.append(Problem("proxy.principal.name", "procedures.error.name-required"))
    if not p.address.strip():
        out.append(Problem("proxy.principal.address", "procedures.error.address-required"))
    if p.birth_date > today:
        out.append(Problem("proxy.principal.birth_date", "procedures.error.date-in-future"))
    return out


# ---------------------------------------------------------------------------------------------
# Disasters


class Cause(StrEnum):
    EARTHQUAKE = "earthquake"
    TSUNAMI = "tsunami"
    HEAVY_RAIN = "heavy-rain"
    TYPHOON = "typhoon"
    FLOOD = "flood"
    LANDSLIDE = "landslide"
    SNOW = "snow"
    VOLCANO = "volcano"
    TORNADO = "tornado"
    OTHER = "other"

    @property
    def label_id(self) -> str:
        return f"procedures.cause.{self.value}"


@dataclass(frozen=True)
class Disaster:
    """A disaster the site accepts requests for (name as the city announced it)."""

    id: str
    name: str
    date: date
    cause: Cause
    active: bool
    scale: DisasterScale = field(default_factory=DisasterScale)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "date": self.date.isoformat(),
            "cause": self.cause.value,
        }


class DisastersError(KnownError):
    """The site's disaster list is missing or malformed (a deployment fault)."""

    exit_code = 2

    def __init__(self, detail: str) -> None:
        super().__init__("procedures.disasters-broken", detail)


def load_disasters(path: Path = DISASTERS_FILE) -> list[Disaster]:
    """Every disaster in the site's list, active or not, in file order."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise DisastersError(f"{path}: {e}") from None
    out = []
    for i, d in enumerate(data.get("disaster", [])):
        try:
            day = d["date"] if isinstance(d["date"], date) else date.fromisoformat(d["date"])
            scale = DisasterScale(**d.get("scale", {}))
            out.append(
                Disaster(
                    id=str(d["id"]),
                    name=str(d["name"]),
                    date=day,
                    cause=Cause(d["cause"]),
                    active=bool(d.get("active", True)),
                    scale=scale,
                )
            )
        except (KeyError, ValueError, TypeError) as e:
            raise DisastersError(f"{path}: disaster #{i + 1}: {e}") from None
    ids = [d.id for d in out]
    if len(ids) != len(set(ids)):
        raise DisastersError(f"{path}: a disaster id appears twice")
    return out


def site_disasters(path: str = "") -> list[Disaster]:
    """The site's list (`[rules] disasters`; empty: the demo list shipped in assets)."""
    return load_disasters(Path(path) if path else DISASTERS_FILE)


def active_disasters(disasters: Iterable[Disaster], today: date) -> list[Disaster]:
    """Those a resident may pick today: active and not dated in the future, newest first."""
    return sorted(
        (d for d in disasters if d.active and d.date <= today), key=lambda d: d.date, reverse=True
    )


def check_disaster(
    disaster_id: str | None, disasters: Sequence[Disaster], today: date
) -> tuple[Disaster | None, list[Problem]]:
    if not disaster_id:
        return None, [Problem("disaster", "procedures.error.disaster-required")]
    found = next((d for d in disasters if d.id == disaster_id), None)
    if found is None:
        return None, [Problem("disaster", "procedures.error.disaster-unknown")]
    if not found.active or found.date > today:
        return found, [Problem("disaster", "procedures.error.disaster-not-active")]
    return found, []


# ---------------------------------------------------------------------------------------------
# Plain checks


def phone_digits(text: str) -> str:
    """The digits of a phone number as typed (full-width digits, hyphens, spaces allowed)."""
    norm = unicodedata.normalize("NFKC", text)
    return "".join(c for c in norm if c.isdigit())


def check_phone(text: str) -> list[Problem]:
    """A Japanese phone number: 10 digits (landline) or 11 (070/080/090/050/020), from 0."""
    norm = unicodedata.normalize("NFKC", text).strip()
    if not norm:
        return [Problem("phone", "procedures.error.phone-required")]
    if any(not (c.isdigit() or c in "-() ") for c in norm):
        return [Problem("phone", "procedures.error.phone-characters")]
    d = phone_digits(norm)
    eleven = ("070", "080", "090", "050", "020")  # mobile, IP, 0800: always 11 digits
    ok = (len(d) == 10 and d[0] == "0" and d[1] != "0" and d[:3] not in eleven) or (
        len(d) == 11 and d[:3] in eleven
    )
    if not ok:
        return [Problem("phone", "procedures.error.phone-digits", {"count": len(d)})]
    return []


def check_date_not_future(name: str, day: date | None, today: date) -> list[Problem]:
    if day is not None and day > today:
        return [Problem(name, "procedures.error.date-in-future")]
    return []


# ---------------------------------------------------------------------------------------------
# Photos: bytes from the kiosk camera; they travel only inside the submission.


class PhotoKind(StrEnum):
    FRONT = "front"
    BACK = "back"
    LEFT = "left"
    RIGHT = "right"
    CLOSEUP = "closeup"
    FLOOD_DEPTH = "flood-depth"  # the water line with a tape measure
    ITEM = "item"  # 被災証明書: the damaged thing

    @property
    def label_id(self) -> str:
        return f"procedures.photo.{self.value}"


FOUR_SIDES = (PhotoKind.FRONT, PhotoKind.BACK, PhotoKind.LEFT, PhotoKind.RIGHT)
MAX_PHOTO_BYTES = 4 * 1024 * 1024


class PhotoSource(Protocol):
    """Where a photo comes from: the kiosk camera (devices) behind the UI's capture page."""

    def capture_jpeg(self) -> bytes:
        """One still as JPEG bytes; raises KnownError if the camera is gone."""
        ...


def media_type(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    return None


@dataclass(frozen=True)
class Photo:
    kind: PhotoKind
    data: bytes = field(repr=False)  # never logged
    taken_at: datetime
    item: int | None = None  # 被災証明書: which item it shows

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "media_type": media_type(self.data) or "application/octet-stream",
            "sha256": self.sha256,
            "taken_at": self.taken_at.isoformat(),
            "bytes": len(self.data),
        }
        if self.item is not None:
            out["item"] = self.item
        return out


class PhotoSet:
    """The photos of one request, in the order taken; each can be retaken or removed."""

    def __init__(self) -> None:
        self._photos: list[Photo] = []

    def __len__(self) -> int:
        return len(self._photos)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._photos))

    def add(
        self, kind: PhotoKind, data: bytes, now: datetime, item: int | None = None
    ) -> Problem | None:
        """Append a photo; a non-image or oversized one is refused with a Problem."""
        problem = _check_image(data)
        if problem is None:
            self._photos.append(Photo(kind, bytes(data), now, item))
        return problem

    def take(
        self, source: PhotoSource, kind: PhotoKind, now: datetime, item: int | None = None
    ) -> Problem | None:
        return self.add(kind, source.capture_jpeg(), now, item)

    def retake(self, index: int, data: bytes, now: datetime) -> Problem | None:
        """Replace photo `index` keeping its kind and item."""
        problem = _check_image(data)
        if problem is None:
            old = self._photos[index]
            self._photos[index] = Photo(old.kind, bytes(data), now, old.item)
        return problem

    def remove(self, index: int) -> None:
        del self._photos[index]

    def of_kind(self, kind: PhotoKind, item: int | None = None) -> list[Photo]:
        return [p for p in self._photos if p.kind is kind and (item is None or p.item == item)]

    def clear(self) -> None:
        """Forget every photo (cancel, or the session is wiped)."""
        self._photos.clear()

    def to_json(self) -> list[dict[str, Any]]:
        """Photo descriptions for the payload; the bytes travel as envelope attachments."""
        return [p.to_json() for p in self._photos]

    def attachments(self) -> list[Attachment]:
        """The photos as the store's attachments, in payload order (matched by sha256)."""
        return [Attachment(p.data, media_type(p.data) or "image/jpeg") for p in self._photos]


def _check_image(data: bytes) -> Problem | None:
    if media_type(data) is None:
        return Problem("photos", "procedures.error.photo-not-image")
    if len(data) > MAX_PHOTO_BYTES:
        return Problem("photos", "procedures.error.photo-too-large")
    return None


@dataclass(frozen=True)
class FormLine:
    """One line of a printed form: a label message id, and as value either the resident's
    own text or message ids (choices) that the printer translates and joins."""

    label: str
    text: str = ""
    messages: tuple[str, ...] = ()


def submission(
    kind: str,
    payload: dict[str, Any],
    photos: PhotoSet | None,
    categories: tuple[str, ...],
    idempotency_key: str,
) -> Submission:
    """The store's submission: payload, photos as attachments, audit categories."""
    return Submission(
        kind=kind,
        schema_version=1,
        payload=payload,
        attachments=tuple(photos.attachments()) if photos else (),
        idempotency_key=idempotency_key,
        categories=categories,
    )
