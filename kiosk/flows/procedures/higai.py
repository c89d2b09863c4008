"""被災証明書 (被災届出証明書) request: non-dwellings, vehicles and household goods, with photos.

Usually certifies the report only, from photos, without a survey: every item needs at least
one photo. Same people, proxy and contact rules as the 罹災証明書 request.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk.flows.ports import Choice
from kiosk.flows.procedures.certificate import _REPORT, CertificateProcedure, CertificateRequest
from kiosk.flows.procedures.common import (
    Disaster,
    FormLine,
    Person,
    PhotoKind,
    Problem,
    check_phone,
    phone_digits,
)
from kiosk.flows.procedures.procedure import Ask, Site, choice_question

if TYPE_CHECKING:
    from kiosk.flows.visit import Visit

KIND = "higai"
SCHEMA = "higai.v1"
MAX_ITEMS = 5  # items per request at the kiosk; more go on the paper form


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


@dataclass(repr=False)
class HigaiRequest(CertificateRequest):
    """One 被災証明書 request: non-dwellings, vehicles, household goods. Photos of item i carry
    `item=i`."""

    KIND: ClassVar[str] = KIND
    SCHEMA: ClassVar[str] = SCHEMA

    items: list[DamagedItem] = field(default_factory=list)

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
        _, out = self.common_problems(disasters, today)
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
            **self.payload_head(disaster, now, kiosk_id=kiosk_id, language=language),
            "property": self.property_json(disaster),
            "items": [it.to_json(i, self.address) for i, it in enumerate(self.items)],
            **self.contact_and_photos(),
        }

    def next_steps(self) -> tuple[str, ...]:
        return ("procedures.next.higai", *self.proxy_steps())

    def form_lines(self, disasters: Sequence[Disaster]) -> list[FormLine]:
        lines = [*self.person_lines(), self.disaster_line(disasters)]
        for it in self.items:
            lines.append(
                FormLine("procedures.form.item", it.vehicle_registration,
                         (it.kind.label_id, *(d.label_id for d in sorted(it.damage))))
            )  # fmt: skip
        lines.append(FormLine("procedures.form.phone", phone_digits(self.phone)))
        return lines + self.proxy_lines()


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


class Higai(CertificateProcedure):
    """被災証明書: up to `MAX_ITEMS` damaged things, each with a photo; without the kiosk
    camera it goes on paper."""

    id: ClassVar[str] = KIND
    BLANK_FORM_LABELS: ClassVar[tuple[str, ...]] = BLANK_FORM_LABELS

    def damage_plan(self, visit: Visit, photos: bool) -> Iterator[Ask]:
        kinds = [Choice(k.value, k.label_id) for k in ItemKind]
        for n in range(1, MAX_ITEMS + 1):
            choices = kinds if n == 1 else [*kinds, Choice("none", "services.answer.no-more")]
            message = "services.question.item" if n == 1 else "services.question.item-more"
            yield Ask(choice_question(f"item.{n}.kind", message, choices, categories=_REPORT))
            if visit.answers.get(f"item.{n}.kind", "none") == "none":
                return
            yield Ask(
                choice_question(f"item.{n}.damage", "services.question.item-damage",
                                [Choice(d.value, d.label_id) for d in ItemDamage],
                                categories=_REPORT)
            )  # fmt: skip
            if photos:
                yield self.photo_ask(visit, f"item.{n}.photo", "services.question.item-photo")

    def damage_request(self, applicant: Person, visit: Visit, now: datetime) -> HigaiRequest:
        answers = visit.answers
        req = HigaiRequest(applicant, disaster_id=answers.get("disaster"))
        for n in range(1, MAX_ITEMS + 1):
            kind = answers.get(f"item.{n}.kind", "none")
            if kind == "none":
                break
            damage = answers.get(f"item.{n}.damage")
            index = req.add_item(
                DamagedItem(ItemKind(kind), {ItemDamage(damage)} if damage else set())
            )
            if f"item.{n}.photo" in answers:
                self.add_photo(visit, req.photos, f"item.{n}.photo", PhotoKind.ITEM, index, now)
        req.phone = answers.get("phone", "")
        return req

    def paper_reason(self, site: Site, visit: Visit) -> str:
        return "" if site.camera else "services.paper.photos"  # every item needs a photo


PROCEDURE = Higai()
