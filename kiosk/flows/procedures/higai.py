"""被災証明書 (被災届出証明書) request: non-dwellings, vehicles and household goods, with photos.

Usually certifies the report only, from photos, without a survey: every item needs at least
one photo. Same people, proxy and contact rules as the 罹災証明書 request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from kiosk.flows.procedures.common import (
    Disaster,
    FormLine,
    Person,
    PhotoKind,
    PhotoSet,
    Problem,
    Proxy,
    check_applicant,
    check_date_not_future,
    check_disaster,
    check_phone,
    phone_digits,
    submission,
)
from kiosk.store import Submission

KIND = "higai"
SCHEMA = "higai.v1"


class ItemKind(StrEnum):
    OUTBUILDING = "outbuilding"  # 物置・車庫・倉庫 (非住家)
    SHOP_OFFICE = "shop-office"  # 店舗・事務所
    FARM_BUILDING = "farm-building"  # 農業用施設
    VEHICLE = "vehicle"
    HOUSEHOLD_GOODS = "household-goods"  # 家財
    FENCE_WALL = "fence-wall"  # 塀・門
    OTHER = "other"

    @property
    def label_id(self) -> str:
        return f"procedures.item.{self.value}"


class ItemDamage(StrEnum):
    FLOODED = "flooded"
    BROKEN = "broken"
    FALLEN = "fallen"  # knocked over or fallen
    WASHED_AWAY = "washed-away"
    BURNED = "burned"
    OTHER = "other"

    @property
    def label_id(self) -> str:
        return f"procedures.item-damage.{self.value}"


@dataclass
class DamagedItem:
    kind: ItemKind
    damage: set[ItemDamage] = field(default_factory=set)
    location: str = ""  # empty: the property address
    vehicle_registration: str = ""  # ナンバー, vehicles only, optional
    note: str = ""

    def to_json(self, index: int, default_location: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": index,
            "kind": self.kind.value,
            "damage": sorted(d.value for d in self.damage),
            "location": self.location.strip() or default_location,
            "note": self.note,
        }
        if self.kind is ItemKind.VEHICLE:
            out["vehicle_registration"] = self.vehicle_registration
        return out


@dataclass
class HigaiRequest:
    """One 被災証明書 request. Photos of item i carry `item=i`."""

    applicant: Person
    proxy: Proxy | None = None
    property_address: str = ""  # empty: the card address of the person applied for
    address_to_confirm: bool = False  # "not the card address": staff write it at the counter
    disaster_id: str | None = None
    damaged_on: date | None = None
    items: list[DamagedItem] = field(default_factory=list)
    phone: str = ""
    photos: PhotoSet = field(default_factory=PhotoSet)

    def __repr__(self) -> str:  # personal data (names, addresses, phone) stays out of logs
        return f"HigaiRequest(disaster_id={self.disaster_id!r}, photos={len(self.photos)})"

    @property
    def principal(self) -> Person:
        return self.proxy.principal if self.proxy else self.applicant

    @property
    def address(self) -> str:
        return self.property_address.strip() or self.principal.address

    def add_item(self, item: DamagedItem) -> int:
        self.items.append(item)
        return len(self.items) - 1

    def remove_item(self, index: int) -> None:
        """Drop an item and its photos; later items keep their photos, renumbered."""
        del self.items[index]
        kept = [p for p in self.photos if p.item != index]
        self.photos.clear()
        for p in kept:
            item = p.item if p.item is None or p.item < index else p.item - 1
            self.photos.add(p.kind, p.data, p.taken_at, item)

    def problems(self, disasters: Sequence[Disaster], today: date) -> list[Problem]:
        out = check_applicant(self.applicant, self.proxy, today)
        disaster, more = check_disaster(self.disaster_id, disasters, today)
        out += more
        if not self.address:
            out.append(Problem("property_address", "procedures.error.address-required"))
        out += check_date_not_future("damaged_on", self.damaged_on, today)
        if disaster and self.damaged_on and self.damaged_on < disaster.date:
            out.append(Problem("damaged_on", "procedures.error.date-before-disaster"))
        if not self.items:
            out.append(Problem("items", "procedures.error.items-required"))
        for i, item in enumerate(self.items):
            if not item.damage:
                out.append(Problem(f"items[{i}].damage", "procedures.error.damage-required"))
            if not self.photos.of_kind(PhotoKind.ITEM, item=i):
                out.append(
                    Problem(f"items[{i}].photos", "procedures.error.item-photo-missing",
                            {"item": item.kind.label_id, "number": i + 1})
                )  # fmt: skip
        out += check_phone(self.phone)
        return out

    def payload(
        self,
        disasters: Sequence[Disaster],
        now: datetime,
        *,
        kiosk_id: str,
        language: str,
    ) -> dict[str, Any]:
        """The submission body (`docs/schema/higai-request.v1.json`)."""
        disaster = next(d for d in disasters if d.id == self.disaster_id)
        return {
            "schema": SCHEMA,
            "kind": KIND,
            "created_at": now.isoformat(),
            "kiosk_id": kiosk_id,
            "language": language,
            "applicant": self.applicant.to_json(),
            "principal": self.principal.to_json(),
            "proxy": self.proxy.to_json() if self.proxy else None,
            "disaster": disaster.to_json(),
            "property": {
                "address": self.address,
                "same_as_card_address": self.address == self.principal.address,
                "address_to_confirm": self.address_to_confirm,
                "damaged_on": (self.damaged_on or disaster.date).isoformat(),
            },
            "items": [it.to_json(i, self.address) for i, it in enumerate(self.items)],
            "contact": {"phone": phone_digits(self.phone)},
            "photos": self.photos.to_json(),
        }

    def to_submission(
        self,
        disasters: Sequence[Disaster],
        now: datetime,
        *,
        kiosk_id: str,
        language: str,
        idempotency_key: str,
    ) -> Submission:
        """Payload, photos as encrypted attachments, and the audit categories it touches."""
        cats = ["card.basic_info", "damage.report", "contact"]
        if len(self.photos):
            cats.append("damage.photos")
        body = self.payload(disasters, now, kiosk_id=kiosk_id, language=language)
        return submission(KIND, body, self.photos, tuple(cats), idempotency_key)

    def next_steps(self) -> tuple[str, ...]:
        steps = ["procedures.next.higai"]
        if self.proxy and self.proxy.needs_letter:
            steps.append("procedures.next.proxy-letter")
        return tuple(steps)

    def form_lines(self, disasters: Sequence[Disaster]) -> list[FormLine]:
        disaster = next((d for d in disasters if d.id == self.disaster_id), None)
        p = self.principal
        lines = [
            FormLine("procedures.form.name", p.name),
            FormLine("procedures.form.birth-date", p.birth_date.isoformat()),
            FormLine("procedures.form.address", p.address),
            FormLine(
                "procedures.form.property-address",
                self.address,
                ("procedures.form.to-confirm",) if self.address_to_confirm else (),
            ),
            FormLine(
                "procedures.form.disaster", f"{disaster.name} ({disaster.date})" if disaster else ""
            ),
        ]
        for it in self.items:
            lines.append(
                FormLine("procedures.form.item", it.vehicle_registration,
                         (it.kind.label_id, *(d.label_id for d in sorted(it.damage))))
            )  # fmt: skip
        lines.append(FormLine("procedures.form.phone", phone_digits(self.phone)))
        if self.proxy:
            rel = self.proxy.relationship
            lines += [
                FormLine("procedures.form.proxy-name", self.applicant.name),
                FormLine("procedures.form.proxy-address", self.applicant.address),
                FormLine(
                    "procedures.form.proxy-relationship", messages=(rel.label_id,) if rel else ()
                ),
            ]
        return lines


BLANK_FORM_LABELS = (
    "procedures.form.name",
    "procedures.form.birth-date",
    "procedures.form.address",
    "procedures.form.property-address",
    "procedures.form.disaster",
    "procedures.form.item",
    "procedures.form.item",
    "procedures.form.item",
    "procedures.form.phone",
    "procedures.form.proxy-name",
    "procedures.form.proxy-address",
    "procedures.form.proxy-relationship",
)
