"""The procedures one question at a time, as the session's ProceduresPort asks them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from kiosk.errors import KnownError
from kiosk.flows.ports import CardHolder, Question
from kiosk.flows.procedures.common import PhotoKind, PhotoSet
from kiosk.flows.procedures.steps import ProcedureSteps
from kiosk.flows.rules import RuleBook
from tests.helpers.procedures import DISASTERS, NOW, TODAY, Camera

SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "schema"
HOLDER = CardHolder("山田　花子", date(1940, 4, 1), "東京都千代田区霞が関１－２－３", "2")
STEPS = ProcedureSteps(DISASTERS, lambda on: RuleBook.load(on=on), kiosk_id="kiosk-01")


def walk(
    procedure: str, script: dict[str, str], photos: bool = False
) -> tuple[list[Question], dict[str, str]]:
    """Answer each question from `script` until the flow ends; returns what was asked."""
    answers: dict[str, str] = {}
    asked: list[Question] = []
    while (q := STEPS.next_question(procedure, HOLDER, answers, today=TODAY,
                                    photos_supported=photos)) is not None:  # fmt: skip
        assert q.id in script, f"unexpected question {q.id}"
        if q.kind == "choice":
            assert script[q.id] in {c.value for c in q.choices}, q.id
        else:
            assert script[q.id].isdigit() and len(script[q.id]) <= q.max_digits
        asked.append(q)
        answers[q.id] = script[q.id]
    return asked, answers


def validate(sub) -> dict:  # type: ignore[no-untyped-def]
    body = dict(sub.payload)
    jsonschema.validate(body, json.loads((SCHEMAS / f"{sub.kind}.v1.json").read_text()))
    return body


def test_risai_site_survey_in_seven_taps() -> None:
    script = {"disaster": "typhoon", "same_address": "yes", "dwelling": "yes", "damage": "roof",
              "flooding": "none", "light": "no", "phone": "09012345678"}  # fmt: skip
    asked, answers = walk("risai", script)
    assert [q.id for q in asked] == list(script)
    assert asked[0].choices[0].message_id == "令和8年台風第15号"  # the city's own name
    assert [c.value for c in asked[0].choices] == ["typhoon"]  # active, not future, not closed
    assert all(q.id not in ("name", "birth_date", "address") for q in asked)  # never re-asked
    sub = STEPS.submission("risai", HOLDER, answers, identity="face", language="ja", now=NOW,
                           idempotency_key="steps-test-0001")  # fmt: skip
    body = validate(sub)
    assert body["applicant"]["name"] == "山田　花子" and body["applicant"]["identity"] == "card"
    assert body["survey"]["method"] == "site"
    assert body["damage"]["parts"] == ["roof"]


def test_risai_heavy_damage_never_offers_the_light_question() -> None:
    script = {"disaster": "typhoon", "same_address": "yes", "dwelling": "yes",
              "damage": "collapsed", "flooding": "above-floor", "flood_depth_cm": "120",
              "phone": "0312345678"}  # fmt: skip
    asked, answers = walk("risai", script)
    assert "light" not in [q.id for q in asked]
    body = validate(STEPS.submission("risai", HOLDER, answers, identity="pin", language="en",
                                     now=NOW, idempotency_key="steps-test-0002"))  # fmt: skip
    assert body["damage"]["flood_depth_cm"] == 120


def test_self_assessment_only_with_a_camera_page_and_then_needs_the_photos() -> None:
    base = {"disaster": "typhoon", "same_address": "yes", "dwelling": "yes",
            "damage": "exterior-wall", "flooding": "none", "light": "yes",
            "phone": "0312345678"}  # fmt: skip
    asked, _ = walk("risai", base)
    assert "survey" not in [q.id for q in asked]
    script = {**base, "survey": "self", "self_consent": "yes"}
    asked, answers = walk("risai", script, photos=True)
    assert [q.id for q in asked][-3:] == ["survey", "self_consent", "phone"]
    with pytest.raises(KnownError) as e:
        STEPS.submission("risai", HOLDER, answers, identity="face", language="ja", now=NOW,
                         idempotency_key="steps-test-0003")  # fmt: skip
    assert e.value.message_id == "procedures.error.photo-missing"
    photos = PhotoSet()
    cam = Camera()
    for kind in (PhotoKind.FRONT, PhotoKind.BACK, PhotoKind.LEFT, PhotoKind.RIGHT,
                 PhotoKind.CLOSEUP):  # fmt: skip
        photos.take(cam, kind, NOW)
    sub = STEPS.submission("risai", HOLDER, answers, identity="face", language="ja", now=NOW,
                           idempotency_key="steps-test-0004", photos=photos)  # fmt: skip
    assert validate(sub)["survey"]["consented_grade"] == "ichibu-sonkai"
    assert len(sub.attachments) == 5


def test_not_a_dwelling_ends_the_flow_and_points_to_higai() -> None:
    asked, answers = walk("risai", {"disaster": "typhoon", "same_address": "yes", "dwelling": "no"})
    assert [q.id for q in asked] == ["disaster", "same_address", "dwelling"]
    with pytest.raises(KnownError) as e:
        STEPS.submission("risai", HOLDER, answers, identity="face", language="ja", now=NOW,
                         idempotency_key="steps-test-0005")  # fmt: skip
    assert e.value.message_id == "procedures.error.not-dwelling-use-higai"


def test_other_address_is_flagged_for_the_counter() -> None:
    script = {"disaster": "typhoon", "same_address": "no", "dwelling": "yes", "damage": "roof",
              "flooding": "none", "light": "no", "phone": "0312345678"}  # fmt: skip
    _, answers = walk("risai", script)
    body = validate(STEPS.submission("risai", HOLDER, answers, identity="staff", language="ja",
                                     now=NOW, idempotency_key="steps-test-0006",
                                     staff_id="clerk1"))  # fmt: skip
    assert body["property"]["address_to_confirm"] is True
    assert body["applicant"]["identity"] == "staff" and body["applicant"]["staff_id"] == "clerk1"


def test_a_wrong_phone_number_stops_the_submission_with_its_message() -> None:
    script = {"disaster": "typhoon", "same_address": "yes", "dwelling": "yes", "damage": "roof",
              "flooding": "none", "light": "no", "phone": "0312"}  # fmt: skip
    _, answers = walk("risai", script)
    with pytest.raises(KnownError) as e:
        STEPS.submission("risai", HOLDER, answers, identity="face", language="ja", now=NOW,
                         idempotency_key="steps-test-0007")  # fmt: skip
    assert e.value.message_id == "procedures.error.phone-digits"
    assert e.value.params == {"count": 4}


def test_higai_asks_for_the_item_and_waits_for_a_photo() -> None:
    script = {"disaster": "typhoon", "same_address": "yes", "item": "vehicle",
              "item_damage": "flooded", "phone": "0312345678"}  # fmt: skip
    _, answers = walk("higai", script)
    with pytest.raises(KnownError) as e:
        STEPS.submission("higai", HOLDER, answers, identity="face", language="ja", now=NOW,
                         idempotency_key="steps-test-0008")  # fmt: skip
    assert e.value.message_id == "procedures.error.item-photo-missing"
    photos = PhotoSet()
    photos.take(Camera(), PhotoKind.ITEM, NOW, item=0)
    sub = STEPS.submission("higai", HOLDER, answers, identity="face", language="ja", now=NOW,
                           idempotency_key="steps-test-0009", photos=photos)  # fmt: skip
    assert validate(sub)["items"][0]["kind"] == "vehicle"


def test_support_check_questions_and_submission() -> None:
    script = {"has_certificate": "yes", "grade": "zenkai", "household": "3",
              "long_term_evacuation": "no", "plan": "build", "rented_first": "no",
              "death": "no", "disability": "no", "injured": "no", "goods_lost": "no",
              "dwelling_lost": "no", "wants_loan_check": "yes",
              "income_yen": "4000000"}  # fmt: skip
    asked, answers = walk("support-check", script)
    assert [q.id for q in asked] == list(script)
    household = next(q for q in asked if q.id == "household")
    assert household.kind == "number" and household.categories == ("household",)
    sub = STEPS.submission("support-check", HOLDER, answers, identity="face", language="ja",
                           now=NOW, idempotency_key="steps-test-0010")  # fmt: skip
    body = validate(sub)
    assert [e["total_yen"] for e in body["estimates"]] == [3_000_000, 2_500_000]
    assert "income" in sub.categories


def test_without_a_card_the_certificate_requests_go_to_paper() -> None:
    assert STEPS.next_question("risai", None, {}, today=TODAY) is None
    with pytest.raises(KnownError) as e:
        STEPS.submission("risai", None, {}, identity="staff", language="ja", now=NOW,
                         idempotency_key="steps-test-0011")  # fmt: skip
    assert e.value.message_id == "procedures.paper-route"


def test_insurance_consent_items_one_by_one_and_the_payload() -> None:
    from kiosk.flows.qualification import DemoQualificationSource

    asked, answers = walk("insurance", {"medication": "yes", "health-check": "no"})
    assert [q.id for q in asked] == ["medication", "health-check"]
    assert all(q.medical for q in asked)  # a supporter steps away
    assert [q.help_id for q in asked] == [
        "insurance.consent.medication.explain",
        "insurance.consent.health-check.explain",
    ]
    outcome = DemoQualificationSource().check(HOLDER, NOW)
    sub = STEPS.submission("insurance", HOLDER, answers, identity="face", language="ja",
                           now=NOW, idempotency_key="steps-test-0012",
                           qualification=outcome)  # fmt: skip
    body = validate(sub)
    assert body["consent"]["items"] == ["medication"]
    assert body["consent"]["valid_until"] == "2026-11-23T09:30:00"
    assert body["qualification"]["usable"] is True
    assert sub.categories == ("insurance.qualification", "medication")


def test_next_steps_for_the_receipt() -> None:
    site = {"disaster": "typhoon", "survey": "site"}
    assert STEPS.next_steps("risai", HOLDER, site)[0] == "procedures.next.risai.site"
    own = {"disaster": "typhoon", "survey": "self"}
    assert STEPS.next_steps("risai", HOLDER, own)[0] == "procedures.next.risai.self"
    assert STEPS.next_steps("higai", HOLDER, {}) == ("procedures.next.higai",)
    assert STEPS.next_steps("support-check", HOLDER, {}) == ("procedures.next.support-check",)
    assert STEPS.next_steps("insurance", HOLDER, {})[0] == "procedures.next.insurance.certificate"
    assert STEPS.next_steps("risai", None, {}) == ("procedures.paper-route",)
