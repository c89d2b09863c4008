"""Support-eligibility check: a few questions, then one estimate per scheme that may apply.

The UI asks `questions(answers)` for what to show next (each with its choices as message ids),
stores the taps in `SupportAnswers`, and shows `results(answers)`: "likely eligible, about X円
— staff will confirm" or "staff will look at your case", one line per rule that applied, and
the documents to bring. Published rules only; never a denial, never a score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk.flows.ports import Choice, Question, ReceiptLine
from kiosk.flows.procedures import documents
from kiosk.flows.procedures.common import Disaster, Problem, submission
from kiosk.flows.procedures.procedure import (
    YES_NO,
    Ask,
    Filing,
    Outcome,
    Printout,
    Refused,
    Site,
)
from kiosk.flows.rules import (
    Case,
    DamageGrade,
    DisasterScale,
    Estimate,
    IncomeBoundary,
    Plan,
    Relation,
    RuleBook,
    RuleRef,
    Scheme,
    estimate,
    grade_from_damage_ratio,
)

if TYPE_CHECKING:
    from kiosk.flows.visit import Visit

KIND = "support-check"
SCHEMA = "support-check.v1"


@dataclass
class SupportAnswers:
    """The resident's taps. None means "not answered" or "I don't know"."""

    has_certificate: bool | None = None
    grade: DamageGrade | None = None  # from the 罹災証明書
    damage_ratio: Decimal | None = None  # 損害割合 if the certificate states it
    household: int | None = None
    plan: Plan | None = None
    rented_first: bool = False
    demolished: bool = False
    site_damage: bool = False  # demolished because the site was damaged (がけ崩れ, 液状化)
    long_term_evacuation: bool = False
    death: bool = False  # someone in the household died in the disaster
    death_main_earner: bool = False
    relation: Relation | None = None
    closer_relatives: bool = False
    sibling_lived_with: bool = False
    disaster_related_death: bool = False
    disability: bool = False  # someone has a serious lasting disability from it
    disability_main_earner: bool = False
    injured: bool = False  # head of household hurt for a month or more
    goods_lost: bool = False
    dwelling_lost: bool = False
    income_yen: int | None = None
    wants_loan_check: bool = False

    def __repr__(self) -> str:  # household facts (income, deaths) stay out of logs
        return "SupportAnswers(<personal data>)"

    def effective_grade(self, book: RuleBook) -> tuple[DamageGrade | None, RuleRef | None]:
        if self.damage_ratio is not None:
            return grade_from_damage_ratio(self.damage_ratio, book)
        return self.grade, None


_GRADES = (
    *((g.value, g.label_id) for g in DamageGrade),
    ("unknown", "procedures.answer.unknown"),
)
_PLANS = tuple((p.value, f"procedures.plan.{p.value}") for p in Plan)
_RELATIONS = tuple((r.value, f"procedures.relation.{r.value}") for r in Relation)


_BELOW_HANKAI = (DamageGrade.JUN_HANKAI, DamageGrade.ICHIBU_SONKAI)
_CATEGORIES = {"household": ("household",), "income_yen": ("income",)}
_DIGITS = {"household": 2, "income_yen": 5}  # the household 1–30; the income in 万円


def _q(attr: str, name: str, kind: str, choices: tuple[tuple[str, str], ...] = (),
       help_name: str = "", help_id: str = "") -> Question:  # fmt: skip
    """A question as the kiosk asks it: "yes-no" and "choice" as buttons, "number" a keypad."""
    help_id = help_id or (f"procedures.help.{help_name}" if help_name else "")
    cats = _CATEGORIES.get(attr, ("damage.report",))
    if kind == "number":
        return Question(attr, f"procedures.question.{name}", (), "number", help_id,
                        max_digits=_DIGITS[attr], categories=cats)  # fmt: skip
    buttons = YES_NO if kind == "yes-no" else tuple(Choice(v, m) for v, m in choices)
    return Question(attr, f"procedures.question.{name}", buttons, "choice", help_id,
                    categories=cats)  # fmt: skip


_ALL: tuple[tuple[Question, Callable[[SupportAnswers], bool]], ...] = (
    (_q("has_certificate", "has-certificate", "yes-no"), lambda a: True),
    (_q("grade", "grade", "choice", _GRADES, "grade"), lambda a: a.has_certificate is True),
    # 法3条: 単数世帯 is judged 「自然災害の発生時において」, so ask for the household then.
    (_q("household", "household-at-disaster", "number", help_name="household-at-disaster"),
     lambda a: True),
    (_q("long_term_evacuation", "long-term-evacuation", "yes-no"), lambda a: True),
    # 法2条2号ロ: any grade below 全壊 may have been demolished (半壊 or worse, or the site
    # damaged); below 半壊 only a damaged site makes it count, so that is asked next.
    (_q("demolished", "demolished", "yes-no", help_name="demolished"),
     lambda a: a.grade is not None and a.grade is not DamageGrade.ZENKAI),
    (_q("site_damage", "site-damage", "yes-no", help_name="site-damage"),
     lambda a: a.demolished and a.grade in _BELOW_HANKAI),
    (_q("plan", "plan", "choice", _PLANS), lambda a: True),
    (_q("rented_first", "rented-first", "yes-no"), lambda a: a.plan in (Plan.BUILD, Plan.REPAIR)),
    (_q("death", "death", "yes-no"), lambda a: True),
    (_q("death_main_earner", "main-earner", "yes-no", help_name="main-earner"),
     lambda a: a.death),
    (_q("relation", "relation", "choice", _RELATIONS), lambda a: a.death),
    (_q("closer_relatives", "closer-relatives", "yes-no"),
     lambda a: a.death and a.relation is Relation.SIBLING),
    (_q("sibling_lived_with", "sibling-lived-with", "yes-no"),
     lambda a: a.death and a.relation is Relation.SIBLING and not a.closer_relatives),
    (_q("disaster_related_death", "disaster-related-death", "yes-no"), lambda a: a.death),
    (_q("disability", "disability", "yes-no", help_name="disability"), lambda a: True),
    (_q("disability_main_earner", "main-earner", "yes-no", help_name="main-earner"),
     lambda a: a.disability),
    # Injury, lost goods and a lost home matter only for the loan: asked about the loan
    # first, and those three only when the resident wants it checked (3 taps fewer).
    (_q("wants_loan_check", "wants-loan-check", "yes-no", help_name="loan"), lambda a: True),
    (_q("injured", "injured", "yes-no"), lambda a: a.wants_loan_check),
    (_q("goods_lost", "goods-lost", "yes-no"), lambda a: a.wants_loan_check),
    (_q("dwelling_lost", "dwelling-lost", "yes-no"), lambda a: a.wants_loan_check),
    (_q("income_yen", "income", "number", help_id="services.help.income"),
     lambda a: a.wants_loan_check),
)  # fmt: skip


def questions(answers: SupportAnswers) -> list[Question]:
    """The questions that matter given the answers so far, in the order to ask them."""
    return [q for q, shown in _ALL if shown(answers)]


def _loan_relevant(a: SupportAnswers, grade: DamageGrade | None) -> bool:
    damaged = grade in (
        DamageGrade.ZENKAI,
        DamageGrade.DAIKIBO_HANKAI,
        DamageGrade.CHUKIBO_HANKAI,
        DamageGrade.HANKAI,
    )
    return a.wants_loan_check and (a.injured or a.goods_lost or a.dwelling_lost or damaged)


@dataclass(frozen=True)
class SupportResult:
    estimates: tuple[Estimate, ...]
    grade: DamageGrade | None
    grade_rule: RuleRef | None  # when the grade came from the 損害割合

    @property
    def documents(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d for e in self.estimates for d in e.documents))


def results(
    answers: SupportAnswers,
    book: RuleBook,
    *,
    disaster: Disaster | None = None,
    income_boundary: IncomeBoundary = "exclusive",  # 法10条1項 「に満たない」
) -> SupportResult:
    """One estimate per scheme the answers point to; the home's support always comes first."""
    grade, grade_rule = answers.effective_grade(book)
    scale = disaster.scale if disaster else DisasterScale()
    base: dict[str, Any] = {
        "grade": grade,
        "household": answers.household or 1,
        "disaster_date": disaster.date if disaster else None,
        "scale": scale,
    }
    cases = [
        Case(
            Scheme.REBUILD_SUPPORT,
            plan=answers.plan or Plan.NONE,
            rented_first=answers.rented_first,
            demolished=answers.demolished,
            site_damage=answers.site_damage,
            long_term_evacuation=answers.long_term_evacuation,
            **base,
        )
    ]
    if answers.death:
        cases.append(
            Case(
                Scheme.CONDOLENCE,
                main_earner=answers.death_main_earner,
                relation=answers.relation,
                closer_relatives=answers.closer_relatives,
                sibling_lived_with=answers.sibling_lived_with,
                disaster_related_death=answers.disaster_related_death,
                **base,
            )
        )
    if answers.disability:
        cases.append(
            Case(Scheme.DISABILITY_GRANT, main_earner=answers.disability_main_earner, **base)
        )
    if _loan_relevant(answers, grade):
        cases.append(
            Case(
                Scheme.RELIEF_LOAN,
                injured=answers.injured,
                goods_lost=answers.goods_lost,
                dwelling_lost=answers.dwelling_lost,
                income_yen=answers.income_yen,
                **base,
            )
        )
    return SupportResult(
        tuple(estimate(c, book, income_boundary=income_boundary) for c in cases),
        grade,
        grade_rule,
    )


def payload(
    answers: SupportAnswers,
    result: SupportResult,
    now: datetime,
    *,
    kiosk_id: str,
    language: str,
    disaster: Disaster | None = None,
) -> dict[str, Any]:
    """A record of the check for the counter (`docs/schema/support-check.v1.json`).

    Holds the answers and the estimates only: no name, address or birth date, because the
    check alone decides nothing and the counter identifies the resident itself.
    """
    return {
        "schema": SCHEMA,
        "kind": KIND,
        "created_at": now.isoformat(),
        "kiosk_id": kiosk_id,
        "language": language,
        "disaster": disaster.to_json() if disaster else None,
        "answers": {
            "grade": result.grade.value if result.grade else None,
            "damage_ratio": str(answers.damage_ratio) if answers.damage_ratio is not None
            else None,
            "household": answers.household,
            "plan": answers.plan.value if answers.plan else None,
            "rented_first": answers.rented_first,
            "demolished": answers.demolished,
            "long_term_evacuation": answers.long_term_evacuation,
            "death": answers.death,
            "disability": answers.disability,
            "injured": answers.injured,
            "goods_lost": answers.goods_lost,
            "dwelling_lost": answers.dwelling_lost,
            "income_given": answers.income_yen is not None,
        },
        "estimates": [e.to_json() for e in result.estimates],
    }  # fmt: skip


def check_household(value: int | None) -> list[str]:
    """Message ids for a bad household size (the number pad accepts 1–30)."""
    if value is None:
        return ["procedures.error.household-required"]
    if not 1 <= value <= 30:
        return ["procedures.error.household-range"]
    return []


def next_steps() -> tuple[str, ...]:
    return ("procedures.next.support-check",)


def today_for(disaster: Disaster | None, now: date) -> date:
    """Rules apply as of the disaster's date when known, else today."""
    return disaster.date if disaster else now


# -- the procedure --------------------------------------------------------------------------

_BOOLS = (
    "has_certificate", "rented_first", "demolished", "site_damage", "long_term_evacuation",
    "death",
    "death_main_earner", "closer_relatives", "sibling_lived_with", "disaster_related_death",
    "disability", "disability_main_earner", "injured", "goods_lost", "dwelling_lost",
    "wants_loan_check",
)  # fmt: skip


def support_answers(answers: Mapping[str, str]) -> SupportAnswers:
    """The taps as the support check's model; anything not answered stays at its default."""
    sa = SupportAnswers()
    for name in _BOOLS:
        if name in answers:
            setattr(sa, name, answers[name] == "yes")
    grade = answers.get("grade")
    if grade and grade != "unknown":
        sa.grade = DamageGrade(grade)
    household = answers.get("household", "")
    if household.isdigit():
        sa.household = int(household)
    if "plan" in answers:
        sa.plan = Plan(answers["plan"])
    if "relation" in answers:
        sa.relation = Relation(answers["relation"])
    income = answers.get("income_yen", "")
    if income.isdigit():
        sa.income_yen = int(income) * 10_000  # asked in 万円: short enough for the keypad
    return sa


def _household_check(value: str) -> Problem | None:
    ids = check_household(int(value))
    return Problem("household", ids[0]) if ids else None


def receipt_lines(result: SupportResult) -> tuple[ReceiptLine, ...]:
    """What the resident reads after a support check: per scheme its name, the headline
    ("likely eligible, about X円 — staff will confirm"), one line per rule that applied,
    deadlines and notes; then the documents to bring."""
    out: list[ReceiptLine] = []
    if result.grade_rule is not None:
        r = result.grade_rule
        out.append(ReceiptLine(r.explain, tuple(r.params.items()), kind="rule"))
    for e in result.estimates:
        out.append(ReceiptLine(e.scheme.label_id, kind="heading"))
        headline, hparams = e.headline
        out.append(ReceiptLine(headline, tuple(hparams.items()), kind="result"))
        eparams = tuple(e.params.items())
        out += [ReceiptLine(m, eparams, kind="note") for m in e.reasons]
        out += [ReceiptLine(r.explain, tuple(r.params.items()), kind="rule") for r in e.rules]
        out += [ReceiptLine(m, (("date", d.isoformat()),), kind="deadline") for m, d in e.deadlines]
        out += [ReceiptLine(m, eparams, kind="note") for m in e.notes]
    if result.documents:
        out.append(ReceiptLine("rules.documents", kind="heading"))
        out += [ReceiptLine(d, kind="document") for d in result.documents]
    return tuple(out)


class SupportCheck:
    """Which support may apply after the disaster, and about how much: an estimate to take
    to the counter, never a decision. Needs no card: nothing is read from it."""

    id: ClassVar[str] = KIND
    label_id: ClassVar[str] = f"ui.service.{KIND}"
    card_items: ClassVar[tuple[str, ...]] = ("procedures.data.name", "procedures.data.birth-date")
    sent_to: ClassVar[str] = "procedures.sent.counter"
    needs_card: ClassVar[bool] = False
    paper_form: ClassVar[bool] = False

    def plan(self, site: Site, visit: Visit) -> Iterator[Ask]:
        if len(site.active_disasters()) > 1:
            yield site.disaster_ask(("damage.report",))
        for q in questions(support_answers(visit.answers)):
            yield Ask(q, _household_check if q.id == "household" else None)

    def disaster(self, site: Site, visit: Visit) -> Disaster | None:
        """The disaster chosen, or the site's only active one."""
        chosen = visit.answers.get("disaster")
        if chosen:
            return site.disaster(chosen)
        active = site.active_disasters()
        return active[0] if len(active) == 1 else None

    def request(self, site: Site, visit: Visit, now: datetime) -> SupportAnswers:
        return support_answers(visit.answers)

    def file(self, site: Site, visit: Visit, key: str) -> Outcome:
        now = site.now()
        sa = self.request(site, visit, now)
        problems = check_household(sa.household)
        if problems:
            return Refused(problems[0])
        disaster = self.disaster(site, visit)
        rules = site.settings.rules
        book = RuleBook.for_site(rules.tables, today_for(disaster, now.date()))
        result = results(sa, book, disaster=disaster, income_boundary=rules.loan_income_limit)
        body = payload(
            sa, result, now, kiosk_id=site.settings.site.kiosk_id, language=visit.language,
            disaster=disaster,
        )  # fmt: skip
        cats = ("damage.report", "household", *(("income",) if sa.income_yen is not None else ()))

        def sheet(reference: str) -> Sequence[Printout]:
            return (
                Printout(documents.support_sheet(result, now, reference), f"result-{reference}"),
            )

        return Filing(
            submission(KIND, body, None, cats, key), next_steps(), receipt_lines(result), sheet
        )

    def form(self, site: Site, visit: Visit) -> None:
        return None


PROCEDURE = SupportCheck()
