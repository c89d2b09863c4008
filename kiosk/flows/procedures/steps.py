"""The procedures as the session asks them: one question at a time, taps and numbers only.

Covers risai, higai, support-check and the insurance consent items.

`ProcedureSteps.next_question` fits the session's `ProceduresPort` (kiosk.flows.ports): it
returns the next `Question` for the answers so far (string values), never one the card already
answered. `ProcedureSteps.submission` turns a finished set of answers into the store's
`Submission`, or raises `KnownError` with the first problem's message id (the session then
hands the resident to the counter). Photos come from the camera page through a `PhotoSet` the
caller keeps per visit; without photos, 自己判定方式 is not offered and 被災証明書 items wait
for the counter.

Stateless: one instance serves every visit (one session, one person is the caller's rule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime

from kiosk.errors import KnownError
from kiosk.flows.ports import CardHolder, Choice, Question
from kiosk.flows.procedures import insurance
from kiosk.flows.procedures import support_check as sc
from kiosk.flows.procedures.common import (
    Disaster,
    Person,
    PhotoSet,
    Problem,
    active_disasters,
)
from kiosk.flows.procedures.higai import DamagedItem, HigaiRequest, ItemDamage, ItemKind
from kiosk.flows.procedures.risai import Damage, DamagedPart, Flooding, RisaiRequest
from kiosk.flows.qualification import (
    AUDIT_CATEGORY,
    ConsentItem,
    ConsentRecord,
    QualificationOutcome,
)
from kiosk.flows.rules import DamageGrade, IncomeBoundary, Plan, Relation, RuleBook
from kiosk.store import Submission

YES, NO = "yes", "no"
YES_NO = (Choice(YES, "procedures.form.yes"), Choice(NO, "procedures.form.no"))
_DAMAGE = tuple(Choice(p.value, p.label_id) for p in DamagedPart)
_FLOODING = tuple(Choice(f.value, f.label_id) for f in Flooding)
_ITEMS = tuple(Choice(i.value, i.label_id) for i in ItemKind)
_ITEM_DAMAGE = tuple(Choice(d.value, d.label_id) for d in ItemDamage)
_REPORT = ("damage.report",)
_CONTACT = ("contact",)


def _phone() -> Question:
    return Question("phone", "procedures.question.phone", kind="number", max_digits=11,
                    help_id="procedures.help.phone", categories=_CONTACT)  # fmt: skip


def _disaster(disasters: Sequence[Disaster]) -> Question:
    # The disaster's name is data the city announced, shown as is (not a message id).
    choices = tuple(Choice(d.id, d.name) for d in disasters)
    return Question("disaster", "procedures.question.disaster", choices, categories=_REPORT)


class ProcedureSteps:
    """Question flows for 罹災証明書, 被災証明書 and the support check."""

    def __init__(
        self,
        disasters: Sequence[Disaster],
        book: Callable[[date], RuleBook],
        *,
        kiosk_id: str,
        income_boundary: IncomeBoundary = "inclusive",
    ) -> None:
        self.disasters = list(disasters)
        self.book = book  # the rule tables in force on a date (RuleBook.for_site)
        self.kiosk_id = kiosk_id
        self.income_boundary = income_boundary

    # --- questions ------------------------------------------------------------------------

    def next_question(
        self,
        procedure: str,
        holder: CardHolder | None,
        answers: Mapping[str, str],
        *,
        today: date | None = None,
        photos_supported: bool = False,
    ) -> Question | None:
        """The next question, or None when everything is asked (also: no card, paper route)."""
        day = today or date.today()
        if procedure == "support-check":
            return self._support_question(answers)
        if procedure == "insurance":
            return self._consent_question(answers)
        if holder is None or procedure not in ("risai", "higai"):
            return None
        flow = self._risai_flow if procedure == "risai" else self._higai_flow
        for q in flow(answers, day, photos_supported):
            if q.id not in answers:
                return q
        return None

    def _risai_flow(self, a: Mapping[str, str], day: date, photos: bool) -> list[Question]:
        qs = [
            _disaster(active_disasters(self.disasters, day)),
            Question("same_address", "procedures.question.same-address", YES_NO,
                     help_id="procedures.help.same-address", categories=_REPORT),
            Question("dwelling", "procedures.question.dwelling", YES_NO, categories=_REPORT),
        ]  # fmt: skip
        if a.get("dwelling") == NO:
            return qs  # 被災証明書 is the right procedure: the submission says so
        qs += [
            Question("damage", "procedures.question.damage", _DAMAGE, categories=_REPORT),
            Question("flooding", "procedures.question.flooding", _FLOODING, categories=_REPORT),
        ]
        if a.get("flooding") in (Flooding.BELOW_FLOOR.value, Flooding.ABOVE_FLOOR.value):
            qs.append(
                Question("flood_depth_cm", "procedures.question.flood-depth", kind="number",
                         max_digits=4, categories=_REPORT)
            )  # fmt: skip
        probe = self._risai(a, Person("", day, ""), PhotoSet())
        if probe.damage.parts or probe.damage.flooding is not Flooding.NONE:
            probe.damage.resident_says_light = True
            if "self" in probe.survey_methods_offered():
                qs.append(Question("light", "procedures.damage.light-question", YES_NO,
                                   categories=_REPORT))  # fmt: skip
                if a.get("light") == YES and photos:
                    qs.append(
                        Question("survey", "procedures.question.survey",
                                 (Choice("site", "procedures.form.survey.site"),
                                  Choice("self", "procedures.form.survey.self")),
                                 help_id="procedures.survey.self.explain", categories=_REPORT)
                    )  # fmt: skip
                    if a.get("survey") == "self":
                        qs.append(Question("self_consent", "procedures.survey.self.consent",
                                           YES_NO, categories=_REPORT))  # fmt: skip
        qs.append(_phone())
        return qs

    def _higai_flow(self, a: Mapping[str, str], day: date, photos: bool) -> list[Question]:
        return [
            _disaster(active_disasters(self.disasters, day)),
            Question("same_address", "procedures.question.same-address", YES_NO,
                     help_id="procedures.help.same-address", categories=_REPORT),
            Question("item", "procedures.question.item", _ITEMS, categories=_REPORT),
            Question("item_damage", "procedures.question.item-damage", _ITEM_DAMAGE,
                     categories=_REPORT),
            _phone(),
        ]  # fmt: skip

    def _consent_question(self, a: Mapping[str, str]) -> Question | None:
        """Each consent item on its own, explained, nothing pre-selected; hidden from a
        supporter (medical)."""
        for item in ConsentItem:
            if item.value not in a:
                return Question(item.value, item.label_id, YES_NO, help_id=item.explain_id,
                                categories=(AUDIT_CATEGORY[item.value],), medical=True)  # fmt: skip
        return None

    def _support_question(self, a: Mapping[str, str]) -> Question | None:
        for q in sc.questions(_support_answers(a)):
            if q.id in a:
                continue
            if q.kind == "yes-no":
                return Question(q.id, q.message_id, YES_NO, help_id=q.help_id)
            if q.kind == "choice":
                choices = tuple(Choice(v, label) for v, label in q.choices)
                return Question(q.id, q.message_id, choices, help_id=q.help_id)
            digits = 2 if q.id == "household" else 9
            cats = ("household",) if q.id == "household" else ("income",)
            return Question(q.id, q.message_id, kind="number", max_digits=digits,
                            help_id=q.help_id, categories=cats)  # fmt: skip
        return None

    # --- requests -------------------------------------------------------------------------

    def _risai(self, a: Mapping[str, str], person: Person, photos: PhotoSet) -> RisaiRequest:
        r = RisaiRequest(applicant=person, photos=photos)
        r.disaster_id = a.get("disaster")
        r.address_to_confirm = a.get("same_address") == NO
        r.dwelling = None if "dwelling" not in a else a["dwelling"] == YES
        parts = {DamagedPart(a["damage"])} if a.get("damage") in _values(DamagedPart) else set()
        flooding = Flooding(a["flooding"]) if a.get("flooding") in _values(Flooding) else None
        depth = int(a["flood_depth_cm"]) if a.get("flood_depth_cm", "").isdigit() else None
        r.damage = Damage(parts, flooding or Flooding.NONE, depth, a.get("light") == YES)
        r.survey = "self" if a.get("survey") == "self" else "site"
        r.self_assessment_consent = a.get("self_consent") == YES
        r.phone = a.get("phone", "")
        return r

    def request(
        self,
        procedure: str,
        holder: CardHolder,
        answers: Mapping[str, str],
        *,
        identity: str,
        staff_id: str = "",
        photos: PhotoSet | None = None,
    ) -> RisaiRequest | HigaiRequest:
        """The request these answers make; the card holder is the applicant."""
        person = Person(
            holder.name,
            holder.birth_date,
            holder.address,
            "staff" if identity == "staff" else "card",
            staff_id,
        )
        if procedure == "risai":
            return self._risai(answers, person, photos or PhotoSet())
        r = HigaiRequest(applicant=person, photos=photos or PhotoSet())
        r.disaster_id = answers.get("disaster")
        r.address_to_confirm = answers.get("same_address") == NO
        if answers.get("item") in _values(ItemKind):
            damage = answers.get("item_damage", "")
            r.items.append(
                DamagedItem(ItemKind(answers["item"]),
                            {ItemDamage(damage)} if damage in _values(ItemDamage) else set())
            )  # fmt: skip
        r.phone = answers.get("phone", "")
        return r

    def support_result(
        self, answers: Mapping[str, str], disaster: Disaster | None = None, *, on: date
    ) -> tuple[sc.SupportAnswers, sc.SupportResult]:
        a = _support_answers(answers)
        when = disaster.date if disaster else on
        return a, sc.results(a, self.book(when), disaster=disaster,
                             income_boundary=self.income_boundary)  # fmt: skip

    def submission(
        self,
        procedure: str,
        holder: CardHolder | None,
        answers: Mapping[str, str],
        *,
        identity: str,
        language: str,
        now: datetime,
        idempotency_key: str,
        staff_id: str = "",
        photos: PhotoSet | None = None,
        qualification: QualificationOutcome | None = None,
    ) -> Submission:
        """The store's submission, or `KnownError(<first problem's message id>)`.

        For `insurance`, pass the qualification outcome the resident saw; the consent answers
        become a 24-hour `ConsentRecord` (the session audits the consent itself)."""
        if procedure == "support-check":
            a, result = self.support_result(answers, on=now.date())
            body = sc.payload(a, result, now, kiosk_id=self.kiosk_id, language=language)
            cats = ["damage.report", "household"] + (["income"] if a.income_yen else [])
            return Submission(sc.KIND, 1, body, idempotency_key=idempotency_key,
                              categories=tuple(cats))  # fmt: skip
        if procedure == "insurance":
            items = frozenset(i for i in ConsentItem if answers.get(i.value) == YES)
            consent = ConsentRecord(items, now, "clerk" if identity == "staff" else "resident")
            outcome = qualification or QualificationOutcome("waiting")
            body = insurance.payload(outcome, consent, now, kiosk_id=self.kiosk_id,
                                     language=language)  # fmt: skip
            cats = ["insurance.qualification", *sorted(AUDIT_CATEGORY[i.value] for i in items)]
            return Submission(insurance.KIND, 1, body, idempotency_key=idempotency_key,
                              categories=tuple(cats))  # fmt: skip
        if procedure not in ("risai", "higai"):
            raise KnownError("procedures.not-here", procedure)
        if holder is None:
            raise KnownError("procedures.paper-route", "no card: the paper form at the counter")
        req = self.request(procedure, holder, answers, identity=identity, staff_id=staff_id,
                           photos=photos)  # fmt: skip
        problems: list[Problem] = req.problems(self.disasters, now.date())
        if problems:
            first = problems[0]
            raise KnownError(first.message_id, first.field, **first.params)
        return req.to_submission(self.disasters, now, kiosk_id=self.kiosk_id, language=language,
                                 idempotency_key=idempotency_key)  # fmt: skip

    def next_steps(
        self,
        procedure: str,
        holder: CardHolder | None,
        answers: Mapping[str, str],
        *,
        qualification: QualificationOutcome | None = None,
    ) -> tuple[str, ...]:
        """Message ids for the receipt's "what happens next", first one the most important."""
        if procedure == "support-check":
            return sc.next_steps()
        if procedure == "insurance":
            return insurance.next_steps(qualification or QualificationOutcome("waiting"))
        if holder is None or procedure not in ("risai", "higai"):
            return ("procedures.paper-route",)
        return self.request(procedure, holder, answers, identity="card").next_steps()


def _values(enum: type) -> set[str]:
    return {m.value for m in enum}  # type: ignore[attr-defined]


def _support_answers(a: Mapping[str, str]) -> sc.SupportAnswers:
    def yes(key: str) -> bool:
        return a.get(key) == YES

    def number(key: str) -> int | None:
        v = a.get(key, "")
        return int(v) if v.isdigit() else None

    grade = a.get("grade", "")
    plan = a.get("plan", "")
    relation = a.get("relation", "")
    return sc.SupportAnswers(
        has_certificate=None if "has_certificate" not in a else yes("has_certificate"),
        grade=DamageGrade(grade) if grade in _values(DamageGrade) else None,
        household=number("household"),
        plan=Plan(plan) if plan in _values(Plan) else None,
        rented_first=yes("rented_first"),
        demolished=yes("demolished"),
        long_term_evacuation=yes("long_term_evacuation"),
        death=yes("death"),
        death_main_earner=yes("death_main_earner"),
        relation=Relation(relation) if relation in _values(Relation) else None,
        closer_relatives=yes("closer_relatives"),
        sibling_lived_with=yes("sibling_lived_with"),
        disaster_related_death=yes("disaster_related_death"),
        disability=yes("disability"),
        disability_main_earner=yes("disability_main_earner"),
        injured=yes("injured"),
        goods_lost=yes("goods_lost"),
        dwelling_lost=yes("dwelling_lost"),
        income_yen=number("income_yen"),
        wants_loan_check=yes("wants_loan_check"),
    )
