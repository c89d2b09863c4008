"""What a 罹災証明書 request and a 被災証明書 request have in common: who applies for whom,
which property and disaster, a phone number and photos; the checks, payload lines and form
lines that follow from those. `risai.RisaiRequest` and `higai.HigaiRequest` add what is their
own (the dwelling's damage and survey; the damaged things)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk import logs
from kiosk.devices.printer import ProxyLetter
from kiosk.flows.ports import Choice, Question
from kiosk.flows.procedures import documents
from kiosk.flows.procedures.common import (
    MAX_PHOTO_BYTES,
    Disaster,
    FormLine,
    Person,
    PhotoKind,
    PhotoSet,
    Problem,
    Proxy,
    Relationship,
    check_applicant,
    check_date_not_future,
    check_disaster,
    check_phone,
    media_type,
    phone_digits,
    submission,
)
from kiosk.flows.procedures.procedure import (
    YES_NO,
    Ask,
    Filing,
    Outcome,
    Paper,
    Printout,
    Refused,
    Site,
    choice_question,
    number_question,
)
from kiosk.store import Submission

if TYPE_CHECKING:
    from kiosk.flows.visit import Visit

log = logging.getLogger("kiosk.services")


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

    def problems(self, disasters: Sequence[Disaster], today: date) -> list[Problem]:
        raise NotImplementedError

    def next_steps(self) -> tuple[str, ...]:
        raise NotImplementedError

    def form_lines(self, disasters: Sequence[Disaster]) -> list[FormLine]:
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


# -- the procedure both certificates share --------------------------------------------------

# A proxy's form: the lines of the person applied for, written by hand at the counter.
_PRINCIPAL_LINES = {
    "procedures.form.name", "procedures.form.birth-date", "procedures.form.address",
    "procedures.form.property-address",
}  # fmt: skip
_NOBODY = Person("", date.min, "")  # stands for the principal only to ask `needs_letter`
_REPORT = ("damage.report",)


class CertificateProcedure:
    """Who applies for whom, which disaster, the property, the phone: the questions and the
    paper routes of both certificate requests. A subclass asks about the damage
    (`damage_plan`) and reads it back into its request (`damage_request`)."""

    id: ClassVar[str] = ""
    card_items: ClassVar[tuple[str, ...]] = (
        "procedures.data.name", "procedures.data.birth-date", "procedures.data.address",
    )  # fmt: skip
    sent_to: ClassVar[str] = "procedures.sent.city"
    needs_card: ClassVar[bool] = True
    paper_form: ClassVar[bool] = True
    BLANK_FORM_LABELS: ClassVar[tuple[str, ...]] = ()

    @property
    def label_id(self) -> str:
        return f"ui.service.{self.id}"

    # -- questions ----------------------------------------------------------------------------

    def plan(self, site: Site, visit: Visit) -> Iterator[Ask]:
        answers = visit.answers
        if visit.holder is None or not site.active_disasters():
            return  # without a card: the blank form; nothing to pick: the counter
        yield Ask(
            choice_question(
                "applying_for", "services.question.applying-for",
                (Choice("self", "services.answer.for-myself"),
                 Choice("other", "services.answer.for-someone-else")),
                help_id="services.help.applying-for",
            )
        )  # fmt: skip
        proxy = answers["applying_for"] == "other"
        yield site.disaster_ask(_REPORT)
        if proxy:
            # The person applied for is not on this card: their details go on the paper form.
            relations = [Choice(r.value, r.label_id) for r in Relationship]
            yield Ask(choice_question("relationship", "services.question.relationship", relations))
            if Relationship(answers["relationship"]).is_relative:
                yield Ask(
                    choice_question(
                        "same_household", "services.question.same-household", YES_NO,
                        help_id="services.help.same-household",
                    )
                )  # fmt: skip
        else:
            yield Ask(
                choice_question(
                    "property_here", "services.question.property-here",
                    (Choice("yes", "services.answer.yes"),
                     Choice("elsewhere", "services.answer.property-elsewhere")),
                    help_id="services.help.property-here", categories=_REPORT,
                )
            )  # fmt: skip
            if answers.get("property_here") == "elsewhere":
                return  # the address is written on the printed form at the counter
        yield from self.damage_plan(visit, photos=site.camera and not proxy)
        yield Ask(
            number_question(
                "phone", "services.question.phone", 11, help_id="services.help.phone",
                categories=("contact",),
            ),
            lambda v: next(iter(check_phone(v)), None),
        )  # fmt: skip

    def damage_plan(self, visit: Visit, photos: bool) -> Iterator[Ask]:
        raise NotImplementedError

    @staticmethod
    def photo_ask(visit: Visit, qid: str, message_id: str) -> Ask:
        """A photo question: its answer is the token of a still the kiosk took for it."""

        def check(token: str) -> Problem | None:
            kept = visit.photos.get(qid)
            if kept is None or kept[0] != token:
                return Problem("photos", "services.error.photo-again")
            if media_type(kept[1]) is None:
                return Problem("photos", "procedures.error.photo-not-image")
            if len(kept[1]) > MAX_PHOTO_BYTES:
                return Problem("photos", "procedures.error.photo-too-large")
            return None

        q = Question(
            qid, message_id, kind="photo", help_id="services.help.photo",
            categories=("damage.photos",),
        )  # fmt: skip
        return Ask(q, check)

    # -- the request --------------------------------------------------------------------------

    def request(self, site: Site, visit: Visit, now: datetime) -> CertificateRequest:
        """The request as far as the answers go (also for a pre-filled form mid-way)."""
        assert visit.holder is not None
        return self.damage_request(Person.from_card(visit.holder), visit, now)

    def damage_request(self, applicant: Person, visit: Visit, now: datetime) -> CertificateRequest:
        raise NotImplementedError

    @staticmethod
    def add_photo(
        visit: Visit, photos: PhotoSet, qid: str, kind: PhotoKind, item: int | None, now: datetime
    ) -> None:
        """The still taken for `qid`, if the answer is still its token."""
        kept = visit.photos.get(qid)
        if kept is not None and kept[0] == visit.answers.get(qid):
            photos.add(kind, kept[1], now, item)

    def paper_reason(self, site: Site, visit: Visit) -> str:
        """Why this request goes on paper though it is answered (a message id), or ""."""
        return ""

    def file(self, site: Site, visit: Visit, key: str) -> Outcome:
        now = site.now()
        answers = visit.answers
        if visit.holder is None:
            return Paper("services.paper.no-card", (self._blank(now),))
        if "disaster" not in answers:
            return Refused("services.no-disaster")
        if answers.get("applying_for") == "other":
            return self._proxy_paper_route(site, visit, now)
        if answers.get("property_here") == "elsewhere":
            return Paper("services.paper.elsewhere", (self._filled(site, visit, now),))
        reason = self.paper_reason(site, visit)
        if reason:
            return Paper(reason, (self._filled(site, visit, now),))
        request = self.request(site, visit, now)
        problems = request.problems(site.disasters, now.date())
        if problems:
            logs.event(log, "services.invalid", procedure=self.id, count=len(problems))
            return Refused(problems[0].message_id)
        stored = request.to_submission(
            site.disasters, now, kiosk_id=site.settings.site.kiosk_id, language=visit.language,
            idempotency_key=key,
        )  # fmt: skip
        return Filing(stored, request.next_steps())

    # -- paper ----------------------------------------------------------------------------------

    def form(self, site: Site, visit: Visit) -> Printout:
        now = site.now()
        return self._blank(now) if visit.holder is None else self._filled(site, visit, now)

    def _blank(self, now: datetime) -> Printout:
        doc = documents.blank_form(self.id, self.BLANK_FORM_LABELS, now)
        return Printout(doc, f"form-{self.id}")

    def _filled(self, site: Site, visit: Visit, now: datetime) -> Printout:
        """The form pre-filled from the card and the answers; for a proxy, the card holder
        goes in the proxy lines and the lines of the person applied for stay blank."""
        request = self.request(site, visit, now)
        form = documents.filled_form(request, site.disasters, now)
        answers, holder = visit.answers, visit.holder
        if answers.get("applying_for") == "other" and holder is not None:
            rel = answers.get("relationship")
            lines = [
                FormLine(ln.label) if ln.label in _PRINCIPAL_LINES else ln for ln in form.lines
            ]
            lines += [
                FormLine("procedures.form.proxy-name", holder.name),
                FormLine("procedures.form.proxy-address", holder.address),
                FormLine("procedures.form.proxy-relationship",
                         messages=(Relationship(rel).label_id,) if rel else ()),
            ]  # fmt: skip
            form = dataclasses.replace(form, lines=tuple(lines))
        return Printout(form, f"form-{self.id}")

    def _proxy_paper_route(self, site: Site, visit: Visit, now: datetime) -> Paper:
        """The form (and the 委任状 unless a relative in the same household applies); the
        counter takes the request with the principal's details written by hand."""
        holder = visit.holder
        assert holder is not None
        form = self._filled(site, visit, now)
        rel = Relationship(visit.answers["relationship"])
        proxy = Proxy(_NOBODY, rel, visit.answers.get("same_household") == "yes")
        if not proxy.needs_letter:
            return Paper("services.paper.proxy", (form,))
        letter = ProxyLetter(
            procedure=documents.procedure_label(self.id), issued_at=now, principal_name="",
            principal_address="", principal_birth_date="", proxy_name=holder.name,
            proxy_address=holder.address, relationship=rel.label_id,
        )  # fmt: skip
        return Paper("services.paper.proxy-letter", (form, Printout(letter, f"letter-{self.id}")))
