"""The shape of each rule table (`assets/rules/*.toml`), checked by pydantic when read.

Every number is finite and bounded, every string bounded, no key unknown; each row carries
its rule id, its explanation message and (optionally) its own citation, and the table its
source and effective date. A table that does not fit is refused with its file, row and key
(`RulesError`, exit 2): a typo in a deployed table must stop the kiosk's start, not pay the
wrong amount. Imported only when tables are read (pydantic stays out of the start-up path).
"""

from __future__ import annotations

import math
import tomllib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    model_validator,
)

from kiosk.flows.rules import DamageGrade, Relation, RulesError, RuleTable

MAX_YEN = 100_000_000  # 1億円: above every amount and income limit the laws name
MAX_HOUSEHOLD = 30
MAX_ROWS = 40
MAX_DOCUMENTS = 20


def _number(v: object) -> object:
    """A finite int or float (TOML's `inf`/`nan` and strings are refused), as a Decimal."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"must be a number, not {type(v).__name__}")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"must be a finite number, not {v}")
    return Decimal(str(v))


def _day(v: object) -> object:
    """A TOML date or an ISO date string (a number is not a date, a date-time is not a day)."""
    if isinstance(v, datetime):
        raise ValueError("must be a date without a time")
    if isinstance(v, date):
        return v
    if isinstance(v, str) and len(v) <= 10:
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise ValueError("must be a date (YYYY-MM-DD)")


Yen = Annotated[int, Field(ge=0, le=MAX_YEN)]
Count = Annotated[int, Field(ge=0, le=100_000)]
Months = Annotated[int, Field(ge=1, le=120)]
Household = Annotated[int, Field(ge=1, le=MAX_HOUSEHOLD)]
Percent = Annotated[Decimal, BeforeValidator(_number), Field(ge=0, le=100)]
Day = Annotated[date, BeforeValidator(_day)]
_ID = r"^[a-z0-9][a-z0-9._-]*$"
RuleId = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=_ID)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=_ID)]
MessageId = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=_ID)]
Explain = Annotated[str, StringConstraints(max_length=120, pattern=r"^rules\.[a-z0-9._-]+$")]
Citation = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Version = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[\w.-]+$")]
Note = Annotated[str, StringConstraints(max_length=2000)]
Grade = Annotated[DamageGrade, Strict(False)]  # the enum from its value
Docs = Annotated[list[MessageId], Field(max_length=MAX_DOCUMENTS)]


class _Strict(BaseModel):
    # strict: no "5" for 5, no 1 for true; forbid: a misspelt key is an error, not a default.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Row(_Strict):
    """A rule row: what the estimate lists when it applied."""

    id: RuleId
    explain: Explain
    source: Citation | None = None  # the row's own citation, when narrower than the table's


# --- damage-grade ----------------------------------------------------------------------------


class GradeRow(Row):
    grade: Grade
    from_percent: Percent


class DamageGradeRules(_Strict):
    row: Annotated[list[GradeRow], Field(min_length=1, max_length=MAX_ROWS)]

    @model_validator(mode="after")
    def _covers_0_to_100(self) -> DamageGradeRules:
        _unique("row", [r.grade.value for r in self.row])
        _unique("row", [str(r.from_percent) for r in self.row])
        if not any(r.from_percent == 0 for r in self.row):
            raise ValueError("no grade starts at 0 percent")
        return self


# --- rebuild-support -------------------------------------------------------------------------


class RebuildRow(Row):
    category: Key
    basic_yen: Yen
    build_yen: Yen
    repair_yen: Yen
    rent_yen: Yen


class FractionRow(Row):
    numerator: Annotated[int, Field(ge=1, le=100)]
    denominator: Annotated[int, Field(ge=1, le=100)]

    @model_validator(mode="after")
    def _at_most_one(self) -> FractionRow:
        if self.numerator > self.denominator:
            raise ValueError("numerator must not exceed denominator (a share of the amount)")
        return self


class DemolishedRow(Row):
    grades: Annotated[list[Grade], Field(max_length=6)]
    category: Key


class DemolishedSiteRow(Row):
    """Demolished because of damage to the site: the category whatever the grade."""

    category: Key


class RebuildDocuments(_Strict):
    basic: Docs
    build: Docs
    repair: Docs
    rent: Docs
    kaitai: Docs = []
    chouki_hinan: Docs = Field(default=[], alias="chouki-hinan")


class RebuildSupportRules(_Strict):
    basic_deadline_months: Months = 13
    addition_deadline_months: Months = 37
    row: Annotated[list[RebuildRow], Field(min_length=1, max_length=MAX_ROWS)]
    single_person: FractionRow
    demolished: DemolishedRow
    demolished_site: DemolishedSiteRow
    rent_then: Row
    documents: RebuildDocuments

    @model_validator(mode="after")
    def _categories(self) -> RebuildSupportRules:
        cats = [r.category for r in self.row]
        _unique("row", cats)
        for needed in (
            "zenkai",
            "chouki-hinan",
            self.demolished.category,
            self.demolished_site.category,
        ):
            if needed not in cats:
                raise ValueError(f"no [[row]] with category '{needed}'")
        return self

    def by_category(self) -> dict[str, RebuildRow]:
        return {r.category: r for r in self.row}


# --- condolence (and disability-grant) -------------------------------------------------------


class AmountRow(Row):
    main_earner: bool
    amount_yen: Yen


class RelationsRow(Row):
    relations: Annotated[list[Annotated[Relation, Strict(False)]], Field(max_length=10)]


ScaleKind = Literal[
    "dwellings_destroyed_in_municipality",
    "municipalities_with_5_destroyed_in_prefecture",
    "relief_act_applied_in_prefecture",
    "prefectures_with_relief_act",
    "support_act_applied",
]


class AppliesRow(Row):
    kind: ScaleKind
    at_least: Count


class CondolenceDocuments(_Strict):
    condolence: Docs
    disability: Docs


def _one_per_earner(name: str, rows: list[AmountRow]) -> None:
    if sorted(r.main_earner for r in rows) != [False, True]:
        raise ValueError(f"[[{name}]] needs one row with main_earner = true and one with false")


class CondolenceRules(_Strict):
    condolence: list[AmountRow]
    disability: list[AmountRow]
    bereaved: RelationsRow
    siblings: Row
    disaster_related: Row
    disability_severity: Row
    applies: Annotated[list[AppliesRow], Field(min_length=1, max_length=10)]
    documents: CondolenceDocuments

    @model_validator(mode="after")
    def _amounts(self) -> CondolenceRules:
        _one_per_earner("condolence", self.condolence)
        _one_per_earner("disability", self.disability)
        return self


# --- relief-loan -----------------------------------------------------------------------------


class LimitRow(Row):
    injured: bool
    situation: Literal["injury-only", "goods", "hankai", "zenkai", "dwelling-lost"]
    limit_yen: Yen
    # 特別の事情 (the rest of the home must be pulled down to rebuild …): the higher limit
    special_limit_yen: Yen | None = None

    @model_validator(mode="after")
    def _special_is_higher(self) -> LimitRow:
        if self.special_limit_yen is not None and self.special_limit_yen <= self.limit_yen:
            raise ValueError("special_limit_yen must be above limit_yen")
        return self


class LoanGrades(_Strict):
    zenkai: Annotated[list[Grade], Field(max_length=6)]
    hankai: Annotated[list[Grade], Field(max_length=6)]


class IncomeRow(Row):
    household: Household
    limit_yen: Yen


class IncomeLargeRow(Row):
    from_household: Household
    base_yen: Yen
    per_extra_yen: Yen


class IncomeLimitRow(Row):
    limit_yen: Yen


class ReliefDocuments(_Strict):
    all: Docs
    injured: Docs


class ReliefLoanRules(_Strict):
    limit: Annotated[list[LimitRow], Field(min_length=1, max_length=MAX_ROWS)]
    grades: LoanGrades
    income: Annotated[list[IncomeRow], Field(max_length=MAX_HOUSEHOLD)]
    income_large: IncomeLargeRow
    income_dwelling_lost: IncomeLimitRow
    relief_act: Row
    documents: ReliefDocuments

    @model_validator(mode="after")
    def _every_household_has_a_limit(self) -> ReliefLoanRules:
        sizes = [r.household for r in self.income]
        _unique("income", [str(s) for s in sizes])
        missing = set(range(1, self.income_large.from_household)) - set(sizes)
        if missing:
            raise ValueError(f"no income limit for a household of {min(missing)}")
        return self


RULES_OF: dict[str, type[_Strict]] = {
    "damage-grade": DamageGradeRules,
    "rebuild-support": RebuildSupportRules,
    "condolence": CondolenceRules,
    "relief-loan": ReliefLoanRules,
}


class Header(BaseModel):
    """What every table carries before its rows."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)
    scheme: Key
    version: Version
    effective: Day
    source: Citation
    note: Note = ""


def _unique(section: str, values: list[str]) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"[{section}] has '{v}' twice")
        seen.add(v)


# --- reading ---------------------------------------------------------------------------------


def read_table(path: Path) -> RuleTable[Any]:
    """One table file, checked; a `RulesError` names the file, the row and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise RulesError(f"{path.name}: {e}") from None
    try:
        head = Header.model_validate(data)
    except ValidationError as e:
        raise RulesError(f"{path.name}: {_explain(e, data)}") from None
    model = RULES_OF.get(head.scheme)
    if model is None:
        known = ", ".join(sorted(RULES_OF))
        raise RulesError(f"{path.name}: scheme '{head.scheme}' is not one of {known}")
    body = {k: v for k, v in data.items() if k not in Header.model_fields}
    try:
        rules = model.model_validate(body)
    except ValidationError as e:
        raise RulesError(f"{path.name}: {_explain(e, data)}") from None
    return RuleTable(
        scheme=head.scheme,
        version=head.version,
        effective=head.effective,
        source=head.source,
        note=head.note,
        rules=rules,
        path=path,
    )


def _explain(error: ValidationError, data: dict[str, Any]) -> str:
    """Each problem as `[[row]] row 3 (id 'x') key 'basic_yen': why`, at most five."""
    out = []
    for e in error.errors(include_url=False)[:5]:
        where, leaf = _where(list(e["loc"]), data)
        why = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        if leaf and e["type"] not in ("missing", "extra_forbidden") and "input" in e:
            why += f" (got {str(e['input'])[:40]!r})"
        out.append(f"{where or 'table'}: {why}")
    more = error.error_count() - len(out)
    return "; ".join(out) + (f"; and {more} more" if more > 0 else "")


def _where(loc: list[int | str], data: dict[str, Any]) -> tuple[str, bool]:
    """A pydantic location in the file's words; whether it ends at a single value."""
    where: list[str] = []
    node: Any = data
    while loc:
        part = loc.pop(0)
        value = node.get(part) if isinstance(node, dict) and isinstance(part, str) else None
        if isinstance(value, list) and loc and isinstance(loc[0], int):
            i = int(loc.pop(0))
            node = value[i] if i < len(value) else None
            if isinstance(node, dict):
                rid = node.get("id")
                where.append(f"[[{part}]] row {i + 1}" + (f" (id '{rid}')" if rid else ""))
            else:
                where.append(f"key '{part}' item {i + 1}")
        elif isinstance(value, dict):
            node = value
            where.append(f"[{part}]")
        else:
            where.append(f"key '{part}'")
            node = None
    return " ".join(where), node is None or not isinstance(node, dict)
