"""Support check: the questions that matter, one estimate per scheme, a payload without names."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from kiosk.flows.procedures import support_check as sc
from kiosk.flows.rules import DamageGrade, Plan, Relation, RuleBook, Scheme
from tests.helpers.procedures import DISASTERS, NOW

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "schema" / "support-check.v1.json").read_text()
)
BOOK = RuleBook.load(on=date(2026, 9, 18))
TYPHOON = DISASTERS[0]


def asked(a: sc.SupportAnswers) -> list[str]:
    return [q.id for q in sc.questions(a)]


def test_first_questions_are_few_and_plain() -> None:
    a = sc.SupportAnswers()
    first = asked(a)
    assert first[0] == "has_certificate"
    assert "grade" not in first  # only once they say they have a certificate
    assert "income_yen" not in first
    assert "relation" not in first
    for q in sc.questions(a):
        assert q.message_id.startswith("procedures.question.")
        labels = [c.message_id for c in q.choices]
        assert all(m.startswith(("procedures.", "grade.", "services.answer.")) for m in labels)


def test_follow_up_questions_appear_only_when_they_matter() -> None:
    a = sc.SupportAnswers(has_certificate=True, grade=DamageGrade.HANKAI, plan=Plan.BUILD)
    shown = asked(a)
    assert {"grade", "demolished", "rented_first"} <= set(shown)
    a.death = True
    a.relation = Relation.SIBLING
    assert {"death_main_earner", "relation", "closer_relatives", "sibling_lived_with"} <= set(
        asked(a)
    )
    a.closer_relatives = True
    assert "sibling_lived_with" not in asked(a)
    a.wants_loan_check = True
    assert "income_yen" in asked(a)


@pytest.mark.parametrize("grade", [DamageGrade.HANKAI, DamageGrade.CHUKIBO_HANKAI,
                                   DamageGrade.DAIKIBO_HANKAI])  # fmt: skip
def test_demolition_is_asked_for_every_half_grade(grade: DamageGrade) -> None:
    # 法2条2号ロ 「住宅が半壊し…解体」: 中規模半壊 included; the site question is not needed.
    a = sc.SupportAnswers(has_certificate=True, grade=grade, demolished=True)
    assert "demolished" in asked(a) and "site_damage" not in asked(a)


@pytest.mark.parametrize("grade", [DamageGrade.JUN_HANKAI, DamageGrade.ICHIBU_SONKAI])
def test_below_hankai_a_demolition_asks_whether_the_site_was_damaged(grade: DamageGrade) -> None:
    a = sc.SupportAnswers(has_certificate=True, grade=grade)
    assert "demolished" in asked(a) and "site_damage" not in asked(a)
    a.demolished = True
    assert "site_damage" in asked(a)


def test_zenkai_and_unknown_grades_are_not_asked_about_demolition() -> None:
    for a in (sc.SupportAnswers(has_certificate=True, grade=DamageGrade.ZENKAI),
              sc.SupportAnswers(has_certificate=False)):  # fmt: skip
        assert "demolished" not in asked(a)


def test_chukibo_hankai_demolished_two_people_building_is_300_man() -> None:
    answers = sc.support_answers(
        {"has_certificate": "yes", "grade": "chukibo-hankai", "household": "2",
         "demolished": "yes", "plan": "build"}
    )  # fmt: skip
    (est, *_) = sc.results(answers, BOOK, disaster=TYPHOON).estimates
    assert est.total_yen == 3_000_000  # 100万 + 200万, not the 中規模半壊 row's 100万
    assert est.rules[0].id == "rebuild-support.kaitai"


def test_ichibu_sonkai_demolished_for_a_landslide_single_household() -> None:
    answers = sc.support_answers(
        {"has_certificate": "yes", "grade": "ichibu-sonkai", "household": "1",
         "demolished": "yes", "site_damage": "yes", "plan": "build"}
    )  # fmt: skip
    (est, *_) = sc.results(answers, BOOK, disaster=TYPHOON).estimates
    assert est.total_yen == 2_250_000  # (100万 + 200万) × 3/4 for a 単数世帯 (法3条)
    assert [r.id for r in est.rules][:2] == ["rebuild-support.kaitai",
                                             "rebuild-support.demolished-site"]  # fmt: skip


# 被災者生活再建支援法3条: 単数世帯 is 「自然災害の発生時において」 one person, so the question
# and its help ask about the day of the disaster, never today's household or the 住民票.
DISASTER_WORD = {"ja": "災害", "ja-easy": "さいがい", "en": "disaster", "zh": "灾害",
                 "ko": "재해", "vi": "thiên tai", "pt": "desastre"}  # fmt: skip


@pytest.mark.parametrize("language", sorted(DISASTER_WORD))
def test_household_is_asked_as_it_was_when_the_disaster_happened(language: str) -> None:
    from kiosk.flows.procedures.catalog import CatalogText

    q = next(q for q in sc.questions(sc.SupportAnswers()) if q.id == "household")
    assert q.message_id == "procedures.question.household-at-disaster"
    text = CatalogText(language)
    for mid in (q.message_id, q.help_id, "procedures.error.household-required"):
        said = text(mid)
        assert said != mid and DISASTER_WORD[language] in said.lower(), (mid, said)
        assert "住民票" not in said and "じゅうみんひょう" not in said
    assert "暮らしている人は" not in text(q.message_id)


def test_a_household_of_two_on_the_day_is_not_cut_to_three_quarters() -> None:
    # Two at the disaster, one today (a member died in it): the answer is 2, the full amount.
    a = sc.support_answers({"has_certificate": "yes", "grade": "zenkai", "household": "2",
                            "plan": "build"})  # fmt: skip
    (est, *_) = sc.results(a, BOOK, disaster=TYPHOON).estimates
    assert est.total_yen == 3_000_000
    assert "rebuild-support.single-person" not in [r.id for r in est.rules]


def test_grade_question_offers_every_grade_and_dont_know() -> None:
    q = next(q for q in sc.questions(sc.SupportAnswers(has_certificate=True)) if q.id == "grade")
    assert [c.value for c in q.choices] == [g.value for g in DamageGrade] + ["unknown"]


def test_a_zenkai_household_with_a_death_and_a_loan_check() -> None:
    a = sc.SupportAnswers(
        has_certificate=True,
        grade=DamageGrade.ZENKAI,
        household=3,
        plan=Plan.BUILD,
        death=True,
        death_main_earner=True,
        relation=Relation.SPOUSE,
        wants_loan_check=True,
        income_yen=5_000_000,
    )
    result = sc.results(a, BOOK, disaster=TYPHOON)
    by = {e.scheme: e for e in result.estimates}
    assert list(by) == [Scheme.REBUILD_SUPPORT, Scheme.CONDOLENCE, Scheme.RELIEF_LOAN]
    assert by[Scheme.REBUILD_SUPPORT].total_yen == 3_000_000
    assert by[Scheme.REBUILD_SUPPORT].outcome == "likely-eligible"
    assert by[Scheme.CONDOLENCE].total_yen == 5_000_000
    assert by[Scheme.CONDOLENCE].outcome == "likely-eligible"  # 災害救助法 applied (site list)
    assert by[Scheme.RELIEF_LOAN].total_yen == 2_500_000
    assert by[Scheme.RELIEF_LOAN].outcome == "likely-eligible"
    assert "documents.risai-certificate" in result.documents
    assert len(result.documents) == len(set(result.documents))


def test_grade_from_damage_ratio_is_explained() -> None:
    a = sc.SupportAnswers(damage_ratio=Decimal("45.5"), household=2)
    result = sc.results(a, BOOK)
    assert result.grade is DamageGrade.DAIKIBO_HANKAI
    assert result.grade_rule is not None and result.grade_rule.id == "damage-grade.daikibo-hankai"


def test_loan_is_not_estimated_unless_asked() -> None:
    a = sc.SupportAnswers(grade=DamageGrade.ZENKAI, household=2, injured=True)
    assert [e.scheme for e in sc.results(a, BOOK).estimates] == [Scheme.REBUILD_SUPPORT]


def test_nothing_known_is_a_staff_review_never_a_denial() -> None:
    (est,) = sc.results(sc.SupportAnswers(), BOOK).estimates
    assert est.outcome == "staff-review"
    assert est.headline == ("rules.result.staff", {})
    assert est.reasons == ("rules.reason.grade-unknown",)


def test_disability_grant_is_estimated_when_asked() -> None:
    a = sc.SupportAnswers(grade=DamageGrade.HANKAI, disability=True, disability_main_earner=False)
    est = sc.results(a, BOOK, disaster=TYPHOON).estimates[-1]
    assert est.scheme is Scheme.DISABILITY_GRANT and est.total_yen == 1_250_000


def test_payload_has_no_personal_fields_and_matches_the_schema() -> None:
    a = sc.SupportAnswers(
        has_certificate=True,
        grade=DamageGrade.DAIKIBO_HANKAI,
        household=1,
        plan=Plan.REPAIR,
        wants_loan_check=True,
        income_yen=2_000_000,
    )
    result = sc.results(a, BOOK, disaster=TYPHOON, income_boundary="exclusive")
    body = sc.payload(a, result, NOW, kiosk_id="k", language="ko", disaster=TYPHOON)
    jsonschema.validate(body, SCHEMA)
    text = json.dumps(body, ensure_ascii=False)
    assert "2000000" not in text  # the income itself is not sent
    assert body["answers"]["income_given"] is True
    assert body["estimates"][0]["total_yen"] == 1_125_000


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, ["procedures.error.household-required"]),
        (0, ["procedures.error.household-range"]),
        (31, ["procedures.error.household-range"]),
        (1, []),
        (30, []),
    ],
)
def test_household_size_check(value: int | None, problem: list[str]) -> None:
    assert sc.check_household(value) == problem
