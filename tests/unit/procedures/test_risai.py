"""罹災証明書 request: pre-fill, survey choice, photos, proxy, validation, payload."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest

from kiosk.flows.procedures.common import (
    Person,
    PhotoKind,
    Proxy,
    Relationship,
    active_disasters,
    check_phone,
    load_disasters,
)
from kiosk.flows.procedures.risai import Damage, DamagedPart, Flooding, RisaiRequest
from tests.helpers.procedures import DISASTERS, NOW, TODAY, Camera, CardRead, me, still

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "schema" / "risai.v1.json").read_text()
)


def ready() -> RisaiRequest:
    r = RisaiRequest(applicant=me())
    r.disaster_id = "typhoon"
    r.dwelling = True
    r.damage = Damage(parts={DamagedPart.ROOF})
    r.phone = "090-1234-5678"
    return r


def ids(r: RisaiRequest) -> list[str]:
    return [p.message_id for p in r.problems(DISASTERS, TODAY)]


def test_card_data_prefills_and_property_address_defaults_to_it() -> None:
    r = ready()
    assert r.principal.name == "山田　花子"
    assert r.principal.birth_date == date(1940, 4, 1)
    assert r.address == CardRead().address
    r.property_address = "東京都千代田区永田町１－１"
    assert r.address == "東京都千代田区永田町１－１"
    assert ids(r) == []


def test_a_complete_request_has_no_problems_and_matches_the_schema() -> None:
    r = ready()
    assert ids(r) == []
    body = r.payload(DISASTERS, NOW, kiosk_id="kiosk-01", language="ja")
    jsonschema.validate(body, SCHEMA)
    assert body["kind"] == "risai"
    assert body["contact"]["phone"] == "09012345678"
    assert body["property"]["same_as_card_address"] is True
    assert body["property"]["damaged_on"] == "2026-09-18"
    assert body["survey"] == {
        "method": "site",
        "self_assessment_consent": False,
        "consented_grade": None,
    }


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda r: setattr(r, "disaster_id", None), "procedures.error.disaster-required"),
        (lambda r: setattr(r, "disaster_id", "nope"), "procedures.error.disaster-unknown"),
        (lambda r: setattr(r, "disaster_id", "closed"), "procedures.error.disaster-not-active"),
        (lambda r: setattr(r, "disaster_id", "future"), "procedures.error.disaster-not-active"),
        (lambda r: setattr(r, "dwelling", None), "procedures.error.dwelling-required"),
        (lambda r: setattr(r, "dwelling", False), "procedures.error.not-dwelling-use-higai"),
        (lambda r: setattr(r, "damage", Damage()), "procedures.error.damage-required"),
        (lambda r: setattr(r, "phone", ""), "procedures.error.phone-required"),
        (lambda r: setattr(r, "phone", "090-1234-567"), "procedures.error.phone-digits"),
        (lambda r: setattr(r, "phone", "tel 0312345678"), "procedures.error.phone-characters"),
        (lambda r: setattr(r, "damaged_on", TODAY + timedelta(days=1)),
         "procedures.error.date-in-future"),
        (lambda r: setattr(r, "damaged_on", date(2026, 9, 17)),
         "procedures.error.date-before-disaster"),
        (lambda r: setattr(r.damage, "flood_depth_cm", -5), "procedures.error.flood-depth"),
    ],
)  # fmt: skip
def test_each_problem_has_its_message(change, problem: str) -> None:  # type: ignore[no-untyped-def]
    r = ready()
    change(r)
    assert ids(r) == [problem]


def test_damaged_today_is_fine() -> None:
    r = ready()
    r.damaged_on = TODAY
    assert ids(r) == []


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("0312345678", True),
        ("03-1234-5678", True),
        ("０９０－１２３４－５６７８", True),  # full-width from an IME
        ("(03) 1234 5678", True),
        ("09012345678", True),
        ("05012345678", True),
        ("02012345678", True),
        ("0120123456", True),
        ("08001234567", True),  # 0800 free dial
        ("0901234567", False),  # a mobile number is 11 digits
        ("031234567", False),
        ("03123456789", False),  # 11 digits but a landline prefix
        ("0012345678", False),
        ("1234567890", False),
        ("090123456789", False),
    ],
)
def test_phone_numbers(phone: str, ok: bool) -> None:
    assert (check_phone(phone) == []) is ok


def test_phone_problem_says_how_many_digits_were_typed() -> None:
    (p,) = check_phone("090-123")
    assert p.params == {"count": 6}


# --- survey method -------------------------------------------------------------------------------


def test_self_assessment_only_when_resident_says_light() -> None:
    r = ready()
    assert r.survey_methods_offered() == ("site",)
    r.damage.resident_says_light = True
    assert r.survey_methods_offered() == ("site", "self")


@pytest.mark.parametrize(
    ("part", "flooding"),
    [
        (DamagedPart.TILTED, Flooding.NONE),
        (DamagedPart.COLLAPSED, Flooding.NONE),
        (DamagedPart.FOUNDATION, Flooding.NONE),
        (DamagedPart.ROOF, Flooding.ABOVE_FLOOR),
    ],
)
def test_heavy_signs_withdraw_self_assessment_even_if_called_light(
    part: DamagedPart, flooding: Flooding
) -> None:
    r = ready()
    r.damage = Damage(parts={part}, flooding=flooding, resident_says_light=True)
    assert r.survey_methods_offered() == ("site",)
    r.survey = "self"
    r.self_assessment_consent = True
    assert "procedures.error.self-survey-not-offered" in ids(r)


def self_assessment() -> RisaiRequest:
    r = ready()
    r.damage = Damage(parts={DamagedPart.EXTERIOR_WALL}, resident_says_light=True)
    r.survey = "self"
    r.self_assessment_consent = True
    return r


def test_self_assessment_needs_consent_and_the_photos() -> None:
    r = self_assessment()
    r.self_assessment_consent = False
    problems = r.problems(DISASTERS, TODAY)
    assert [p.message_id for p in problems].count("procedures.error.photo-missing") == 5
    assert "procedures.error.self-survey-consent" in [p.message_id for p in problems]
    missing = [p.params["kind"] for p in problems if p.message_id.endswith("photo-missing")]
    assert missing == [
        "procedures.photo.front",
        "procedures.photo.back",
        "procedures.photo.left",
        "procedures.photo.right",
        "procedures.photo.closeup",
    ]


def test_self_assessment_with_all_photos_is_complete_and_carries_the_consent() -> None:
    r = self_assessment()
    cam = Camera()
    for kind in (*[PhotoKind.FRONT, PhotoKind.BACK, PhotoKind.LEFT, PhotoKind.RIGHT],
                 PhotoKind.CLOSEUP):  # fmt: skip
        assert r.photos.take(cam, kind, NOW) is None
    assert ids(r) == []
    body = r.payload(DISASTERS, NOW, kiosk_id="k", language="en")
    jsonschema.validate(body, SCHEMA)
    assert body["survey"]["consented_grade"] == "ichibu-sonkai"
    assert len(body["photos"]) == 5
    assert "data_base64" not in json.dumps(body)  # bytes travel as attachments only


def test_flooding_adds_the_flood_depth_photo() -> None:
    r = self_assessment()
    r.damage.flooding = Flooding.BELOW_FLOOR
    assert (PhotoKind.FLOOD_DEPTH, 1) in r.required_photos()
    assert PhotoKind.FLOOD_DEPTH in r.missing_photos()


def test_site_survey_needs_no_photos() -> None:
    r = ready()
    assert r.required_photos() == []


# --- photos --------------------------------------------------------------------------------------


def test_photos_can_be_retaken_and_removed_and_only_images_are_kept() -> None:
    r = self_assessment()
    assert r.photos.add(PhotoKind.FRONT, still(), NOW) is None
    first = next(iter(r.photos)).sha256
    assert r.photos.retake(0, still((1, 2, 3)), NOW) is None
    assert next(iter(r.photos)).sha256 != first
    assert next(iter(r.photos)).kind is PhotoKind.FRONT
    bad = r.photos.add(PhotoKind.BACK, b"not an image", NOW)
    assert bad is not None and bad.message_id == "procedures.error.photo-not-image"
    assert len(r.photos) == 1
    r.photos.remove(0)
    assert len(r.photos) == 0


def test_oversized_photo_is_refused() -> None:
    r = ready()
    big = still() + b"\0" * (4 * 1024 * 1024)
    p = r.photos.add(PhotoKind.CLOSEUP, big, NOW)
    assert p is not None and p.message_id == "procedures.error.photo-too-large"


def test_photo_bytes_never_show_in_repr() -> None:
    r = ready()
    data = still()
    r.photos.add(PhotoKind.FRONT, data, NOW)
    assert repr(data[:20]) not in repr(next(iter(r.photos)))


def test_submission_carries_photos_as_attachments_matched_by_hash() -> None:
    r = self_assessment()
    cam = Camera()
    for kind in (PhotoKind.FRONT, PhotoKind.BACK, PhotoKind.LEFT, PhotoKind.RIGHT,
                 PhotoKind.CLOSEUP):  # fmt: skip
        r.photos.take(cam, kind, NOW)
    sub = r.to_submission(DISASTERS, NOW, kiosk_id="k", language="ja", idempotency_key="abcdefgh1")
    assert sub.kind == "risai" and sub.schema_version == 1
    import hashlib

    hashes = [hashlib.sha256(a.data).hexdigest() for a in sub.attachments]  # type: ignore[union-attr]
    assert hashes == [p["sha256"] for p in sub.payload["photos"]]
    assert set(sub.categories) == {"card.basic_info", "damage.report", "contact", "damage.photos"}


# --- proxies -------------------------------------------------------------------------------------


def grandmother() -> Person:
    return Person("山田　トメ", date(1930, 1, 2), "東京都千代田区霞が関１－２－３")


@pytest.mark.parametrize(
    ("relationship", "same_household", "letter"),
    [
        (Relationship.CHILD, True, False),
        (Relationship.SPOUSE, True, False),
        (Relationship.OTHER_RELATIVE, True, False),
        (Relationship.CHILD, False, True),
        (Relationship.NOT_RELATIVE, True, True),
        (Relationship.NOT_RELATIVE, False, True),
        (None, True, True),
    ],
)
def test_proxy_letter_only_for_people_outside_the_household_or_family(
    relationship: Relationship | None, same_household: bool, letter: bool
) -> None:
    proxy = Proxy(grandmother(), relationship, same_household)
    assert proxy.needs_letter is letter
    r = ready()
    r.proxy = proxy
    assert ("procedures.next.proxy-letter" in r.next_steps()) is letter


def test_proxy_applies_for_the_principal_with_their_address() -> None:
    r = ready()
    r.applicant = Person("佐藤　一郎", date(1970, 5, 5), "神奈川県横浜市中区１－１", "card")
    r.proxy = Proxy(grandmother(), Relationship.NOT_RELATIVE, False)
    assert r.address == grandmother().address
    assert ids(r) == []
    body = r.payload(DISASTERS, NOW, kiosk_id="k", language="ja")
    jsonschema.validate(body, SCHEMA)
    assert body["principal"]["name"] == "山田　トメ"
    assert body["applicant"]["identity"] == "card"
    assert body["proxy"] == {
        "relationship": "not-relative",
        "same_household": False,
        "letter": "printed",
    }


@pytest.mark.parametrize(
    ("applicant", "proxy", "problem"),
    [
        (Person("a", date(1970, 1, 1), "x"), None, "procedures.error.identity-not-checked"),
        (Person("a", date(1970, 1, 1), "x", "staff"), None,
         "procedures.error.staff-check-unnamed"),
        (None, Proxy(grandmother(), None, True), "procedures.error.relationship-required"),
        (None, Proxy(Person("", date(1930, 1, 2), "x"), Relationship.CHILD, True),
         "procedures.error.name-required"),
        (None, Proxy(Person("b", TODAY + timedelta(days=1), "x"), Relationship.CHILD, True),
         "procedures.error.date-in-future"),
    ],
)  # fmt: skip
def test_applicant_and_proxy_checks(
    applicant: Person | None, proxy: Proxy | None, problem: str
) -> None:
    r = ready()
    if applicant is not None:
        r.applicant = applicant
    r.proxy = proxy
    assert problem in ids(r)


def test_staff_checked_applicant_is_fine_with_a_staff_id() -> None:
    r = ready()
    r.applicant = Person("a", date(1970, 1, 1), "東京都", "staff", "clerk01")
    assert ids(r) == []
    body = r.payload(DISASTERS, NOW, kiosk_id="k", language="ja")
    assert body["applicant"]["staff_id"] == "clerk01"
    jsonschema.validate(body, SCHEMA)


# --- disasters ----------------------------------------------------------------------------------


def test_site_disaster_list_loads_and_offers_active_past_ones() -> None:
    disasters = load_disasters()
    assert len(disasters) >= 2
    offered = active_disasters(disasters, TODAY)
    assert offered and all(d.active and d.date <= TODAY for d in offered)
    assert [d.date for d in offered] == sorted((d.date for d in offered), reverse=True)
    assert all(d.name and d.cause.label_id.startswith("procedures.cause.") for d in disasters)
    assert [d.id for d in active_disasters(DISASTERS, TODAY)] == ["typhoon"]


def test_a_broken_disaster_list_names_itself(tmp_path: Path) -> None:
    from kiosk.flows.procedures.common import DisastersError

    bad = tmp_path / "d.toml"
    bad.write_text('[[disaster]]\nid = "x"\nname = "x"\ndate = 2026-01-01\ncause = "meteor"\n')
    with pytest.raises(DisastersError) as e:
        load_disasters(bad)
    assert e.value.message_id == "procedures.disasters-broken"
    assert "disaster #1" in e.value.detail


def test_site_disaster_list_from_the_setting(tmp_path: Path) -> None:
    from kiosk.flows.procedures.common import site_disasters

    f = tmp_path / "d.toml"
    f.write_text('[[disaster]]\nid = "a"\nname = "A"\ndate = 2026-01-01\ncause = "snow"\n')
    assert [d.id for d in site_disasters(str(f))] == ["a"]
    assert site_disasters("") == load_disasters()


def test_reprs_carry_no_personal_data() -> None:
    from kiosk.flows.procedures.higai import HigaiRequest
    from kiosk.flows.procedures.support_check import SupportAnswers

    r = ready()
    r.proxy = Proxy(grandmother(), Relationship.CHILD, True)
    higai = HigaiRequest(applicant=me(), phone="0312345678")
    texts = [repr(r), repr(me()), repr(r.proxy), repr(higai), repr(SupportAnswers(income_yen=3))]
    for text in texts:
        for secret in ("山田", "花子", "トメ", "千代田", "1940", "5678", "income_yen=3"):
            assert secret not in text, text
