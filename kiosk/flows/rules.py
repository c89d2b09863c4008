"""Support rules as published, versioned tables, and an estimator that explains itself.

The tables live in `assets/rules/*.toml`; each names its scheme, version, source and the date
from which it applies. `RuleBook.load(on=...)` picks, per scheme, the newest table effective on
that date. Every estimate lists the rule rows that applied (id, source, effective date) with one
plain explanation message id each, so a resident sees why, and a clerk can check it.

An estimate never denies: its outcome is `likely-eligible` ("about X円 — staff will confirm")
or `staff-review` ("staff will look at your case") with the reasons as message ids. No scores.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from kiosk.errors import KnownError
from kiosk.paths import ASSETS

if TYPE_CHECKING:  # the table shapes need pydantic, imported only when tables are read
    from kiosk.flows.rule_tables import (
        AmountRow,
        CondolenceRules,
        DamageGradeRules,
        RebuildSupportRules,
        ReliefLoanRules,
        Row,
    )

RULES_DIR = ASSETS / "rules"
IncomeBoundary = Literal["inclusive", "exclusive"]
Outcome = Literal["likely-eligible", "staff-review"]


class RulesError(KnownError):
    """A rules table is missing, unreadable or malformed (the deployment is at fault)."""

    exit_code = 2

    def __init__(self, detail: str) -> None:
        super().__init__("rules.table-broken", detail)


class DamageGrade(StrEnum):
    """住家の被害の程度, from the 罹災証明書 or from the 損害割合."""

    ZENKAI = "zenkai"
    DAIKIBO_HANKAI = "daikibo-hankai"
    CHUKIBO_HANKAI = "chukibo-hankai"
    HANKAI = "hankai"
    JUN_HANKAI = "jun-hankai"
    ICHIBU_SONKAI = "ichibu-sonkai"

    @property
    def label_id(self) -> str:
        return f"grade.{self.value}"

    @property
    def japanese(self) -> str:
        return _GRADE_JA[self]

    @classmethod
    def parse(cls, text: str) -> DamageGrade:
        """Romaji (`zenkai`, `daikibo-hankai` …) or Japanese (`全壊`, `大規模半壊` …)."""
        t = text.strip().replace("（", "(").replace("）", ")").replace("_", "-").lower()
        for g in cls:
            if t in (g.value, _GRADE_JA[g]):
                return g
        if t in ("一部損壊", "準半壊に至らない", "準半壊に至らない(一部損壊)"):
            return cls.ICHIBU_SONKAI
        raise ValueError(f"unknown damage grade {text!r}")


_GRADE_JA = {
    DamageGrade.ZENKAI: "全壊",
    DamageGrade.DAIKIBO_HANKAI: "大規模半壊",
    DamageGrade.CHUKIBO_HANKAI: "中規模半壊",
    DamageGrade.HANKAI: "半壊",
    DamageGrade.JUN_HANKAI: "準半壊",
    DamageGrade.ICHIBU_SONKAI: "準半壊に至らない(一部損壊)",
}


class Plan(StrEnum):
    """How the household will rebuild (加算支援金)."""

    BUILD = "build"  # 建設・購入
    REPAIR = "repair"  # 補修
    RENT = "rent"  # 賃借 (公営住宅以外)
    NONE = "none"  # not decided yet


class Scheme(StrEnum):
    REBUILD_SUPPORT = "rebuild-support"  # 被災者生活再建支援金
    CONDOLENCE = "condolence"  # 災害弔慰金
    DISABILITY_GRANT = "disability-grant"  # 災害障害見舞金
    RELIEF_LOAN = "relief-loan"  # 災害援護資金

    @property
    def label_id(self) -> str:
        return f"scheme.{self.value}"


class Relation(StrEnum):
    """The applicant's relation to the person who died (災害弔慰金)."""

    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    OTHER = "other"


# Which table file holds each scheme's rules.
_TABLE_OF = {
    Scheme.REBUILD_SUPPORT: "rebuild-support",
    Scheme.CONDOLENCE: "condolence",
    Scheme.DISABILITY_GRANT: "condolence",
    Scheme.RELIEF_LOAN: "relief-loan",
}


R = TypeVar("R")


@dataclass(frozen=True)
class RuleTable(Generic[R]):
    """One version of one published table: its header, and its rows checked and typed
    (`kiosk.flows.rule_tables`)."""

    scheme: str
    version: str
    effective: date
    source: str
    note: str
    rules: R
    path: Path

    def ref(self, row: Row, **params: object) -> RuleRef:
        return RuleRef(
            id=row.id,
            explain=row.explain,
            table=self.scheme,
            version=self.version,
            source=row.source or self.source,
            effective=self.effective,
            params=dict(params),
        )

    def rows(self) -> list[Row]:
        """Every row that carries a rule id, in the table's order."""
        from kiosk.flows.rule_tables import Row

        out: list[Row] = []
        for name in type(self.rules).model_fields:  # type: ignore[attr-defined]
            value = getattr(self.rules, name)
            if isinstance(value, Row):
                out.append(value)
            elif isinstance(value, list):
                out += [v for v in value if isinstance(v, Row)]
        return out


@dataclass(frozen=True)
class RuleRef:
    """A rule row that applied: where it comes from, and the message that explains it."""

    id: str
    explain: str  # message id; `params` fill its placeholders
    table: str
    version: str
    source: str
    effective: date
    params: Mapping[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "explain": self.explain,
            "params": {k: v for k, v in self.params.items()},
            "source": self.source,
            "effective": self.effective.isoformat(),
            "version": self.version,
        }


@dataclass(frozen=True)
class Part:
    """One amount of an estimate (e.g. 基礎支援金), in yen."""

    id: str
    label: str  # message id
    amount_yen: int


@dataclass(frozen=True)
class Estimate:
    """What the resident is likely to receive, and why. Never a denial, never a score."""

    scheme: Scheme
    outcome: Outcome
    kind: Literal["grant", "loan-limit"]
    parts: tuple[Part, ...]
    rules: tuple[RuleRef, ...]
    reasons: tuple[str, ...] = ()  # message ids: why staff should look (staff-review)
    notes: tuple[str, ...] = ()  # message ids: what staff will still confirm
    documents: tuple[str, ...] = ()  # message ids of the documents to bring
    deadlines: tuple[tuple[str, date], ...] = ()  # (message id, last day to apply)
    params: Mapping[str, object] = field(default_factory=dict)  # fills reasons and notes

    @property
    def total_yen(self) -> int:
        return sum(p.amount_yen for p in self.parts)

    @property
    def headline(self) -> tuple[str, dict[str, object]]:
        """The one line to show first: message id and its placeholders."""
        if self.outcome == "staff-review":
            return "rules.result.staff", {}
        key = "rules.result.loan" if self.kind == "loan-limit" else "rules.result.likely"
        return key, {"amount": yen(self.total_yen)}

    def to_json(self) -> dict[str, Any]:
        headline, hparams = self.headline
        return {
            "scheme": self.scheme.value,
            "outcome": self.outcome,
            "kind": self.kind,
            "total_yen": self.total_yen,
            "headline": {"id": headline, "params": hparams},
            "parts": [
                {"id": p.id, "label": p.label, "amount_yen": p.amount_yen} for p in self.parts
            ],
            "rules": [r.to_json() for r in self.rules],
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "documents": list(self.documents),
            "deadlines": [{"id": m, "date": d.isoformat()} for m, d in self.deadlines],
            "params": dict(self.params),
        }


def yen(amount: int) -> str:
    """Digits grouped by thousands, as printed on Japanese forms: 1,000,000."""
    return f"{amount:,}"


class RuleBook:
    """The rule tables in force on one date, one per table name."""

    def __init__(self, tables: Mapping[str, RuleTable[Any]], on: date) -> None:
        self._tables = dict(tables)
        self.on = on

    @classmethod
    def load(cls, folder: Path = RULES_DIR, on: date | None = None) -> RuleBook:
        """Read every `*.toml` in `folder`; keep the newest version effective on `on`."""
        when = on or date.today()
        chosen: dict[str, RuleTable[Any]] = {}
        for t in read_tables(folder):
            if t.effective > when:
                continue
            old = chosen.get(t.scheme)
            if old is None or t.effective > old.effective:
                chosen[t.scheme] = t
        return cls(chosen, when)

    @classmethod
    def for_site(cls, tables: str = "", on: date | None = None) -> RuleBook:
        """The site's tables (`[rules] tables`; empty: the shipped ones) in force on `on`."""
        return cls.load(Path(tables) if tables else RULES_DIR, on)

    def table(self, name: str) -> RuleTable[Any] | None:
        return self._tables.get(name)

    @property
    def tables(self) -> tuple[RuleTable[Any], ...]:
        return tuple(self._tables[k] for k in sorted(self._tables))


def read_tables(folder: Path = RULES_DIR) -> list[RuleTable[Any]]:
    """Every table file in `folder`, each checked against its scheme's shape."""
    from kiosk.flows.rule_tables import read_table  # pydantic only when tables are read

    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise RulesError(f"{folder}: no rule tables")
    return [read_table(path) for path in paths]


# ---------------------------------------------------------------------------------------------
# Damage grade from 損害割合


def grade_from_damage_ratio(
    percent: float | Decimal | int, book: RuleBook
) -> tuple[DamageGrade, RuleRef]:
    """The grade for a 損害割合 in percent (0–100), and the row that decided it."""
    p = Decimal(str(percent))
    if not Decimal(0) <= p <= Decimal(100):
        raise ValueError("damage ratio must be between 0 and 100 percent")
    table = book.table("damage-grade")
    if table is None:
        raise RulesError(f"no damage-grade table effective on {book.on}")
    rules: DamageGradeRules = table.rules
    for row in sorted(rules.row, key=lambda r: -r.from_percent):
        if p >= row.from_percent:
            return row.grade, table.ref(row, percent=str(p))
    raise RulesError(f"{table.path.name}: no grade starts at 0 percent")


# ---------------------------------------------------------------------------------------------
# Scale of the disaster: when 災害弔慰金法 applies


@dataclass(frozen=True)
class DisasterScale:
    """What is known about the disaster's size; None means not known (staff will confirm)."""

    dwellings_destroyed_in_municipality: int | None = None
    municipalities_with_5_destroyed_in_prefecture: int | None = None
    relief_act_applied_in_prefecture: bool | None = None
    prefectures_with_relief_act: int | None = None
    support_act_applied: bool | None = None  # 被災者生活再建支援法 applied to the area

    def value(self, kind: str) -> int | None:
        v = getattr(self, kind)
        if isinstance(v, bool):
            return int(v)
        return v if v is None else int(v)


def _applies(
    table: RuleTable[CondolenceRules], scale: DisasterScale
) -> tuple[bool | None, RuleRef | None]:
    """True with the first condition met; False if every condition is known and unmet."""
    unknown = False
    for cond in table.rules.applies:
        v = scale.value(cond.kind)
        if v is None:
            unknown = True
        elif v >= cond.at_least:
            return True, table.ref(cond, at_least=cond.at_least, value=v)
    return (None if unknown else False), None


# ---------------------------------------------------------------------------------------------
# The case the resident describes, and the estimate for each scheme


@dataclass(frozen=True)
class Case:
    """A resident's answers. Everything optional has a meaning: None is 'not known'."""

    scheme: Scheme
    grade: DamageGrade | None = None
    household: int = 1
    plan: Plan = Plan.NONE
    rented_first: bool = False  # 加算: rented first, then builds or repairs
    demolished: bool = False  # had to demolish the home (解体, 法2条2号ロ)
    site_damage: bool = False  # … because its site was damaged (がけ崩れ, 液状化): any grade
    long_term_evacuation: bool = False  # 長期避難
    main_earner: bool = False  # the person who died or was disabled kept the household
    relation: Relation | None = None  # condolence: applicant's relation to the deceased
    closer_relatives: bool = False  # condolence: a spouse, child, parent … exists
    sibling_lived_with: bool = False  # condolence: sibling lived or shared livelihood with them
    disaster_related_death: bool = False  # 災害関連死
    injured: bool = False  # relief loan: head of household injured for a month or more
    goods_lost: bool = False  # relief loan: a third or more of household goods lost
    dwelling_lost: bool = False  # relief loan: the whole dwelling lost or washed away
    income_yen: int | None = None  # relief loan: previous year's household 総所得金額
    disaster_date: date | None = None
    scale: DisasterScale = field(default_factory=DisasterScale)

    def __post_init__(self) -> None:
        if self.household < 1:
            raise ValueError("household must be at least 1 person")
        if self.income_yen is not None and self.income_yen < 0:
            raise ValueError("income must not be negative")


def estimate(
    case: Case, book: RuleBook, *, income_boundary: IncomeBoundary = "exclusive"
) -> Estimate:
    """The estimate for `case` under the tables in `book`.

    A date before every table's effective date gives a staff review, never an error.
    """
    try:
        if case.scheme is Scheme.REBUILD_SUPPORT:
            return _rebuild_support(case, book)
        if case.scheme is Scheme.CONDOLENCE:
            return _condolence(case, book)
        if case.scheme is Scheme.DISABILITY_GRANT:
            return _disability_grant(case, book)
        return _relief_loan(case, book, income_boundary)
    except _NoTable:
        return Estimate(
            scheme=case.scheme,
            outcome="staff-review",
            kind="loan-limit" if case.scheme is Scheme.RELIEF_LOAN else "grant",
            parts=(),
            rules=(),
            reasons=("rules.reason.no-table-for-date",),
            params={"date": book.on.isoformat()},
        )


def _need(book: RuleBook, name: str) -> RuleTable[Any]:
    t = book.table(name)
    if t is None:
        raise _NoTable(name)
    return t


class _NoTable(Exception):
    pass


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _rebuild_support(case: Case, book: RuleBook) -> Estimate:
    t: RuleTable[RebuildSupportRules] = _need(book, _TABLE_OF[Scheme.REBUILD_SUPPORT])
    rules = t.rules
    rows = rules.by_category()
    applied: list[RuleRef] = []
    notes: list[str] = []
    reasons: list[str] = []
    params: dict[str, object] = {}
    documents = rules.documents
    docs: list[str] = list(documents.basic)
    g = case.grade
    demolished = rules.demolished

    category: str | None
    if case.long_term_evacuation:
        category = "chouki-hinan"
    elif g is DamageGrade.ZENKAI:
        category = "zenkai"
    elif case.demolished and g is not None and g in demolished.grades:
        category = demolished.category
        applied.append(t.ref(demolished, grade=g.value))
    elif case.demolished and case.site_damage:
        site = rules.demolished_site
        category = site.category
        applied.append(t.ref(site, grade=g.value if g else ""))
    elif g is not None and g.value in rows:
        category = g.value
    else:
        category = None

    if category is None:
        reasons.append(
            "rules.reason.grade-unknown" if g is None else "rules.reason.rebuild-support.grade"
        )
        params["grade"] = g.value if g else ""
        return Estimate(Scheme.REBUILD_SUPPORT, "staff-review", "grant", (), tuple(applied),
                        tuple(reasons), params=params)  # fmt: skip

    row = rows[category]
    if category == "kaitai":
        docs += documents.kaitai
    elif category == "chouki-hinan":
        docs += documents.chouki_hinan
    basic = row.basic_yen
    plan_yen = {
        Plan.BUILD: row.build_yen,
        Plan.REPAIR: row.repair_yen,
        Plan.RENT: row.rent_yen,
        Plan.NONE: 0,
    }
    applied.insert(
        0,
        t.ref(row, basic=yen(basic), build=yen(plan_yen[Plan.BUILD]),
              repair=yen(plan_yen[Plan.REPAIR]), rent=yen(plan_yen[Plan.RENT])),
    )  # fmt: skip
    parts: list[tuple[str, str, int]] = []
    if basic:
        parts.append((f"{row.id}.basic", "part.rebuild-support.basic", basic))
    if case.plan is not Plan.NONE:
        docs += getattr(documents, case.plan.value)
    if case.rented_first and case.plan in (Plan.BUILD, Plan.REPAIR):
        rent = plan_yen[Plan.RENT]
        parts.append((f"{row.id}.rent", "part.rebuild-support.addition-rent", rent))
        parts.append(
            (f"{row.id}.{case.plan.value}", "part.rebuild-support.addition-balance",
             plan_yen[case.plan] - rent)
        )  # fmt: skip
        applied.append(t.ref(rules.rent_then, total=yen(plan_yen[case.plan])))
    elif case.plan is not Plan.NONE:
        label = f"part.rebuild-support.addition-{case.plan.value}"
        parts.append((f"{row.id}.{case.plan.value}", label, plan_yen[case.plan]))
    else:
        notes.append("rules.note.rebuild-support.addition-later")

    if case.household == 1:
        sp = rules.single_person
        factor = Fraction(sp.numerator, sp.denominator)
        parts = [(i, lab, int(a * factor)) for i, lab, a in parts]
        applied.append(t.ref(sp, numerator=factor.numerator, denominator=factor.denominator))

    outcome: Outcome = "likely-eligible"
    if case.scale.support_act_applied is False:
        outcome = "staff-review"
        reasons.append("rules.reason.rebuild-support.act-not-applied")
    elif case.scale.support_act_applied is None:
        notes.append("rules.note.rebuild-support.act-must-apply")
    if sum(a for _, _, a in parts) == 0:
        outcome = "staff-review"
        reasons.append("rules.reason.rebuild-support.plan-needed")

    deadlines: list[tuple[str, date]] = []
    if case.disaster_date is not None and basic:
        deadlines.append(
            ("rules.deadline.basic",
             _add_months(case.disaster_date, rules.basic_deadline_months))
        )  # fmt: skip
    if case.disaster_date is not None:
        deadlines.append(
            ("rules.deadline.addition",
             _add_months(case.disaster_date, rules.addition_deadline_months))
        )  # fmt: skip
    return Estimate(
        scheme=Scheme.REBUILD_SUPPORT,
        outcome=outcome,
        kind="grant",
        parts=tuple(Part(i, lab, a) for i, lab, a in parts),
        rules=tuple(applied),
        reasons=tuple(reasons),
        notes=tuple(notes),
        documents=_unique(docs),
        deadlines=tuple(deadlines),
        params=params,
    )


def _law_applies(t: RuleTable[CondolenceRules], case: Case, applied: list[RuleRef],
                 reasons: list[str], notes: list[str]) -> bool:  # fmt: skip
    ok, ref = _applies(t, case.scale)
    if ref is not None:
        applied.append(ref)
    if ok is False:
        reasons.append("rules.reason.condolence.law-not-applied")
    elif ok is None:
        notes.append("rules.note.condolence.law-must-apply")
    return ok is not False


def _amount_row(rows: Sequence[AmountRow], main_earner: bool) -> AmountRow:
    for r in rows:
        if r.main_earner is main_earner:
            return r
    raise RulesError(f"no row for main_earner={main_earner}")


def _condolence(case: Case, book: RuleBook) -> Estimate:
    t: RuleTable[CondolenceRules] = _need(book, _TABLE_OF[Scheme.CONDOLENCE])
    applied: list[RuleRef] = []
    reasons: list[str] = []
    notes: list[str] = []
    row = _amount_row(t.rules.condolence, case.main_earner)
    amount = row.amount_yen
    applied.append(t.ref(row, amount=yen(amount)))
    bereaved = t.rules.bereaved
    rel = case.relation
    if rel is None:
        reasons.append("rules.reason.condolence.relation-unknown")
    elif rel in bereaved.relations:
        applied.append(t.ref(bereaved, relation=rel.value))
    elif rel is Relation.SIBLING:
        if not case.closer_relatives and case.sibling_lived_with:
            applied.append(t.ref(t.rules.siblings))
        else:
            reasons.append("rules.reason.condolence.sibling")
    else:
        reasons.append("rules.reason.condolence.relation")
    if case.disaster_related_death:
        applied.append(t.ref(t.rules.disaster_related))
    law_ok = _law_applies(t, case, applied, reasons, notes)
    outcome: Outcome = "likely-eligible" if law_ok and not reasons else "staff-review"
    return Estimate(
        scheme=Scheme.CONDOLENCE,
        outcome=outcome,
        kind="grant",
        parts=(Part(row.id, "part.condolence", amount),),
        rules=tuple(applied),
        reasons=tuple(reasons),
        notes=tuple(notes),
        documents=_unique(t.rules.documents.condolence),
    )


def _disability_grant(case: Case, book: RuleBook) -> Estimate:
    t: RuleTable[CondolenceRules] = _need(book, _TABLE_OF[Scheme.DISABILITY_GRANT])
    applied: list[RuleRef] = []
    reasons: list[str] = []
    notes: list[str] = []
    row = _amount_row(t.rules.disability, case.main_earner)
    amount = row.amount_yen
    applied.append(t.ref(row, amount=yen(amount)))
    applied.append(t.ref(t.rules.disability_severity))
    law_ok = _law_applies(t, case, applied, reasons, notes)
    return Estimate(
        scheme=Scheme.DISABILITY_GRANT,
        outcome="likely-eligible" if law_ok else "staff-review",
        kind="grant",
        parts=(Part(row.id, "part.disability-grant", amount),),
        rules=tuple(applied),
        reasons=tuple(reasons),
        notes=(*notes, "rules.note.disability-grant.severity"),
        documents=_unique(t.rules.documents.disability),
    )


def income_limit(
    t: RuleTable[ReliefLoanRules], household: int, dwelling_lost: bool
) -> tuple[int, Row]:
    """The relief loan's income limit for a household, and the row that set it."""
    if dwelling_lost:
        lost = t.rules.income_dwelling_lost
        return lost.limit_yen, lost
    for row in t.rules.income:
        if row.household == household:
            return row.limit_yen, row
    large = t.rules.income_large
    if household >= large.from_household:
        extra = household - large.from_household + 1
        return large.base_yen + extra * large.per_extra_yen, large
    raise RulesError(f"{t.path.name}: no income limit for a household of {household}")


def _relief_loan(case: Case, book: RuleBook, boundary: IncomeBoundary) -> Estimate:
    t: RuleTable[ReliefLoanRules] = _need(book, _TABLE_OF[Scheme.RELIEF_LOAN])
    applied: list[RuleRef] = []
    reasons: list[str] = []
    notes: list[str] = []
    params: dict[str, object] = {}
    grades = t.rules.grades
    situations: set[str] = set()
    if case.injured:
        situations.add("injury-only")
    if case.goods_lost:
        situations.add("goods")
    if case.grade is not None:
        if case.grade in grades.zenkai:
            situations.add("zenkai")
        elif case.grade in grades.hankai:
            situations.add("hankai")
    if case.dwelling_lost:
        situations |= {"dwelling-lost", "zenkai"}  # a lost dwelling is at least 全壊
    rows = [
        r for r in t.rules.limit
        if r.injured is case.injured and r.situation in situations
    ]  # fmt: skip
    parts: tuple[Part, ...] = ()
    if rows:
        best = max(rows, key=lambda r: r.limit_yen)
        limit = best.limit_yen
        applied.append(t.ref(best, amount=yen(limit)))
        parts = (Part(best.id, "part.relief-loan.limit", limit),)
        if best.special_limit_yen is not None:  # 170万→250万 etc.: staff decide
            notes.append("rules.note.relief-loan.special")
            params["special_limit"] = yen(best.special_limit_yen)
    else:
        reasons.append("rules.reason.relief-loan.no-damage")

    cap, cap_row = income_limit(t, case.household, case.dwelling_lost)
    applied.append(t.ref(cap_row, limit=yen(cap), household=case.household))
    params["income_limit"] = yen(cap)
    if case.income_yen is None:
        notes.append(f"rules.note.relief-loan.income-{boundary}")
    else:
        within = case.income_yen <= cap if boundary == "inclusive" else case.income_yen < cap
        if not within:
            reasons.append(f"rules.reason.relief-loan.income-{boundary}")

    relief = t.rules.relief_act
    if case.scale.relief_act_applied_in_prefecture is True:
        applied.append(t.ref(relief))
    elif case.scale.relief_act_applied_in_prefecture is False:
        reasons.append("rules.reason.relief-loan.act-not-applied")
    else:
        notes.append("rules.note.relief-loan.act-must-apply")

    docs = list(t.rules.documents.all)
    if case.injured:
        docs += t.rules.documents.injured
    return Estimate(
        scheme=Scheme.RELIEF_LOAN,
        outcome="staff-review" if reasons else "likely-eligible",
        kind="loan-limit",
        parts=parts,
        rules=tuple(applied),
        reasons=tuple(reasons),
        notes=(*notes, "rules.note.relief-loan.terms"),
        documents=_unique(docs),
        params=params,
    )


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def all_rule_rows(book: RuleBook) -> list[Mapping[str, Any]]:
    """Every row with an id in every table, as read (for listing and for tests that count)."""
    return [row.model_dump(by_alias=True) for t in book.tables for row in t.rows()]
