"""Every row of every rule table, with its boundaries, through the estimator."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.flows.rules import (
    Case,
    DamageGrade,
    DisasterScale,
    Plan,
    Relation,
    RuleBook,
    RulesError,
    Scheme,
    all_rule_rows,
    estimate,
    grade_from_damage_ratio,
    read_tables,
)

BOOK = RuleBook.load(on=date(2026, 1, 1))
G = DamageGrade


# --- damage grade from 損害割合 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "grade"),
    [
        (100, G.ZENKAI),
        (50, G.ZENKAI),
        ("49.99", G.DAIKIBO_HANKAI),
        (40, G.DAIKIBO_HANKAI),
        ("39.9", G.CHUKIBO_HANKAI),
        (30, G.CHUKIBO_HANKAI),
        ("29.999", G.HANKAI),
        (20, G.HANKAI),
        ("19.99", G.JUN_HANKAI),
        (10, G.JUN_HANKAI),
        ("9.99", G.ICHIBU_SONKAI),
        (0, G.ICHIBU_SONKAI),
    ],
)
def test_grade_boundaries_follow_the_published_table(percent: object, grade: DamageGrade) -> None:
    got, ref = grade_from_damage_ratio(Decimal(str(percent)), BOOK)
    assert got is grade
    assert ref.id == f"damage-grade.{grade.value}"
    assert ref.source and ref.effective == date(2020, 7, 3)


@pytest.mark.parametrize("percent", [-0.01, 100.01])
def test_grade_outside_0_to_100_is_refused(percent: float) -> None:
    with pytest.raises(ValueError):
        grade_from_damage_ratio(percent, BOOK)


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("zenkai", G.ZENKAI),
        ("全壊", G.ZENKAI),
        ("大規模半壊", G.DAIKIBO_HANKAI),
        ("daikibo_hankai", G.DAIKIBO_HANKAI),
        ("中規模半壊", G.CHUKIBO_HANKAI),
        ("半壊", G.HANKAI),
        ("準半壊", G.JUN_HANKAI),
        ("一部損壊", G.ICHIBU_SONKAI),
        ("準半壊に至らない（一部損壊）", G.ICHIBU_SONKAI),
        ("ICHIBU-SONKAI", G.ICHIBU_SONKAI),
    ],
)
def test_grade_names_in_romaji_and_japanese(text: str, grade: DamageGrade) -> None:
    assert DamageGrade.parse(text) is grade


def test_unknown_grade_name_is_refused() -> None:
    with pytest.raises(ValueError):
        DamageGrade.parse("ほぼ全壊")


# --- 被災者生活再建支援金 ------------------------------------------------------------------------


def rebuild(grade: DamageGrade | None, household: int = 2, plan: Plan = Plan.NONE, **kw: object):
    return estimate(Case(Scheme.REBUILD_SUPPORT, grade, household, plan, **kw), BOOK)  # type: ignore[arg-type]


# (grade, plan, basic, addition) for households of two or more.
REBUILD_ROWS = [
    (G.ZENKAI, Plan.BUILD, 1_000_000, 2_000_000),
    (G.ZENKAI, Plan.REPAIR, 1_000_000, 1_000_000),
    (G.ZENKAI, Plan.RENT, 1_000_000, 500_000),
    (G.ZENKAI, Plan.NONE, 1_000_000, 0),
    (G.DAIKIBO_HANKAI, Plan.BUILD, 500_000, 2_000_000),
    (G.DAIKIBO_HANKAI, Plan.REPAIR, 500_000, 1_000_000),
    (G.DAIKIBO_HANKAI, Plan.RENT, 500_000, 500_000),
    (G.DAIKIBO_HANKAI, Plan.NONE, 500_000, 0),
    (G.CHUKIBO_HANKAI, Plan.BUILD, 0, 1_000_000),
    (G.CHUKIBO_HANKAI, Plan.REPAIR, 0, 500_000),
    (G.CHUKIBO_HANKAI, Plan.RENT, 0, 250_000),
]


@pytest.mark.parametrize(("grade", "plan", "basic", "addition"), REBUILD_ROWS)
@pytest.mark.parametrize("household", [1, 2, 5])
def test_rebuild_support_rows(
    grade: DamageGrade, plan: Plan, basic: int, addition: int, household: int
) -> None:
    est = rebuild(grade, household, plan)
    factor = (3, 4) if household == 1 else (1, 1)
    expected = (basic + addition) * factor[0] // factor[1]
    assert est.outcome == "likely-eligible"
    assert est.total_yen == expected
    ids = [r.id for r in est.rules]
    assert ids[0] == f"rebuild-support.{grade.value}"
    assert ("rebuild-support.single-person" in ids) is (household == 1)
    assert est.headline == ("rules.result.likely", {"amount": f"{expected:,}"})
    assert all(r.source and r.effective == date(2020, 7, 3) for r in est.rules)
    assert "documents.risai-certificate" in est.documents


@pytest.mark.parametrize("grade", [G.HANKAI, G.DAIKIBO_HANKAI])
def test_demolished_hankai_counts_as_kaitai(grade: DamageGrade) -> None:
    est = rebuild(grade, 2, Plan.BUILD, demolished=True)
    assert est.total_yen == 3_000_000
    assert [r.id for r in est.rules][:2] == ["rebuild-support.kaitai", "rebuild-support.demolished"]
    assert "documents.demolition-proof" in est.documents


def test_demolished_one_person_hankai_is_three_quarters_of_kaitai() -> None:
    est = rebuild(G.HANKAI, 1, Plan.REPAIR, demolished=True)
    assert [(p.label, p.amount_yen) for p in est.parts] == [
        ("part.rebuild-support.basic", 750_000),
        ("part.rebuild-support.addition-repair", 750_000),
    ]


# 被災者生活再建支援法 第2条第2号ロ: 「住宅が半壊し、又は住宅の敷地に被害が生じ、…やむを得ない
# 事由により、当該住宅を解体し、又は解体されるに至った世帯」. 中規模半壊 and 大規模半壊 are
# 半壊 or worse; a damaged site makes any grade count. 解体 is paid as 全壊 (法3条):
# 基礎 100万 + 加算 (建設・購入 200万, 補修 100万, 賃借 50万); 単数世帯 3/4 (法3条).
def test_demolished_chukibo_hankai_counts_as_kaitai_2_people_build_is_300_man() -> None:
    est = rebuild(G.CHUKIBO_HANKAI, 2, Plan.BUILD, demolished=True)
    assert [p.amount_yen for p in est.parts] == [1_000_000, 2_000_000]
    assert est.total_yen == 3_000_000  # not the 中規模半壊 row's 100万
    assert [r.id for r in est.rules][:2] == ["rebuild-support.kaitai", "rebuild-support.demolished"]
    assert "第2条第2号ロ" in est.rules[1].source
    assert "documents.demolition-proof" in est.documents


def test_demolished_chukibo_hankai_single_household_is_three_quarters() -> None:
    est = rebuild(G.CHUKIBO_HANKAI, 1, Plan.BUILD, demolished=True)
    assert [p.amount_yen for p in est.parts] == [750_000, 1_500_000]
    assert est.total_yen == 2_250_000
    assert "rebuild-support.single-person" in [r.id for r in est.rules]


def test_chukibo_hankai_not_demolished_keeps_its_own_row() -> None:
    est = rebuild(G.CHUKIBO_HANKAI, 2, Plan.BUILD)
    assert est.total_yen == 1_000_000  # 法3条: 中規模半壊 has no 基礎, 加算 100万 to build


@pytest.mark.parametrize(
    ("grade", "household", "plan", "parts"),
    [
        (G.JUN_HANKAI, 2, Plan.BUILD, [1_000_000, 2_000_000]),
        (G.ICHIBU_SONKAI, 2, Plan.REPAIR, [1_000_000, 1_000_000]),
        (G.ICHIBU_SONKAI, 1, Plan.RENT, [750_000, 375_000]),
        (G.JUN_HANKAI, 1, Plan.BUILD, [750_000, 1_500_000]),
    ],
)
def test_demolished_for_site_damage_counts_as_kaitai_whatever_the_grade(
    grade: DamageGrade, household: int, plan: Plan, parts: list[int]
) -> None:
    est = rebuild(grade, household, plan, demolished=True, site_damage=True)
    assert est.outcome == "likely-eligible"
    assert [p.amount_yen for p in est.parts] == parts
    ids = [r.id for r in est.rules]
    assert ids[:2] == ["rebuild-support.kaitai", "rebuild-support.demolished-site"]
    assert "敷地" in est.rules[1].source and "第2条第2号ロ" in est.rules[1].source


def test_site_damage_without_demolition_is_not_kaitai() -> None:
    est = rebuild(G.JUN_HANKAI, 2, Plan.BUILD, site_damage=True)
    assert est.outcome == "staff-review"
    assert "rebuild-support.kaitai" not in [r.id for r in est.rules]


def test_jun_hankai_demolished_for_other_reasons_is_not_kaitai() -> None:
    est = rebuild(G.JUN_HANKAI, 2, Plan.BUILD, demolished=True)
    assert est.outcome == "staff-review"
    assert est.total_yen == 0


def test_long_term_evacuation_counts_like_zenkai() -> None:
    est = rebuild(G.HANKAI, 2, Plan.RENT, long_term_evacuation=True)
    assert est.total_yen == 1_500_000
    assert est.rules[0].id == "rebuild-support.chouki-hinan"


@pytest.mark.parametrize(
    ("grade", "plan", "household", "parts"),
    [
        (G.ZENKAI, Plan.BUILD, 2, [1_000_000, 500_000, 1_500_000]),
        (G.ZENKAI, Plan.REPAIR, 2, [1_000_000, 500_000, 500_000]),
        (G.DAIKIBO_HANKAI, Plan.BUILD, 1, [375_000, 375_000, 1_125_000]),
        (G.CHUKIBO_HANKAI, Plan.BUILD, 2, [250_000, 750_000]),
        (G.CHUKIBO_HANKAI, Plan.REPAIR, 1, [187_500, 187_500]),
    ],
)
def test_rent_then_build_totals_the_build_or_repair_amount(
    grade: DamageGrade, plan: Plan, household: int, parts: list[int]
) -> None:
    est = rebuild(grade, household, plan, rented_first=True)
    assert [p.amount_yen for p in est.parts] == parts
    assert "rebuild-support.rent-then" in [r.id for r in est.rules]


@pytest.mark.parametrize("grade", [G.HANKAI, G.JUN_HANKAI, G.ICHIBU_SONKAI])
def test_grades_without_support_go_to_staff_with_a_reason(grade: DamageGrade) -> None:
    est = rebuild(grade, 3, Plan.BUILD)
    assert est.outcome == "staff-review"
    assert est.reasons == ("rules.reason.rebuild-support.grade",)
    assert est.headline == ("rules.result.staff", {})
    assert est.total_yen == 0


def test_unknown_grade_goes_to_staff() -> None:
    assert rebuild(None).reasons == ("rules.reason.grade-unknown",)


def test_chukibo_without_a_plan_asks_staff_not_zero_yen() -> None:
    est = rebuild(G.CHUKIBO_HANKAI, 2, Plan.NONE)
    assert est.outcome == "staff-review"
    assert "rules.reason.rebuild-support.plan-needed" in est.reasons


def test_support_act_not_applied_is_a_staff_review_not_a_denial() -> None:
    est = rebuild(G.ZENKAI, 2, Plan.BUILD, scale=DisasterScale(support_act_applied=False))
    assert est.outcome == "staff-review"
    assert est.reasons == ("rules.reason.rebuild-support.act-not-applied",)
    unknown = rebuild(G.ZENKAI, 2, Plan.BUILD)
    assert "rules.note.rebuild-support.act-must-apply" in unknown.notes
    applied = rebuild(G.ZENKAI, 2, Plan.BUILD, scale=DisasterScale(support_act_applied=True))
    assert "rules.note.rebuild-support.act-must-apply" not in applied.notes


@pytest.mark.parametrize(
    ("day", "basic", "addition"),
    [
        (date(2024, 1, 1), date(2025, 2, 1), date(2027, 2, 1)),
        (date(2024, 1, 31), date(2025, 2, 28), date(2027, 2, 28)),
    ],
)
def test_deadlines_are_13_and_37_months(day: date, basic: date, addition: date) -> None:
    est = rebuild(G.ZENKAI, 2, Plan.BUILD, disaster_date=day)
    assert est.deadlines == (("rules.deadline.basic", basic), ("rules.deadline.addition", addition))


# --- 災害弔慰金 / 災害障害見舞金 -----------------------------------------------------------------

KNOWN_SCALE = DisasterScale(dwellings_destroyed_in_municipality=5)


@pytest.mark.parametrize(
    ("scheme", "main_earner", "amount", "row"),
    [
        (Scheme.CONDOLENCE, True, 5_000_000, "condolence.main-earner"),
        (Scheme.CONDOLENCE, False, 2_500_000, "condolence.other"),
        (Scheme.DISABILITY_GRANT, True, 2_500_000, "disability-grant.main-earner"),
        (Scheme.DISABILITY_GRANT, False, 1_250_000, "disability-grant.other"),
    ],
)
def test_condolence_and_disability_amounts(
    scheme: Scheme, main_earner: bool, amount: int, row: str
) -> None:
    case = Case(scheme, main_earner=main_earner, relation=Relation.CHILD, scale=KNOWN_SCALE)
    est = estimate(case, BOOK)
    assert est.outcome == "likely-eligible"
    assert est.total_yen == amount
    assert est.rules[0].id == row


@pytest.mark.parametrize(
    "relation",
    [Relation.SPOUSE, Relation.CHILD, Relation.PARENT, Relation.GRANDCHILD, Relation.GRANDPARENT],
)
def test_bereaved_relatives(relation: Relation) -> None:
    est = estimate(Case(Scheme.CONDOLENCE, relation=relation, scale=KNOWN_SCALE), BOOK)
    assert est.outcome == "likely-eligible"
    assert "condolence.bereaved" in [r.id for r in est.rules]


@pytest.mark.parametrize(
    ("closer", "lived_with", "likely"),
    [(False, True, True), (True, True, False), (False, False, False), (True, False, False)],
)
def test_siblings_only_without_closer_relatives_and_when_living_together(
    closer: bool, lived_with: bool, likely: bool
) -> None:
    case = Case(
        Scheme.CONDOLENCE,
        relation=Relation.SIBLING,
        closer_relatives=closer,
        sibling_lived_with=lived_with,
        scale=KNOWN_SCALE,
    )
    est = estimate(case, BOOK)
    assert (est.outcome == "likely-eligible") is likely
    assert ("condolence.siblings" in [r.id for r in est.rules]) is likely
    if not likely:
        assert est.reasons == ("rules.reason.condolence.sibling",)


def test_other_relation_goes_to_staff() -> None:
    est = estimate(Case(Scheme.CONDOLENCE, relation=Relation.OTHER, scale=KNOWN_SCALE), BOOK)
    assert est.reasons == ("rules.reason.condolence.relation",)
    est = estimate(Case(Scheme.CONDOLENCE, scale=KNOWN_SCALE), BOOK)
    assert est.reasons == ("rules.reason.condolence.relation-unknown",)


def test_disaster_related_death_is_named() -> None:
    case = Case(Scheme.CONDOLENCE, relation=Relation.SPOUSE, disaster_related_death=True)
    assert "condolence.disaster-related-death" in [r.id for r in estimate(case, BOOK).rules]


@pytest.mark.parametrize(
    ("scale", "row"),
    [
        (DisasterScale(dwellings_destroyed_in_municipality=5), "condolence.applies.municipality"),
        (
            DisasterScale(municipalities_with_5_destroyed_in_prefecture=3),
            "condolence.applies.prefecture",
        ),
        (DisasterScale(relief_act_applied_in_prefecture=True), "condolence.applies.relief-act"),
        (DisasterScale(prefectures_with_relief_act=2), "condolence.applies.prefectures"),
    ],
)
@pytest.mark.parametrize("scheme", [Scheme.CONDOLENCE, Scheme.DISABILITY_GRANT])
def test_law_applies_by_each_condition(scale: DisasterScale, row: str, scheme: Scheme) -> None:
    est = estimate(Case(scheme, relation=Relation.SPOUSE, scale=scale), BOOK)
    assert est.outcome == "likely-eligible"
    assert row in [r.id for r in est.rules]
    assert "rules.note.condolence.law-must-apply" not in est.notes


NOT_APPLIED = DisasterScale(
    dwellings_destroyed_in_municipality=4,
    municipalities_with_5_destroyed_in_prefecture=2,
    relief_act_applied_in_prefecture=False,
    prefectures_with_relief_act=1,
)


@pytest.mark.parametrize("scheme", [Scheme.CONDOLENCE, Scheme.DISABILITY_GRANT])
def test_law_just_below_every_threshold_goes_to_staff(scheme: Scheme) -> None:
    est = estimate(Case(scheme, relation=Relation.SPOUSE, scale=NOT_APPLIED), BOOK)
    assert est.outcome == "staff-review"
    assert est.reasons == ("rules.reason.condolence.law-not-applied",)


def test_law_unknown_is_likely_with_a_note() -> None:
    est = estimate(Case(Scheme.CONDOLENCE, relation=Relation.SPOUSE), BOOK)
    assert est.outcome == "likely-eligible"
    assert "rules.note.condolence.law-must-apply" in est.notes


def test_disability_grant_explains_the_severity() -> None:
    est = estimate(Case(Scheme.DISABILITY_GRANT, scale=KNOWN_SCALE), BOOK)
    assert "disability-grant.severity" in [r.id for r in est.rules]


# --- 災害援護資金 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("injured", "kw", "limit", "row"),
    [
        (True, {}, 1_500_000, "relief-loan.injured.injury-only"),
        (True, {"goods_lost": True}, 2_500_000, "relief-loan.injured.goods"),
        (True, {"grade": G.HANKAI}, 2_700_000, "relief-loan.injured.hankai"),
        (True, {"grade": G.DAIKIBO_HANKAI}, 2_700_000, "relief-loan.injured.hankai"),
        (True, {"grade": G.CHUKIBO_HANKAI}, 2_700_000, "relief-loan.injured.hankai"),
        (True, {"grade": G.ZENKAI}, 3_500_000, "relief-loan.injured.zenkai"),
        (True, {"dwelling_lost": True}, 3_500_000, "relief-loan.injured.zenkai"),
        (False, {"goods_lost": True}, 1_500_000, "relief-loan.goods"),
        (False, {"grade": G.HANKAI}, 1_700_000, "relief-loan.hankai"),
        (False, {"grade": G.DAIKIBO_HANKAI, "goods_lost": True}, 1_700_000, "relief-loan.hankai"),
        (False, {"grade": G.ZENKAI}, 2_500_000, "relief-loan.zenkai"),
        (False, {"dwelling_lost": True}, 3_500_000, "relief-loan.dwelling-lost"),
    ],
)
def test_relief_loan_limits(injured: bool, kw: dict, limit: int, row: str) -> None:
    case = Case(Scheme.RELIEF_LOAN, household=2, injured=injured, income_yen=0, **kw)
    est = estimate(case, BOOK)
    assert est.kind == "loan-limit"
    assert est.total_yen == limit
    assert est.rules[0].id == row
    assert est.headline == ("rules.result.loan", {"amount": f"{limit:,}"})
    assert ("documents.medical-certificate" in est.documents) is injured


@pytest.mark.parametrize("grade", [G.JUN_HANKAI, G.ICHIBU_SONKAI, None])
def test_relief_loan_without_injury_or_damage_goes_to_staff(grade: DamageGrade | None) -> None:
    est = estimate(Case(Scheme.RELIEF_LOAN, grade=grade, household=2), BOOK)
    assert est.outcome == "staff-review"
    assert "rules.reason.relief-loan.no-damage" in est.reasons


@pytest.mark.parametrize(
    ("household", "dwelling_lost", "limit", "row"),
    [
        (1, False, 2_200_000, "relief-loan.income.1"),
        (2, False, 4_300_000, "relief-loan.income.2"),
        (3, False, 6_200_000, "relief-loan.income.3"),
        (4, False, 7_300_000, "relief-loan.income.4"),
        (5, False, 7_600_000, "relief-loan.income.5-plus"),
        (6, False, 7_900_000, "relief-loan.income.5-plus"),
        (9, False, 8_800_000, "relief-loan.income.5-plus"),
        (1, True, 12_700_000, "relief-loan.income.dwelling-lost"),
        (7, True, 12_700_000, "relief-loan.income.dwelling-lost"),
    ],
)
@pytest.mark.parametrize("boundary", ["inclusive", "exclusive"])
def test_relief_loan_income_limits_and_the_boundary_setting(
    household: int, dwelling_lost: bool, limit: int, row: str, boundary: str
) -> None:
    def run(income: int):
        case = Case(
            Scheme.RELIEF_LOAN,
            grade=G.ZENKAI,
            household=household,
            dwelling_lost=dwelling_lost,
            income_yen=income,
            scale=DisasterScale(relief_act_applied_in_prefecture=True),
        )
        return estimate(case, BOOK, income_boundary=boundary)  # type: ignore[arg-type]

    below, at, above = run(limit - 1), run(limit), run(limit + 1)
    assert below.outcome == "likely-eligible"
    assert row in [r.id for r in below.rules]
    assert at.outcome == ("likely-eligible" if boundary == "inclusive" else "staff-review")
    assert above.outcome == "staff-review"
    assert above.reasons == (f"rules.reason.relief-loan.income-{boundary}",)
    assert above.params["income_limit"] == f"{limit:,}"
    assert above.total_yen == below.total_yen  # the limit is still shown to staff


@pytest.mark.parametrize(
    ("household", "limit"),
    [(1, 2_200_000), (2, 4_300_000), (3, 6_200_000), (4, 7_300_000), (5, 7_600_000)],
)
def test_relief_loan_income_exactly_at_the_limit_is_not_eligible_by_default(
    household: int, limit: int
) -> None:
    # 災害弔慰金法10条1項: 所得の合計額が政令で定める額「に満たない」 — strictly below.
    def run(income: int):
        case = Case(Scheme.RELIEF_LOAN, grade=G.ZENKAI, household=household, income_yen=income,
                    scale=DisasterScale(relief_act_applied_in_prefecture=True))  # fmt: skip
        return estimate(case, BOOK)

    at = run(limit)
    assert at.outcome == "staff-review"
    assert at.reasons == ("rules.reason.relief-loan.income-exclusive",)
    assert run(limit - 1).outcome == "likely-eligible"


def test_the_shipped_setting_defaults_to_below_the_limit() -> None:
    from kiosk.config import RulesSettings

    assert RulesSettings().loan_income_limit == "exclusive"


def test_no_text_says_exactly_at_the_limit_qualifies() -> None:
    from kiosk.flows.procedures.catalog import LANGUAGES, CatalogText

    for lang in LANGUAGES:
        for mid in ("rules.reason.relief-loan.income-inclusive",
                    "rules.reason.relief-loan.income-exclusive"):  # fmt: skip
            text = CatalogText(lang)(mid, income_limit="4,300,000")
            assert "ちょうど" not in text and "exactly the limit" not in text
            assert "恰好" not in text and "같으면 대상" not in text
            assert "bằng đúng" not in text and "exatamente" not in text


@pytest.mark.parametrize(
    ("injured", "grade", "limit", "special"),
    [
        (False, G.HANKAI, 1_700_000, "2,500,000"),  # 170万→250万
        (False, G.ZENKAI, 2_500_000, "3,500,000"),  # 250万→350万
        (True, G.HANKAI, 2_700_000, "3,500,000"),  # 270万→350万
    ],
)
def test_relief_loan_names_the_special_case_limit(
    injured: bool, grade: DamageGrade, limit: int, special: str
) -> None:
    # 施行令7条: where the rest of the home must be pulled down to rebuild (特別の事情), the limit
    # rises; staff decide, so the estimate keeps the ordinary limit and names the higher one.
    est = estimate(Case(Scheme.RELIEF_LOAN, grade=grade, household=2, injured=injured), BOOK)
    assert est.total_yen == limit
    assert "rules.note.relief-loan.special" in est.notes
    assert est.params["special_limit"] == special


def test_relief_loan_without_a_special_case_has_no_special_note() -> None:
    est = estimate(Case(Scheme.RELIEF_LOAN, household=2, goods_lost=True), BOOK)
    assert est.total_yen == 1_500_000
    assert "rules.note.relief-loan.special" not in est.notes
    assert "special_limit" not in est.params


def test_relief_loan_unknown_income_and_act_are_notes() -> None:
    est = estimate(Case(Scheme.RELIEF_LOAN, grade=G.ZENKAI, household=3), BOOK)
    assert est.outcome == "likely-eligible"
    assert "rules.note.relief-loan.income-exclusive" in est.notes  # 未満 by default
    assert "rules.note.relief-loan.act-must-apply" in est.notes
    no_act = Case(
        Scheme.RELIEF_LOAN,
        grade=G.ZENKAI,
        scale=DisasterScale(relief_act_applied_in_prefecture=False),
    )
    assert "rules.reason.relief-loan.act-not-applied" in estimate(no_act, BOOK).reasons


# --- the tables themselves ---------------------------------------------------------------------


def test_every_table_has_source_version_and_effective_date() -> None:
    tables = read_tables()
    assert {t.scheme for t in tables} == {
        "damage-grade",
        "rebuild-support",
        "condolence",
        "relief-loan",
    }
    for t in tables:
        assert t.source.strip() and t.version.strip()
        assert t.effective <= date(2026, 1, 1)


def test_rule_ids_are_unique_and_each_has_an_explanation() -> None:
    rows = all_rule_rows(BOOK)
    ids = [str(r["id"]) for r in rows]
    assert len(ids) == len(set(ids)) == 42  # 41 + 解体 for 敷地被害 (法2条2号ロ)
    assert all(str(r["explain"]).startswith("rules.") for r in rows)


def test_a_disaster_before_every_table_is_a_staff_review() -> None:
    old = RuleBook.load(on=date(2011, 3, 11))
    est = estimate(Case(Scheme.REBUILD_SUPPORT, G.ZENKAI, 2, Plan.BUILD), old)
    assert est.outcome == "staff-review"
    assert est.reasons == ("rules.reason.no-table-for-date",)
    with pytest.raises(RulesError):
        grade_from_damage_ratio(55, old)


def test_newest_version_in_force_is_chosen(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[3] / "assets" / "rules" / "rebuild-support.toml"
    text = src.read_text(encoding="utf-8")
    (tmp_path / "old.toml").write_text(text, encoding="utf-8")
    newer = text.replace('version = "2020.1"', 'version = "2030.1"').replace(
        'effective = "2020-07-03"', 'effective = "2030-04-01"'
    )
    newer = newer.replace("basic_yen = 1_000_000", "basic_yen = 1_200_000")
    (tmp_path / "new.toml").write_text(newer, encoding="utf-8")
    case = Case(Scheme.REBUILD_SUPPORT, G.ZENKAI, 2, Plan.NONE)
    assert estimate(case, RuleBook.load(tmp_path, on=date(2030, 3, 31))).total_yen == 1_000_000
    later = estimate(case, RuleBook.load(tmp_path, on=date(2030, 4, 1)))
    assert later.total_yen == 1_200_000
    assert later.rules[0].version == "2030.1"


def test_a_table_without_source_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text('scheme = "x"\nversion = "1"\neffective = 2020-01-01\n')
    with pytest.raises(RulesError, match="source"):
        read_tables(tmp_path)


def test_no_basic_deadline_when_there_is_no_basic_payment() -> None:
    est = rebuild(G.CHUKIBO_HANKAI, 2, Plan.RENT, disaster_date=date(2024, 1, 1))
    assert est.deadlines == (("rules.deadline.addition", date(2027, 2, 1)),)
