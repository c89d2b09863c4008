"""What a 罹災証明書 request and a 被災証明書 request have in common: who applies for whom,
which property and disaster, a phone number and photos; the checks, payload lines and form
lines that follow from those. `risai.RisaiRequest` and `higai.HigaiRequest` add what is their
own (the dwelling's damage and survey; the damaged things)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from kiosk.flows.procedures.common import (
    Disaster,
    FormLine,
    Person,
    PhotoSet,
    Problem,
    Proxy,
    check_applicant,
    check_date_not_future,
    check_disaster,
    phone_digits,
    submission,
)
from kiosk.store import Submission


@dataclass
class CertificateRequest:
    """One request for a certificate. `applicant` is the person at the kiosk (from the card);
    with a `proxy`, the certificate is for `proxy.principal`."""

    KIND: ClassVar[str] = ""
    SCHEMA: ClassVar[str] = ""

    applicant: Person
    proxy: Proxy | None = None
    property_address: str = ""  # empty: the card address of the person applied for
    address_to_confirm: bool = False  # "not the card address": staff write it at the counter
    disaster_id: str | None = None
    damaged_on: date | None = None  # empty: the disaster's date
    phone: str = ""
    photos: PhotoSet = field(default_factory=PhotoSet)

    def __repr__(self) -> str:  # personal data (names, addresses, phone) stays out of logs
        name = type(self).__name__
        return f"{name}(disaster_id={self.disaster_id!r}, photos={len(self.photos)})"

    @property
    def principal(self) -> Person:
        """The person the certificate is for."""
        return self.proxy.principal if self.proxy else self.applicant

    @property
    def address(self) -> str:
        return self.property_address.strip() or self.principal.address

    def common_problems(
        self, disasters: Sequence[Disaster], today: date
    ) -> tuple[Disaster | None, list[Problem]]:
        """The checks both requests make: the people, the disaster, the address, the date."""
        out = check_applicant(self.applicant, self.proxy, today)
        disaster, more = check_disaster(self.disaster_id, disasters, today)
        out += more
        if not self.address:
            out.append(Problem("property_address", "procedures.error.address-required"))
        out += check_date_not_future("damaged_on", self.damaged_on, today)
        if disaster and self.damaged_on and self.damaged_on < disaster.date:
            out.append(Problem("damaged_on", "procedures.error.date-before-disaster"))
        return disaster, out

    def payload_head(
        self, disaster: Disaster, now: datetime, *, kiosk_id: str, language: str
    ) -> dict[str, Any]:
        """The payload's first keys, the same in both schemas (`docs/schema/`)."""
        return {
            "schema": self.SCHEMA,
            "kind": self.KIND,
            "created_at": now.isoformat(),
            "kiosk_id": kiosk_id,
            "language": language,
            "applicant": self.applicant.to_json(),
            "principal": self.principal.to_json(),
            "proxy": self.proxy.to_json() if self.proxy else None,
            "disaster": disaster.to_json(),
        }

    def property_json(self, disaster: Disaster, **more: Any) -> dict[str, Any]:
        return {
            "address": self.address,
            "same_as_card_address": self.address == self.principal.address,
            "address_to_confirm": self.address_to_confirm,
            **more,
            "damaged_on": (self.damaged_on or disaster.date).isoformat(),
        }

    def contact_and_photos(self) -> dict[str, Any]:
        return {"contact": {"phone": phone_digits(self.phone)}, "photos": self.photos.to_json()}

    def payload(
        self, disasters: Sequence[Disaster], now: datetime, *, kiosk_id: str, language: str
    ) -> dict[str, Any]:
        raise NotImplementedError

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
        return submission(self.KIND, body, self.photos, tuple(cats), idempotency_key)

    def proxy_steps(self) -> list[str]:
        """The receipt's "what happens next" for a proxy who must bring a signed 委任状."""
        return ["procedures.next.proxy-letter"] if self.proxy and self.proxy.needs_letter else []

    def person_lines(self) -> list[FormLine]:
        """The form's first lines: the person applied for and the damaged property."""
        p = self.principal
        return [
            FormLine("procedures.form.name", p.name),
            FormLine("procedures.form.birth-date", p.birth_date.isoformat()),
            FormLine("procedures.form.address", p.address),
            FormLine(
                "procedures.form.property-address",
                self.address,
                ("procedures.form.to-confirm",) if self.address_to_confirm else (),
            ),
        ]

    def disaster_line(self, disasters: Sequence[Disaster]) -> FormLine:
        disaster = next((d for d in disasters if d.id == self.disaster_id), None)
        return FormLine(
            "procedures.form.disaster", f"{disaster.name} ({disaster.date})" if disaster else ""
        )

    def proxy_lines(self) -> list[FormLine]:
        """The form's last lines, for a proxy: who applies, and how they are related."""
        if not self.proxy:
            return []
        rel = self.proxy.relationship
        return [
            FormLine("procedures.form.proxy-name", self.applicant.name),
            FormLine("procedures.form.proxy-address", self.applicant.address),
            FormLine("procedures.form.proxy-relationship", messages=(rel.label_id,) if rel else ()),
        ]
