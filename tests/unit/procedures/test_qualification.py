"""Insurance qualification: result files, demo cases 1–5, never "uninsured"; the consent."""

from __future__ import annotations

import json
import os
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from kiosk.errors import KnownError
from kiosk.flows.procedures import insurance
from kiosk.flows.qualification import (
    AUDIT_CATEGORY,
    DEMO_DIR,
    ConsentForm,
    ConsentItem,
    ConsentNotAllowed,
    DemoQualificationSource,
    FolderQualificationSource,
    QualificationOutcome,
    UnreadableResult,
    Validity,
    parse_result,
)
from tests.helpers.procedures import NOW, CardRead

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "schema" / "insurance.v1.json").read_text()
)
ROUTES = ("insurance.route.certificate", "insurance.route.staff")
PERSON = CardRead(name="デモ　太郎", birth_date="19400401")


def demo_bytes(case: str) -> bytes:
    return (DEMO_DIR / f"{case}.xml").read_bytes()


@pytest.mark.parametrize(
    ("case", "validity", "count"),
    [
        ("valid", Validity.VALID, 1),
        ("invalid", Validity.INVALID, 1),
        ("invalid-new", Validity.INVALID_NEW_EXISTS, 2),
        ("not-found", Validity.NOT_FOUND, 0),
        ("multiple", Validity.MULTIPLE, 2),
    ],
)
def test_demo_cases_cover_each_validity_code(case: str, validity: Validity, count: int) -> None:
    src = DemoQualificationSource()
    src.use_case(case)
    out = src.check(CardRead(), NOW)
    assert out.status == "answered"
    assert out.validity is validity
    assert len(out.results) == count
    assert out.message_id == f"insurance.validity.{validity.value}"
    if validity is Validity.VALID:
        assert out.usable and out.offers == ()
    else:
        # Invalid or missing never reads as "uninsured": always the card route and staff.
        assert not out.usable and out.offers == ROUTES
    assert all(r.name == "山田　花子" for r in out.results)  # the resident's own name (demo)


def test_demo_cases_by_birth_date_and_default() -> None:
    src = DemoQualificationSource()
    assert src.check(CardRead(birth_date="19850615"), NOW).validity is Validity.INVALID_NEW_EXISTS
    assert src.check(CardRead(birth_date="19990101"), NOW).validity is Validity.VALID
    with pytest.raises(ValueError):
        src.use_case("bogus")


def test_valid_result_fields() -> None:
    f = parse_result(demo_bytes("valid"))
    (r,) = f.results
    assert r.insurer_number == "39999999"
    assert r.valid_to == date(2027, 7, 31)
    assert r.copayment_percent == 10
    assert r.limit_category == "B04" and r.limit_category_id == "insurance.limit.B04"
    lines = {x.label: x for x in insurance.display_lines(r)}
    assert lines["insurance.field.insurer"].text == "デモ後期高齢者医療広域連合 (39999999)"
    assert lines["insurance.field.copayment"].message == "insurance.share.tenths"
    assert lines["insurance.field.copayment"].params == (("tenths", 1), ("percent", 10))
    assert lines["insurance.field.limit"].message == "insurance.limit.B04"
    assert lines["insurance.field.person"].message == "insurance.person.insured"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.replace(b"<QualificationValidity>1<", b"<QualificationValidity>7<"),
        lambda b: b.replace(b"<SegmentOfResult>1<", b"<SegmentOfResult>9<"),
        lambda b: b.replace(b"<ProcessingResultStatus>1<", b"<ProcessingResultStatus>2<"),
        lambda b: b.replace(b"<Birthdate>19400401<", b"<Birthdate>1940-04-01<"),
        lambda b: b.replace(b">B04<", b">Z99<"),
        lambda b: b.replace(
            b"<InsuredPartialContributionRatio>10<", b"<InsuredPartialContributionRatio>x<"
        ),
        lambda b: b.replace(b"XmlMsg", b"Other"),
        lambda b: b[:200],
        lambda b: b.split(b"<ResultList>")[0] + b"<ResultList></ResultList></MessageBody></XmlMsg>",
    ],
)
def test_anything_unexpected_is_unreadable(mutate) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnreadableResult):
        parse_result(mutate(demo_bytes("valid")))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "res"
    d.mkdir()
    return d


def write(folder: Path, name: str, data: bytes, mtime: float | None = None) -> Path:
    p = folder / name
    p.write_bytes(data)
    if mtime is not None:
        os.utime(p, (mtime, mtime))
    return p


def test_folder_source_waits_then_answers(folder: Path) -> None:
    src = FolderQualificationSource(folder)
    since = datetime.now() - timedelta(seconds=5)
    assert src.check(PERSON, since).status == "waiting"
    write(folder, "old.xml", demo_bytes("invalid"), mtime=time.time() - 3600)
    assert src.check(PERSON, since).status == "waiting"  # older than the check: not ours
    write(folder, "new.xml", demo_bytes("valid"))
    out = src.check(PERSON, since)
    assert out.usable and out.results[0].name == "デモ　太郎"
    assert (folder / "new.xml").exists()  # read only, never moved


def test_folder_source_never_shows_another_persons_result(folder: Path) -> None:
    write(folder, "a.xml", demo_bytes("valid"))
    other = CardRead(name="他人　次郎", birth_date="19400401")
    out = FolderQualificationSource(folder).check(other, datetime.now() - timedelta(seconds=5))
    assert out.status == "mismatch" and out.results == () and out.offers == ROUTES
    younger = CardRead(name="デモ　太郎", birth_date="19500101")
    out = FolderQualificationSource(folder).check(younger, datetime.now() - timedelta(seconds=5))
    assert out.status == "mismatch"


def test_two_answers_for_the_same_person_go_to_staff(folder: Path) -> None:
    write(folder, "a.xml", demo_bytes("valid"))
    write(folder, "b.xml", demo_bytes("valid"))
    out = FolderQualificationSource(folder).check(PERSON, datetime.now() - timedelta(seconds=5))
    assert out.status == "ambiguous" and out.offers == ROUTES


def test_unreadable_file_goes_to_staff(folder: Path) -> None:
    write(folder, "a.xml", b"<html>error</html>")
    out = FolderQualificationSource(folder).check(PERSON, datetime.now() - timedelta(seconds=5))
    assert out.status == "unreadable"
    assert out.message_id == "insurance.outcome.unreadable"
    assert out.offers == ROUTES


def test_name_written_with_half_width_space_still_matches(folder: Path) -> None:
    write(folder, "a.xml", demo_bytes("valid").replace("デモ　太郎".encode(), "デモ 太郎".encode()))
    out = FolderQualificationSource(folder).check(PERSON, datetime.now() - timedelta(seconds=5))
    assert out.usable


def test_missing_folder_is_an_environment_error(tmp_path: Path) -> None:
    src = FolderQualificationSource(tmp_path / "gone")
    with pytest.raises(KnownError) as e:
        src.check(PERSON, NOW)
    assert e.value.message_id == "insurance.folder-unavailable"


# --- consent ----------------------------------------------------------------------------------


def test_consent_items_are_off_until_tapped_and_each_is_explained() -> None:
    form = ConsentForm()
    assert form.chosen == {ConsentItem.MEDICATION: False, ConsentItem.HEALTH_CHECK: False}
    assert [i.explain_id for i in form.items] == [
        "insurance.consent.medication.explain",
        "insurance.consent.health-check.explain",
    ]


def test_consent_lasts_24_hours_for_the_items_chosen_only() -> None:
    form = ConsentForm()
    form.set(ConsentItem.MEDICATION, True)
    rec = form.record(NOW, "resident")
    assert rec.allows(ConsentItem.MEDICATION, NOW + timedelta(hours=23, minutes=59))
    assert not rec.allows(ConsentItem.MEDICATION, NOW + timedelta(hours=24))
    assert not rec.allows(ConsentItem.HEALTH_CHECK, NOW)


def test_declining_everything_is_recorded_too() -> None:
    rec = ConsentForm().record(NOW, "resident")
    assert rec.items == frozenset() and rec.to_json()["items"] == []


def test_the_consent_items_are_audit_categories_the_store_accepts() -> None:
    from kiosk.store.audit import DATA_CATEGORIES

    form = ConsentForm()
    form.agree_all()
    rec = form.record(NOW, "clerk")
    assert sorted(AUDIT_CATEGORY[i.value] for i in rec.items) == ["health_check", "medication"]
    assert set(AUDIT_CATEGORY.values()) <= set(DATA_CATEGORIES)
    assert rec.given_by == "clerk"


def test_a_supporter_cannot_consent_for_the_resident() -> None:
    form = ConsentForm()
    form.agree_all()
    with pytest.raises(ConsentNotAllowed) as e:
        form.record(NOW, "supporter")
    assert e.value.message_id == "insurance.consent.supporter-cannot"


# --- payload ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["valid", "invalid", "not-found", "multiple"])
def test_insurance_payload_carries_no_result_content(case: str) -> None:
    src = DemoQualificationSource()
    src.use_case(case)
    out = src.check(CardRead(), NOW)
    form = ConsentForm()
    form.set(ConsentItem.HEALTH_CHECK, True)
    rec = form.record(NOW, "resident")
    body = insurance.payload(out, rec, NOW, kiosk_id="clinic-1", language="ja")
    jsonschema.validate(body, SCHEMA)
    text = json.dumps(body, ensure_ascii=False)
    assert "山田" not in text and "Demo" not in text and "デモ" not in text
    assert body["consent"]["items"] == ["health-check"]
    assert body["qualification"]["usable"] is (case == "valid")


def test_waiting_outcome_payload_without_consent() -> None:
    body = insurance.payload(
        QualificationOutcome("waiting"), None, NOW, kiosk_id="k", language="en"
    )
    jsonschema.validate(body, SCHEMA)
    assert insurance.next_steps(QualificationOutcome("waiting")) == (
        "procedures.next.insurance.certificate",
        "procedures.next.insurance.staff",
    )


# What a clinic desk says for the share: 1割/2割/3割 in Japanese (10割 means "uninsured"),
# a percent elsewhere. One expected text per language and share.
SHARES = {
    "ja": {10: "1割", 20: "2割", 30: "3割"},
    "ja-easy": {10: "1わり（10%）", 20: "2わり（20%）", 30: "3わり（30%）"},
    "en": {10: "10%", 20: "20%", 30: "30%"},
    "zh": {10: "10%", 20: "20%", 30: "30%"},
    "ko": {10: "10%", 20: "20%", 30: "30%"},
    "vi": {10: "10%", 20: "20%", 30: "30%"},
    "pt": {10: "10%", 20: "20%", 30: "30%"},
}


@pytest.mark.parametrize("language", sorted(SHARES))
@pytest.mark.parametrize("percent", [10, 20, 30])
def test_copay_share_reads_in_tenths_never_as_ten_wari(language: str, percent: int) -> None:
    from kiosk.flows.procedures.catalog import CatalogText

    text = CatalogText(language)
    line = insurance.share_line("insurance.field.copayment", percent)
    shown = text(line.message, **dict(line.params))
    assert shown == SHARES[language][percent]
    assert "10割" not in shown and "30割" not in shown and "{" not in shown


def test_copay_share_from_the_result_file_prints_1_wari() -> None:
    from kiosk.flows.procedures.catalog import CatalogText

    (r,) = parse_result(demo_bytes("valid")).results  # InsuredPartialContributionRatio 10
    line = next(x for x in insurance.display_lines(r) if x.label == "insurance.field.copayment")
    assert CatalogText("ja")(line.message, **dict(line.params)) == "1割"
    three = parse_result(
        demo_bytes("valid").replace(
            b"<InsuredPartialContributionRatio>10<", b"<InsuredPartialContributionRatio>30<"
        )
    ).results[0]
    line = next(x for x in insurance.display_lines(three) if x.label == "insurance.field.copayment")
    assert CatalogText("ja")(line.message, **dict(line.params)) == "3割"
    assert CatalogText("ja-easy")(line.message, **dict(line.params)) == "3わり（30%）"


def test_odd_share_is_a_percent_not_wari() -> None:
    from kiosk.flows.procedures.catalog import CatalogText

    line = insurance.share_line("insurance.field.copayment", 15)
    assert CatalogText("ja")(line.message, **dict(line.params)) == "15%"
