"""罹災証明書 request: damage to the dwelling, with the survey method the resident prefers.

The caller (the UI) fills a `RisaiRequest` step by step, asks `problems()` before review and
calls `payload()` to submit. Name, birth date and address come from the card and are never
asked again; the damaged property's address defaults to the card address.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from kiosk.flows.ports import Choice
from kiosk.flows.procedures.certificate import _REPORT, CertificateProcedure, CertificateRequest
from kiosk.flows.procedures.common import (
    FOUR_SIDES,
    Disaster,
    FormLine,
    Person,
    PhotoKind,
    Problem,
    check_phone,
    phone_digits,
)
from kiosk.flows.procedures.procedure import YES_NO, Ask, choice_question, number_question

if TYPE_CHECKING:
    from kiosk.flows.visit import Visit

KIND = "risai"
SCHEMA = "risai.v1"


class DamagedPart(StrEnum):
    """What is damaged, offered as taps before any free text."""

    ROOF = "roof"
    EXTERIOR_WALL = "exterior-wall"
    FOUNDATION = "foundation"
    PILLARS_BEAMS = "pillars-beams"
    INTERIOR = "interior"
    FLOOR = "floor"
    WINDOWS_DOORS = "windows-doors"
    PLUMBING = "plumbing"
    TILTED = "tilted"  # the building leans
    COLLAPSED = "collapsed"  # collapsed or washed away

    @property
    def label_id(self) -> str:
        return f"procedures.damage.{self.value}"


class Flooding(StrEnum):
    NONE = "none"
    BELOW_FLOOR = "below-floor"  # 床下浸水
    ABOVE_FLOOR = "above-floor"  # 床上浸水

    @property
    def label_id(self) -> str:
        return f"procedures.flooding.{self.value}"


# Choices that by themselves point above 10% damage: no 自己判定方式 then (fail safe: survey).
_NOT_LIGHT = {DamagedPart.TILTED, DamagedPart.COLLAPSED, DamagedPart.FOUNDATION}

SurveyMethod = Literal["site", "self"]


@dataclass
class Damage:
    parts: set[DamagedPart] = field(default_factory=set)
    flooding: Flooding = Flooding.NONE
    flood_depth_cm: int | None = None  # measured from the floor (above) or the ground (below)
    resident_says_light: bool = False  # "Is the damage light, e.g. a few tiles or cracks?"
    note: str = ""  # optional words after the taps

    def to_json(self) -> dict[str, Any]:
        return {
            "parts": sorted(p.value for p in self.parts),
            "flooding": self.flooding.value,
            "flood_depth_cm": self.flood_depth_cm,
            "resident_says_light": self.resident_says_light,
            "note": self.note,
        }


@dataclass(repr=False)
class RisaiRequest(CertificateRequest):
    """One 罹災証明書 request: damage to the dwelling."""

    KIND: ClassVar[str] = KIND
    SCHEMA: ClassVar[str] = SCHEMA

    dwelling: bool | None = None
    damage: Damage = field(default_factory=Damage)
    survey: SurveyMethod = "site"
    self_assessment_consent: bool = False  # 「準半壊に至らない(一部損壊)」で差し支えない

    def survey_methods_offered(self) -> tuple[SurveyMethod, ...]:
        """自己判定方式 only when the resident says the damage is light and nothing says not."""
        d = self.damage
        light = (
            d.resident_says_light
            and not (d.parts & _NOT_LIGHT)
            and d.flooding is not Flooding.ABOVE_FLOOR
        )
        return ("site", "self") if light else ("site",)

    def required_photos(self) -> list[tuple[PhotoKind, int]]:
        """(kind, how many) the kiosk asks for; empty for a site survey (photos optional)."""
        if self.survey != "self":
            return []
        need = [(k, 1) for k in FOUR_SIDES] + [(PhotoKind.CLOSEUP, 1)]
        if self.damage.flooding is not Flooding.NONE:
            need.append((PhotoKind.FLOOD_DEPTH, 1))
        return need

    def missing_photos(self) -> list[PhotoKind]:
        return [k for k, n in self.required_photos() if len(self.photos.of_kind(k)) < n]

    def problems(self, disasters: Sequence[Disaster], today: date) -> list[Problem]:
        """Everything to fix before review; empty means ready to submit."""
        _, out = self.common_problems(disasters, today)
        if self.dwelling is None:
            out.append(Problem("dwelling", "procedures.error.dwelling-required"))
        elif not self.dwelling:
            out.append(Problem("dwelling", "procedures.error.not-dwelling-use-higai"))
        d = self.damage
        if not d.parts and d.flooding is Flooding.NONE:
            out.append(Problem("damage", "procedures.error.damage-required"))
        if d.flood_depth_cm is not None and not 0 <= d.flood_depth_cm <= 2000:
            out.append(Problem("damage.flood_depth_cm", "procedures.error.flood-depth"))
        if self.survey == "self":
            if "self" not in self.survey_methods_offered():
                out.append(Problem("survey", "procedures.error.self-survey-not-offered"))
            if not self.self_assessment_consent:
                out.append(Problem("survey", "procedures.error.self-survey-consent"))
            out += [
                Problem("photos", "procedures.error.photo-missing", {"kind": k.label_id})
                for k in self.missing_photos()
            ]
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
        """The submission body (`docs/schema/risai-request.v1.json`); call after `problems()`."""
        disaster = next(d for d in disasters if d.id == self.disaster_id)
        return {
            **self.payload_head(disaster, now, kiosk_id=kiosk_id, language=language),
            "property": self.property_json(disaster, dwelling=bool(self.dwelling)),
            "damage": self.damage.to_json(),
            "survey": {
                "method": self.survey,
                "self_assessment_consent": self.survey == "self" and self.self_assessment_consent,
                "consented_grade": "ichibu-sonkai" if self.survey == "self" else None,
            },
            **self.contact_and_photos(),
        }

    def next_steps(self) -> tuple[str, ...]:
        """Message ids for the receipt's "what happens next"."""
        steps = ["procedures.next.risai.self" if self.survey == "self"
                 else "procedures.next.risai.site"]  # fmt: skip
        steps += self.proxy_steps()
        steps.append("procedures.next.risai.resurvey")
        return tuple(steps)

    def form_lines(self, disasters: Sequence[Disaster]) -> list[FormLine]:
        """The pre-filled paper form (書かない窓口), in the order municipal forms use."""
        return [
            *self.person_lines(),
            FormLine(
                "procedures.form.dwelling",
                messages=("procedures.form.yes" if self.dwelling else "procedures.form.no",),
            ),
            self.disaster_line(disasters),
            FormLine(
                "procedures.form.damage",
                messages=tuple(x.label_id for x in sorted(self.damage.parts)),
            ),
            FormLine("procedures.form.flooding", messages=(self.damage.flooding.label_id,)),
            FormLine("procedures.form.survey", messages=(f"procedures.form.survey.{self.survey}",)),
            FormLine("procedures.form.phone", phone_digits(self.phone)),
            *self.proxy_lines(),
        ]


BLANK_FORM_LABELS = (
    "procedures.form.name",
    "procedures.form.birth-date",
    "procedures.form.address",
    "procedures.form.property-address",
    "procedures.form.dwelling",
    "procedures.form.disaster",
    "procedures.form.damage",
    "procedures.form.flooding",
    "procedures.form.survey",
    "procedures.form.phone",
    "procedures.form.proxy-name",
    "procedures.form.proxy-address",
    "procedures.form.proxy-relationship",
)


class Risai(CertificateProcedure):
    """罹災証明書: the dwelling's damage, and 自己判定方式 with the kiosk camera when it may be
    light."""

    id: ClassVar[str] = KIND
    BLANK_FORM_LABELS: ClassVar[tuple[str, ...]] = BLANK_FORM_LABELS

    def damage_plan(self, visit: Visit, photos: bool) -> Iterator[Ask]:
        answers = visit.answers
        yield Ask(
            choice_question("dwelling", "services.question.dwelling", YES_NO, categories=_REPORT),
            lambda v: (
                Problem("dwelling", "procedures.error.not-dwelling-use-higai")
                if v == "no"
                else None
            ),
        )
        yield Ask(
            choice_question("flooding", "services.question.flooding",
                            [Choice(f.value, f.label_id) for f in Flooding], categories=_REPORT)
        )  # fmt: skip
        flooded = Flooding(answers.get("flooding", "none")) is not Flooding.NONE
        parts: set[DamagedPart] = set()
        n = 1
        while True:  # one part per tap, until "nothing else" or every part is named
            left = [p for p in DamagedPart if p not in parts]
            choices = [Choice(p.value, p.label_id) for p in left]
            if flooded or n > 1:  # flooding alone is damage enough; else name one part first
                choices.append(Choice("none", "services.answer.nothing-else"))
            message = "services.question.damage" if n == 1 else "services.question.damage-more"
            yield Ask(choice_question(f"damage.{n}", message, choices, categories=_REPORT))
            chosen = answers[f"damage.{n}"]  # answered, or the walk stopped at the yield
            if chosen == "none":
                break
            parts.add(DamagedPart(chosen))
            if len(left) == 1:
                break
            n += 1
        if flooded:
            yield Ask(
                number_question("flood_depth_cm", "services.question.flood-depth", 4,
                                help_id="services.help.flood-depth", categories=_REPORT),
                lambda v: (
                    None if 0 <= int(v) <= 2000
                    else Problem("damage.flood_depth_cm", "procedures.error.flood-depth")
                ),
            )  # fmt: skip
        flooding = Flooding(answers.get("flooding", "none"))
        assert visit.holder is not None  # the plan asks nothing without the card
        probe = RisaiRequest(
            Person.from_card(visit.holder), damage=Damage(parts, flooding, resident_says_light=True)
        )
        if not photos or "self" not in probe.survey_methods_offered():
            return  # 自己判定方式 needs the kiosk camera and damage that may be light
        yield Ask(
            choice_question("light", "procedures.damage.light-question", YES_NO, categories=_REPORT)
        )
        if answers.get("light") != "yes":
            return
        yield Ask(
            choice_question(
                "survey", "services.question.survey",
                (Choice("site", "services.answer.survey-site"),
                 Choice("self", "services.answer.survey-self")),
                help_id="procedures.survey.self.explain", categories=_REPORT,
            )
        )  # fmt: skip
        if answers.get("survey") != "self":
            return
        yield Ask(
            choice_question(
                "self_consent", "services.question.self-consent",
                (Choice("agree", "procedures.survey.self.consent"),
                 Choice("site", "services.answer.survey-site-instead")),
                help_id="procedures.survey.self.explain", categories=_REPORT,
            )
        )  # fmt: skip
        if answers.get("self_consent") != "agree":
            return
        kinds = [*FOUR_SIDES, PhotoKind.CLOSEUP]
        if flooded:
            kinds.append(PhotoKind.FLOOD_DEPTH)
        for kind in kinds:
            yield self.photo_ask(visit, f"photo.{kind.value}", kind.label_id)

    def damage_request(self, applicant: Person, visit: Visit, now: datetime) -> RisaiRequest:
        answers = visit.answers
        req = RisaiRequest(applicant, disaster_id=answers.get("disaster"))
        if "dwelling" in answers:
            req.dwelling = answers["dwelling"] == "yes"
        req.damage.flooding = Flooding(answers.get("flooding", "none"))
        req.damage.parts = {
            DamagedPart(v) for k, v in answers.items() if k.startswith("damage.") and v != "none"
        }
        depth = answers.get("flood_depth_cm", "")
        if depth.isdigit():
            req.damage.flood_depth_cm = int(depth)
        req.damage.resident_says_light = answers.get("light") == "yes"
        if answers.get("survey") == "self" and answers.get("self_consent") == "agree":
            req.survey = "self"
            req.self_assessment_consent = True
        req.phone = answers.get("phone", "")
        for qid in sorted(k for k in answers if k.startswith("photo.")):
            kind = PhotoKind(qid.removeprefix("photo."))
            self.add_photo(visit, req.photos, qid, kind, None, now)
        return req


PROCEDURE = Risai()
