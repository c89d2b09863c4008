"""SiteServices over a real store in a temporary data dir: the questions each procedure asks,
what lands in the outbox, the problems that are asked again, results the resident reads, and
the PDFs they take home (read back with pdftotext, deleted when the visit ends)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from kiosk import cli
from kiosk.config import InsuranceSettings, Settings, SiteSettings
from kiosk.devices.printer import PrintOutcome
from kiosk.errors import KnownError
from kiosk.flows.ports import CardHolder, PaperRoute, Question, Receipt, ReceiptLine, Refused
from kiosk.flows.procedures.common import Cause, Disaster
from kiosk.flows.qualification import DemoQualificationSource
from kiosk.flows.services import CameraStills, SiteServices
from kiosk.flows.session import Page, SessionMachine
from kiosk.flows.visit import Method, Visit
from kiosk.paths import DataDir
from kiosk.store import Store, verify_envelope
from tests.helpers.procedures import DISASTERS, Camera
from tests.helpers.session import HANAKO, FakeCard, World

JST = timezone(timedelta(hours=9))
SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "schema"
HOLDER = CardHolder("山田\u3000花子", date(1940, 4, 1), "東京都千代田区霞が関１－２－３", "2")
RESPONSIBLE = "○○市 危機管理課（個人情報保護責任者）"


class SiteClock:
    """`ports.Clock` at a fixed moment after the demo typhoon."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 22, 9, 30, tzinfo=JST)

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return 0.0


# PDFs are drawn with Qt: a QApplication exists, as in the kiosk.
@pytest.fixture
def store(tmp_path: Path, qapp: object) -> Iterator[Store]:
    settings = dataclasses.replace(
        Settings(), site=SiteSettings(kiosk_id="kiosk-07", responsible=RESPONSIBLE)
    )
    with Store.open(DataDir(tmp_path / "data"), settings) as s:
        yield s


class Visits:
    """The services as the session drives them: one `Visit` at a time, dropped whole."""

    def __init__(self, svc: SiteServices) -> None:
        self.svc = svc
        self.visit = Visit("ja")

    def _at(self, procedure: str, holder: CardHolder | None, answers: Mapping[str, str]) -> Visit:
        v = self.visit
        v.procedure, v.holder, v.answers = procedure, holder, dict(answers)
        return v

    def next_question(
        self, procedure: str, holder: CardHolder | None, answers: Mapping[str, str]
    ) -> Question | None:
        return self.svc.next_question(self._at(procedure, holder, answers))

    def take_photo(self, question_id: str) -> str:
        return self.svc.take_photo(self.visit, question_id)

    def photo(self, question_id: str) -> bytes | None:
        kept = self.visit.photos.get(question_id)
        return kept[1] if kept else None

    def submit(
        self, procedure: str, answers: Mapping[str, str], holder: CardHolder | None = HOLDER,
        method: str = "pin",
    ) -> Receipt | PaperRoute | Refused:  # fmt: skip
        v = self._at(procedure, holder, answers)
        v.method = Method(method)
        return self.svc.submit(v)

    def print_form(
        self, procedure: str, holder: CardHolder | None, answers: Mapping[str, str], language: str
    ) -> PrintOutcome:
        v = self._at(procedure, holder, answers)
        v.language = language
        return self.svc.print_form(v)

    def visit_ended(self) -> None:
        self.visit.drop()
        self.visit = Visit("ja")

    @property
    def pdfs(self) -> tuple[Path, ...]:
        return self.visit.printouts.pdfs


def services(
    store: Store, *, camera: bool = True, disasters: list[Disaster] | None = None
) -> Visits:
    return Visits(
        SiteServices(
            store.settings,
            store,
            clock=SiteClock(),
            demo=True,
            disasters=DISASTERS if disasters is None else disasters,
            camera=Camera() if camera else None,
        )
    )


@dataclasses.dataclass
class Walk:
    """One procedure answered the way a resident would: the questions seen, and the taps."""

    questions: list[Question]
    answers: dict[str, str]
    taps: int

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]


Answer = str | Callable[[Question], str]


def walk(
    svc: Visits,
    procedure: str,
    picks: Mapping[str, Answer],
    holder: CardHolder | None = HOLDER,
) -> Walk:
    """Answer every question from `picks` (a photo question takes a photo) until done.
    Taps: one per choice or photo; digits plus "決定" for a number."""
    answers: dict[str, str] = {}
    seen: list[Question] = []
    taps = 0
    for _ in range(60):
        q = svc.next_question(procedure, holder, answers)
        if q is None:
            return Walk(seen, answers, taps)
        assert q.problem_id == "", f"{q.id} asked again: {q.problem_id}"
        seen.append(q)
        if q.kind == "photo":
            value = svc.take_photo(q.id)
            taps += 1
        else:
            pick = picks[q.id]
            value = pick(q) if callable(pick) else pick
            if q.kind == "choice":
                assert value in {c.value for c in q.choices}, (q.id, value)
                taps += 1
            else:
                assert value.isdigit() and len(value) <= q.max_digits
                taps += len(value) + 1
        answers[q.id] = value
    raise AssertionError("the questions never end")


def submit(
    svc: Visits,
    procedure: str,
    answers: Mapping[str, str],
    holder: CardHolder | None = HOLDER,
    method: str = "pin",
) -> Receipt:
    outcome = svc.submit(procedure, answers, holder, method)
    assert isinstance(outcome, Receipt), outcome
    return outcome


def paper(
    svc: Visits,
    procedure: str,
    answers: Mapping[str, str],
    holder: CardHolder | None = HOLDER,
    method: str = "pin",
) -> str:
    """The message of the paper route the request took."""
    outcome = svc.submit(procedure, answers, holder, method)
    assert isinstance(outcome, PaperRoute), outcome
    return outcome.message_id


def refused(svc: Visits, procedure: str, answers: Mapping[str, str]) -> str:
    """The problem the request was refused with."""
    outcome = svc.submit(procedure, answers)
    assert isinstance(outcome, Refused), outcome
    return outcome.message_id


def envelope(store: Store, reference: str) -> dict[str, object]:
    doc = store.read(reference)
    assert verify_envelope(doc)
    return doc


def pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return "".join(unicodedata.normalize("NFKC", out).split())


def norm(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).split())


RISAI_SITE = {
    "applying_for": "self",
    "disaster": "typhoon",
    "property_here": "yes",
    "dwelling": "yes",
    "flooding": "none",
    "damage.1": "roof",
    "damage.2": "none",
    "light": "no",
    "phone": "09012345678",
}
RISAI_SELF = {
    **RISAI_SITE,
    "flooding": "below-floor",
    "flood_depth_cm": "30",
    "light": "yes",
    "survey": "self",
    "self_consent": "agree",
}
HIGAI = {
    "applying_for": "self",
    "disaster": "typhoon",
    "property_here": "yes",
    "item.1.kind": "vehicle",
    "item.1.damage": "flooded",
    "item.2.kind": "none",
    "phone": "0312345678",
}
SUPPORT = {
    "has_certificate": "yes",
    "grade": "zenkai",
    "household": "2",
    "long_term_evacuation": "no",
    "plan": "build",
    "rented_first": "no",
    "death": "no",
    "disability": "no",
    "wants_loan_check": "no",
}
LOAN = {"wants_loan_check": "yes", "injured": "no", "goods_lost": "yes", "dwelling_lost": "no",
        "income_yen": "287"}  # fmt: skip
INSURANCE = {"consent.medication": "yes", "consent.health-check": "no"}
CARD_FACTS = {"name", "birth_date", "address", "birth-date"}


# -- 罹災証明書 ---------------------------------------------------------------------------------


def test_risai_site_survey_asks_a_few_taps_and_never_what_the_card_gave(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "risai", RISAI_SITE)
    assert w.ids == [
        "applying_for", "disaster", "property_here", "dwelling", "flooding", "damage.1",
        "damage.2", "light", "phone",
    ]  # fmt: skip
    assert not CARD_FACTS & set(w.ids)
    disaster = w.questions[1]
    assert [c.value for c in disaster.choices] == ["typhoon"]  # closed and future ones hidden
    assert "令和8年台風第15号" in disaster.choices[0].message_id
    assert w.questions[-1].kind == "number" and w.questions[-1].max_digits == 11
    assert "contact" in w.questions[-1].categories


def test_risai_submission_lands_in_the_outbox_signed_and_valid(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "risai", RISAI_SITE)
    receipt = submit(svc, "risai", w.answers)
    assert store.references() == [receipt.reference]
    assert store.outbox_status().pending == 1
    doc = envelope(store, receipt.reference)
    assert doc["kind"] == "risai" and doc["kiosk_id"] == "kiosk-07"
    payload = doc["payload"]
    assert isinstance(payload, dict)
    jsonschema.validate(payload, json.loads((SCHEMAS / "risai.v1.json").read_text()))
    assert payload["applicant"]["name"] == HOLDER.name
    assert payload["property"]["same_as_card_address"] is True
    assert payload["damage"]["parts"] == ["roof"]
    assert payload["survey"]["method"] == "site"
    assert payload["contact"] == {"phone": "09012345678"}
    assert doc["attachments"] == []
    assert receipt.next_steps[0] == "procedures.next.risai.site"
    assert receipt.next_steps_id == "procedures.next.risai.site"


def test_risai_self_assessment_takes_the_photos_and_attaches_them(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "risai", RISAI_SELF)
    photos = [q.id for q in w.questions if q.kind == "photo"]
    assert photos == [
        "photo.front", "photo.back", "photo.left", "photo.right", "photo.closeup",
        "photo.flood-depth",
    ]  # fmt: skip
    assert all(q.categories == ("damage.photos",) for q in w.questions if q.kind == "photo")
    receipt = submit(svc, "risai", w.answers)
    doc = envelope(store, receipt.reference)
    payload = doc["payload"]
    assert isinstance(payload, dict) and isinstance(doc["attachments"], list)
    jsonschema.validate(payload, json.loads((SCHEMAS / "risai.v1.json").read_text()))
    assert payload["survey"] == {
        "method": "self", "self_assessment_consent": True, "consented_grade": "ichibu-sonkai"
    }  # fmt: skip
    assert len(doc["attachments"]) == 6
    assert [p["sha256"] for p in payload["photos"]] == [a["sha256"] for a in doc["attachments"]]
    assert svc.photo("photo.front") is None  # dropped once submitted


def test_a_retaken_photo_replaces_the_first(store: Store) -> None:
    svc = services(store)
    first = svc.take_photo("photo.front")
    before = svc.photo("photo.front")
    second = svc.take_photo("photo.front")
    assert first != second and svc.photo("photo.front") != before


def test_without_a_camera_self_assessment_is_never_offered(store: Store) -> None:
    w = walk(services(store, camera=False), "risai", RISAI_SELF)
    assert "light" not in w.ids and "survey" not in w.ids
    assert not [q for q in w.questions if q.kind == "photo"]


def test_heavy_damage_never_offers_self_assessment(store: Store) -> None:
    picks = {**RISAI_SITE, "damage.1": "foundation"}
    w = walk(services(store), "risai", picks)
    assert "light" not in w.ids


def test_a_wrong_phone_number_is_asked_again_with_a_plain_message(store: Store) -> None:
    svc = services(store)
    answers = {**RISAI_SITE, "phone": "12345"}
    q = svc.next_question("risai", HOLDER, answers)
    assert q is not None and q.id == "phone"
    assert q.problem_id == "procedures.error.phone-digits"
    assert dict(q.problem_params) == {"count": 5}
    answers["phone"] = "0312345678"
    assert svc.next_question("risai", HOLDER, answers) is None


def test_not_a_dwelling_is_asked_again_pointing_to_the_higai_request(store: Store) -> None:
    svc = services(store)
    answers = {"applying_for": "self", "disaster": "typhoon", "property_here": "yes",
               "dwelling": "no"}  # fmt: skip
    q = svc.next_question("risai", HOLDER, answers)
    assert q is not None and q.id == "dwelling"
    assert q.problem_id == "procedures.error.not-dwelling-use-higai"


def test_a_disaster_no_longer_active_is_asked_again(store: Store) -> None:
    svc = services(store)
    q = svc.next_question("risai", HOLDER, {"applying_for": "self", "disaster": "closed"})
    assert q is not None and q.id == "disaster"
    assert q.problem_id == "procedures.error.disaster-not-active"


def test_a_flood_depth_out_of_range_is_asked_again(store: Store) -> None:
    svc = services(store)
    answers = {**RISAI_SELF, "flood_depth_cm": "5000"}
    q = svc.next_question("risai", HOLDER, answers)
    assert q is not None and q.id == "flood_depth_cm"
    assert q.problem_id == "procedures.error.flood-depth"


def test_a_problem_found_only_at_submit_goes_to_the_counter_and_stores_nothing(
    store: Store,
) -> None:
    svc = services(store)
    answers = {**RISAI_SITE, "phone": "0120"}  # the session would have asked again
    assert refused(svc, "risai", answers) == "procedures.error.phone-digits"
    assert store.references() == []


def test_damaged_place_elsewhere_prints_the_form_for_the_counter(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "risai", {**RISAI_SITE, "property_here": "elsewhere"})
    assert w.ids == ["applying_for", "disaster", "property_here"]
    assert paper(svc, "risai", w.answers) == "services.paper.elsewhere"
    assert store.references() == []
    (form,) = svc.pdfs
    text = pdf_text(form)
    assert norm(HOLDER.name) in text and norm("令和8年台風第15号") in text


def test_without_a_card_the_blank_form_is_printed(store: Store) -> None:
    svc = services(store)
    assert svc.next_question("risai", None, {}) is None
    assert paper(svc, "risai", {}, holder=None, method="staff") == "services.paper.no-card"
    (form,) = svc.pdfs
    assert norm("氏名") in pdf_text(form)
    assert store.references() == []


# -- 被災証明書 ---------------------------------------------------------------------------------


def test_higai_one_vehicle_with_its_photo(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "higai", HIGAI)
    assert w.ids == [
        "applying_for", "disaster", "property_here", "item.1.kind", "item.1.damage",
        "item.1.photo", "item.2.kind", "phone",
    ]  # fmt: skip
    receipt = submit(svc, "higai", w.answers)
    doc = envelope(store, receipt.reference)
    payload = doc["payload"]
    assert isinstance(payload, dict) and isinstance(doc["attachments"], list)
    jsonschema.validate(payload, json.loads((SCHEMAS / "higai.v1.json").read_text()))
    assert [i["kind"] for i in payload["items"]] == ["vehicle"]
    assert payload["photos"][0]["item"] == 0
    assert len(doc["attachments"]) == 1


def test_higai_stops_offering_items_at_five(store: Store) -> None:
    picks: dict[str, Answer] = {**HIGAI}
    for n in range(1, 6):
        picks[f"item.{n}.kind"] = "household-goods"
        picks[f"item.{n}.damage"] = "flooded"
    svc = services(store)
    w = walk(svc, "higai", picks)
    assert "item.6.kind" not in w.ids and w.ids[-1] == "phone"
    receipt = submit(svc, "higai", w.answers)
    payload = envelope(store, receipt.reference)["payload"]
    assert isinstance(payload, dict) and len(payload["items"]) == 5


def test_photos_of_one_visit_never_reach_another(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "higai", HIGAI)
    svc.visit_ended()
    assert refused(svc, "higai", w.answers) == "procedures.error.item-photo-missing"
    assert store.references() == []


def test_higai_without_a_camera_prints_the_form_and_sends_to_the_counter(store: Store) -> None:
    svc = services(store, camera=False)
    w = walk(svc, "higai", HIGAI)
    assert "item.1.photo" not in w.ids
    assert paper(svc, "higai", w.answers) == "services.paper.photos"
    assert len(svc.pdfs) == 1 and store.references() == []


# -- support check ------------------------------------------------------------------------------


def lines_of(receipt: Receipt, kind: str) -> list[ReceiptLine]:
    return [line for line in receipt.lines if line.kind == kind]


def test_support_check_shows_the_likely_amount_the_rules_and_the_documents(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "support-check", SUPPORT)
    assert w.ids == list(SUPPORT)  # one disaster active: not asked
    household = w.questions[w.ids.index("household")]
    assert household.kind == "number" and household.categories == ("household",)
    receipt = submit(svc, "support-check", w.answers)
    assert lines_of(receipt, "heading")[0].message_id == "scheme.rebuild-support"
    (result,) = lines_of(receipt, "result")
    assert result.message_id == "rules.result.likely"
    assert dict(result.params) == {"amount": "3,000,000"}  # 全壊 100万 + 建設 200万
    rules = lines_of(receipt, "rule")
    assert [r.message_id for r in rules] == ["rules.rebuild-support.zenkai"]
    assert dict(rules[0].params)["build"] == "2,000,000"
    assert [d.message_id for d in lines_of(receipt, "deadline")] == [
        "rules.deadline.basic", "rules.deadline.addition"
    ]  # fmt: skip
    assert "documents.risai-certificate" in [d.message_id for d in lines_of(receipt, "document")]
    assert receipt.next_steps == ("procedures.next.support-check",)


def test_support_check_for_one_person_is_three_quarters(store: Store) -> None:
    svc = services(store)
    receipt = submit(svc, "support-check", {**SUPPORT, "household": "1"})
    (result,) = lines_of(receipt, "result")
    assert dict(result.params) == {"amount": "2,250,000"}


def test_support_check_record_holds_no_name_address_or_birth_date(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "support-check", {**SUPPORT, **LOAN})
    assert w.ids[-5:] == ["wants_loan_check", "injured", "goods_lost", "dwelling_lost",
                          "income_yen"]  # fmt: skip
    receipt = submit(svc, "support-check", w.answers)
    doc = envelope(store, receipt.reference)
    text = json.dumps(doc, ensure_ascii=False)
    for fact in (HOLDER.name, HOLDER.address, "1940-04-01", "2870000"):
        assert fact not in text
    payload = doc["payload"]
    assert isinstance(payload, dict)
    jsonschema.validate(payload, json.loads((SCHEMAS / "support-check.v1.json").read_text()))
    assert payload["answers"]["income_given"] is True
    schemes = [e["scheme"] for e in payload["estimates"]]
    assert schemes == ["rebuild-support", "relief-loan"]


def test_support_check_household_out_of_range_is_asked_again(store: Store) -> None:
    svc = services(store)
    q = svc.next_question("support-check", HOLDER, {**SUPPORT, "household": "0"})
    assert q is not None and q.id == "household"
    assert q.problem_id == "procedures.error.household-range"


def test_support_check_asks_the_disaster_when_several_are_active(store: Store) -> None:
    rain = Disaster("rain", "令和8年7月豪雨", date(2026, 7, 4), Cause.HEAVY_RAIN, True)
    svc = services(store, disasters=[*DISASTERS, rain])
    q = svc.next_question("support-check", HOLDER, {})
    assert q is not None and q.id == "disaster"
    assert [c.value for c in q.choices] == ["typhoon", "rain"]  # newest first


def test_support_check_without_a_card_still_works(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "support-check", SUPPORT, holder=None)
    receipt = submit(svc, "support-check", w.answers, holder=None, method="staff")
    assert lines_of(receipt, "result")


# -- insurance ----------------------------------------------------------------------------------


def test_insurance_asks_the_two_consents_as_medical_questions(store: Store) -> None:
    w = walk(services(store), "insurance", INSURANCE)
    assert w.ids == ["consent.medication", "consent.health-check"]
    assert all(q.medical for q in w.questions)
    assert all(q.help_id.endswith(".explain") for q in w.questions)


def test_insurance_shows_the_qualification_and_sends_only_status_and_consent(
    store: Store,
) -> None:
    svc = services(store)
    w = walk(svc, "insurance", INSURANCE)
    receipt = submit(svc, "insurance", w.answers)
    assert receipt.lines[0].message_id == "insurance.validity.1"
    fields = [line.message_id for line in lines_of(receipt, "field")]
    assert "insurance.field.insurer" in fields and "insurance.field.copayment" in fields
    notes = [line.message_id for line in lines_of(receipt, "note")]
    assert "insurance.consent.medication" in notes
    assert "insurance.consent.health-check" not in notes
    payload = envelope(store, receipt.reference)["payload"]
    assert isinstance(payload, dict)
    jsonschema.validate(payload, json.loads((SCHEMAS / "insurance.v1.json").read_text()))
    assert payload["consent"]["items"] == ["medication"]
    assert payload["qualification"]["usable"] is True
    assert HOLDER.name not in json.dumps(payload, ensure_ascii=False)


@pytest.mark.parametrize("case", ["invalid", "invalid-new", "not-found", "multiple"])
def test_insurance_never_reads_as_uninsured(store: Store, case: str) -> None:
    source = DemoQualificationSource()
    source.use_case(case)
    svc = Visits(SiteServices(store.settings, store, clock=SiteClock(), qualification=source,
                              disasters=DISASTERS))  # fmt: skip
    receipt = submit(svc, "insurance", {"consent.medication": "no", "consent.health-check": "no"})
    assert receipt.lines[0].message_id.startswith("insurance.validity.")
    notes = [line.message_id for line in lines_of(receipt, "note")]
    assert {"insurance.route.certificate", "insurance.route.staff"} <= set(notes)
    assert "services.consent.none" in notes
    assert receipt.next_steps == (
        "procedures.next.insurance.certificate", "procedures.next.insurance.staff"
    )  # fmt: skip


def test_insurance_without_a_qualification_source_offers_the_certificate_route(
    store: Store,
) -> None:
    svc = Visits(SiteServices(store.settings, store, clock=SiteClock(), disasters=DISASTERS))
    receipt = submit(svc, "insurance", INSURANCE)
    assert receipt.lines[0].message_id == "insurance.outcome.unreadable"


def test_insurance_without_a_card_goes_to_the_counter(store: Store) -> None:
    svc = services(store)
    assert svc.next_question("insurance", None, {}) is None
    assert paper(svc, "insurance", {}, holder=None, method="staff") == "services.insurance.no-card"
    assert svc.pdfs == ()  # nothing to print: the insurance card route at the counter


# -- take-home documents ------------------------------------------------------------------------


def test_receipt_and_data_use_receipt_are_written_and_deleted_when_the_visit_ends(
    store: Store,
) -> None:
    svc = services(store)
    receipt = submit(svc, "risai", walk(svc, "risai", RISAI_SITE).answers, method="face")
    assert receipt.printed is False  # no [printer] name: PDFs only
    pdfs = svc.pdfs
    names = sorted(p.name for p in pdfs)
    assert names == [f"data-use-{receipt.reference}.pdf", f"receipt-{receipt.reference}.pdf"]
    assert all(p.is_relative_to(store.data.tmp) for p in pdfs)
    assert all(p.stat().st_mode & 0o077 == 0 for p in pdfs)
    slip = pdf_text(pdfs[1])
    assert receipt.reference in slip and norm("罹災証明書") in slip
    data_use = pdf_text(pdfs[0])
    assert norm(RESPONSIBLE) in data_use
    assert norm("氏名") in data_use and norm("住所") in data_use
    assert norm("顔写真") in data_use  # face path: the card photo was read, then discarded
    assert HOLDER.name.replace("\u3000", "") not in data_use  # what was read, not its content
    svc.visit_ended()
    assert svc.pdfs == () and not any(p.exists() for p in pdfs)
    assert list(store.data.tmp.iterdir()) == []


def test_support_check_prints_its_result_sheet(store: Store) -> None:
    svc = services(store)
    receipt = submit(svc, "support-check", SUPPORT)
    sheet = next(p for p in svc.pdfs if p.name.startswith("result-"))
    assert "3,000,000" in pdf_text(sheet)
    assert receipt.reference in sheet.name


def test_the_pre_filled_form_prints_from_any_question(store: Store) -> None:
    svc = services(store)
    outcome = svc.print_form("higai", HOLDER, {"applying_for": "self", "disaster": "typhoon"}, "en")
    assert outcome.printed is False and outcome.pdf in svc.pdfs
    text = pdf_text(outcome.pdf)
    assert norm(HOLDER.address) in text and norm("令和8年台風第15号") in text


# -- taps ---------------------------------------------------------------------------------------

TYPICAL = {
    "risai (site survey)": ("risai", RISAI_SITE),
    "risai (self-assessment, 6 photos)": ("risai", RISAI_SELF),
    "higai (one item)": ("higai", HIGAI),
    "support-check": ("support-check", SUPPORT),
    "insurance": ("insurance", INSURANCE),
}


def test_questions_and_taps_per_procedure(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    counts = {}
    for label, (procedure, picks) in TYPICAL.items():
        w = walk(services(store), procedure, picks)
        counts[label] = (len(w.questions), w.taps)
    with capsys.disabled():
        for label, (n, taps) in counts.items():
            print(f"\n  {label}: {n} questions, {taps} taps")
    assert counts["insurance"] == (2, 2)
    assert counts["risai (site survey)"] == (9, 20)  # 8 choices + 11 digits + 決定
    assert counts["higai (one item)"][0] <= 8
    assert counts["support-check"] == (9, 10)  # 8 taps + 1 digit + 決定


# -- through the session ------------------------------------------------------------------------


class View:
    """Records pages and messages the session shows."""

    def __init__(self) -> None:
        self.pages: list[Page] = []
        self.messages: list[tuple[str, dict[str, object]]] = []

    def show_page(self, page: Page) -> None:
        self.pages.append(page)

    def show_message(self, message_id: str, **params: object) -> None:
        if message_id:
            self.messages.append((message_id, params))

    def show_timeout_warning(self, seconds_left: int) -> None: ...

    def hide_timeout_warning(self) -> None: ...

    def show_staff_call(self, active: bool) -> None: ...

    def show_card_away(self, active: bool) -> None: ...

    def show_face_check(self, running: bool) -> None: ...

    def apply_language(self, language: str) -> None: ...

    def session_wiped(self) -> None: ...


def test_a_whole_visit_asks_again_submits_shows_the_result_and_wipes_the_printouts(
    store: Store,
) -> None:
    world = World()
    svc = services(store).svc
    ports = dataclasses.replace(world.ports(), procedures=svc, desk=svc)
    session = SessionMachine(ports, ("risai", "support-check"))
    view = View()
    session.attach(view)
    world.reader.card = FakeCard(dataclasses.replace(HANAKO))
    session.card_inserted()
    session.choose_method("pin")
    session.enter_pin(HANAKO.pin)
    session.confirm_identity(True)
    session.choose_procedure("risai")
    for qid, value in RISAI_SITE.items():
        q = session.question()
        assert q is not None and q.id == qid
        session.answer("0120" if qid == "phone" else value)
    q = session.question()
    assert q is not None and q.id == "phone"  # asked again, with the reason on the page
    assert view.messages[-1] == ("procedures.error.phone-digits", {"count": 4})
    session.answer(RISAI_SITE["phone"])
    assert session.page is Page.REVIEW
    assert [i.label_id for i in session.review_items()].count("services.question.phone") == 1
    session.review_ok()
    session.give_consent(True)
    assert session.page is Page.RECEIPT
    receipt = session.receipt
    assert receipt is not None and store.references() == [receipt.reference]
    visit = session.visit
    assert len(visit.printouts.pdfs) == 2
    session.another_procedure()
    session.choose_procedure("support-check")
    for value in SUPPORT.values():
        session.answer(value)
    session.review_ok()
    session.give_consent(True)
    receipt = session.receipt
    assert receipt is not None and receipt.lines[1].message_id == "rules.result.likely"
    # Sectoral separation: nothing of the 罹災証明書 request travels with the support check.
    support = json.dumps(envelope(store, receipt.reference), ensure_ascii=False)
    for fact in (RISAI_SITE["phone"], "roof", HANAKO.holder.name, HANAKO.holder.address):
        assert fact not in support
    assert len(visit.printouts.pdfs) == 5  # two receipts, two data-use receipts, one result sheet
    session.finish()
    assert visit.printouts.pdfs == () and list(store.data.tmp.iterdir()) == []


def test_insurance_reads_the_clinic_terminal_folder_from_the_settings(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    settings = dataclasses.replace(
        store.settings, insurance=InsuranceSettings(results_folder=str(folder))
    )
    svc = Visits(SiteServices(settings, store, clock=SiteClock(), disasters=DISASTERS))
    receipt = submit(svc, "insurance", INSURANCE)
    assert receipt.lines[0].message_id == "insurance.outcome.waiting"  # nothing written yet
    folder.rmdir()
    with pytest.raises(KnownError) as e:  # an unmounted share is an environment fault
        submit(svc, "insurance", INSURANCE)
    assert e.value.message_id == "insurance.folder-unavailable"


@pytest.mark.parametrize(
    ("answers", "argv"),
    [
        ({**SUPPORT, "household": "1"},
         ["--grade", "zenkai", "--household", "1", "--plan", "build"]),
        ({**SUPPORT, "grade": "hankai", "demolished": "yes", "plan": "repair"},
         ["--grade", "hankai", "--household", "2", "--plan", "repair", "--demolished"]),
        ({**SUPPORT, "grade": "chukibo-hankai", "demolished": "no", "plan": "rent"},
         ["--grade", "chukibo-hankai", "--household", "2", "--plan", "rent"]),
        ({**SUPPORT, "grade": "chukibo-hankai", "demolished": "yes", "plan": "build"},
         ["--grade", "chukibo-hankai", "--household", "2", "--plan", "build", "--demolished"]),
        ({**SUPPORT, "grade": "jun-hankai", "demolished": "yes", "site_damage": "yes",
          "plan": "build"},
         ["--grade", "jun-hankai", "--household", "2", "--plan", "build", "--demolished",
          "--site-damage"]),
    ],
)  # fmt: skip
def test_the_session_path_agrees_with_kiosk_rules_estimate(
    store: Store, capsys: pytest.CaptureFixture[str], answers: dict[str, str], argv: list[str]
) -> None:
    """A clerk checking a case with the command sees the amount the resident saw."""
    svc = services(store)
    w = walk(svc, "support-check", answers)
    receipt = submit(svc, "support-check", w.answers)
    shown = dict(lines_of(receipt, "result")[0].params)["amount"]
    typhoon = DISASTERS[0]
    rc = cli.main(["rules", "estimate", "--scheme", "rebuild-support", *argv,
                   "--disaster-date", typhoon.date.isoformat(), "--json"])  # fmt: skip
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert shown == f"{out['total_yen']:,}"
    stored = envelope(store, receipt.reference)["payload"]
    assert isinstance(stored, dict) and stored["estimates"][0]["total_yen"] == out["total_yen"]


def test_with_no_disaster_open_nothing_is_asked_and_the_counter_helps(store: Store) -> None:
    svc = services(store, disasters=[d for d in DISASTERS if d.id != "typhoon"])
    assert svc.next_question("higai", HOLDER, {}) is None
    assert refused(svc, "higai", {}) == "services.no-disaster"


# -- messages -----------------------------------------------------------------------------------

from kiosk.language import LANGUAGES  # noqa: E402

CATALOGS = Path(__file__).resolve().parents[3] / "assets" / "i18n"


def catalog() -> dict[str, dict[str, str]]:
    import tomllib

    out: dict[str, dict[str, str]] = {}
    for path in CATALOGS.glob("*.toml"):
        out.update(tomllib.loads(path.read_text(encoding="utf-8")))
    return out


def test_every_message_the_services_show_exists_in_seven_languages(store: Store) -> None:
    known = catalog()
    first = services(store).next_question("risai", HOLDER, {"applying_for": "self"})
    assert first is not None and first.id == "disaster"
    disaster_names = {c.message_id for c in first.choices}
    ids: set[str] = set()
    for procedure, picks in TYPICAL.values():
        svc = services(store)
        w = walk(svc, procedure, picks)
        for q in w.questions:
            ids |= {q.message_id, q.help_id, *(c.message_id for c in q.choices)}
        receipt = submit(svc, procedure, w.answers)
        ids |= {line.message_id for line in receipt.lines} | set(receipt.next_steps)
    flows = Path(__file__).resolve().parents[3] / "kiosk" / "flows"
    source = "".join(
        p.read_text(encoding="utf-8")
        for p in [flows / "services.py", *sorted((flows / "procedures").glob("*.py"))]
    )
    import re

    ids |= set(re.findall(r'"(services\.[a-z0-9.-]+)"', source)) - {
        "services.invalid", "services.print_failed", "services.audit_failed"  # log events
    }  # fmt: skip
    ids -= {""} | disaster_names
    missing = sorted(i for i in ids if i not in known)
    assert missing == []
    partial = sorted(i for i in ids if set(LANGUAGES) - set(known[i]))
    assert partial == []


# -- proxies ------------------------------------------------------------------------------------


def test_a_relative_in_the_household_applies_on_paper_without_a_letter(store: Store) -> None:
    svc = services(store)
    picks = {**RISAI_SELF, "applying_for": "other", "relationship": "child",
             "same_household": "yes"}  # fmt: skip
    w = walk(svc, "risai", picks)
    assert w.ids[:4] == ["applying_for", "disaster", "relationship", "same_household"]
    assert "property_here" not in w.ids  # the card's address is the proxy's, not the home's
    assert not [q for q in w.questions if q.kind == "photo"]  # the request goes on paper
    assert paper(svc, "risai", w.answers) == "services.paper.proxy"
    assert store.references() == []
    (form,) = svc.pdfs
    text = pdf_text(form)
    assert norm(HOLDER.name) in text and norm("子") in text  # the proxy, and how related
    assert norm(HOLDER.address) in text


def test_anyone_else_gets_a_letter_of_authorisation_to_sign(store: Store) -> None:
    svc = services(store)
    picks = {**HIGAI, "applying_for": "other", "relationship": "not-relative"}
    w = walk(svc, "higai", picks)
    assert "same_household" not in w.ids and "item.1.photo" not in w.ids
    assert paper(svc, "higai", w.answers) == "services.paper.proxy-letter"
    names = sorted(p.name for p in svc.pdfs)
    assert names == ["form-higai.pdf", "letter-higai.pdf"]
    letter = pdf_text(next(p for p in svc.pdfs if p.name.startswith("letter")))
    assert norm("委任状") in letter and norm(HOLDER.name) in letter


class StillFrame:
    def __init__(self, rgb: object) -> None:
        self.rgb = rgb


class LiveFrames:
    """Stands in for the running kiosk camera: the newest frame, or None before the first."""

    def __init__(self) -> None:
        self.frame: StillFrame | None = None

    def latest(self) -> StillFrame | None:
        return self.frame


def test_camera_stills_turn_the_newest_frame_into_a_jpeg(store: Store) -> None:
    import io

    import numpy as np
    from PIL import Image

    live = LiveFrames()
    stills = CameraStills(live)
    with pytest.raises(KnownError) as e:
        stills.capture_jpeg()
    assert e.value.message_id == "services.camera-unavailable"
    rgb = np.zeros((48, 64, 3), dtype=np.uint8)
    rgb[:, :, 0] = 200
    live.frame = StillFrame(rgb)
    svc = Visits(
        SiteServices(store.settings, store, clock=SiteClock(), disasters=DISASTERS, camera=stills)
    )
    token = svc.take_photo("photo.front")
    data = svc.photo("photo.front")
    assert token and data is not None and data[:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (64, 48) and img.getpixel((10, 10))[0] > 180  # type: ignore[index]


def test_a_missing_printer_never_undoes_a_stored_submission(store: Store) -> None:
    settings = dataclasses.replace(
        store.settings, printer=dataclasses.replace(store.settings.printer, name="no-such-printer")
    )
    svc = Visits(SiteServices(settings, store, clock=SiteClock(), disasters=DISASTERS, demo=True))
    receipt = submit(svc, "insurance", INSURANCE)
    assert receipt.printed is False and store.references() == [receipt.reference]
    assert len(svc.pdfs) == 2  # written before the print failed; still removed at the end
    svc.visit_ended()
    assert svc.pdfs == () and list(store.data.tmp.iterdir()) == []


def test_what_the_resident_shares_with_the_clinic_is_audited_with_the_submission(
    store: Store,
) -> None:
    """One event per happening: the consent items shared are categories of
    `submission.created`, written by the store in the submit transaction; the services write
    no consent event of their own (the session writes the one `consent.given`)."""
    svc = services(store)
    receipt = submit(svc, "insurance", INSURANCE, method="face")
    declined = {"consent.medication": "no", "consent.health-check": "no"}
    second = submit(svc, "insurance", declined)
    created = [e for e in store.audit_entries() if e.event == "submission.created"]
    assert [(e.session_id, e.categories, e.fields["reference"]) for e in created] == [
        (svc.visit.id, ("insurance.qualification", "medication"), receipt.reference),
        (svc.visit.id, ("insurance.qualification",), second.reference),
    ]
    assert not [e for e in store.audit_entries() if e.event.startswith("consent.")]


def test_a_retry_of_the_same_review_screen_files_once(store: Store) -> None:
    svc = services(store)
    w = walk(svc, "support-check", SUPPORT)
    svc.visit.submission_key = "k" * 24  # made by the session when the review screen shows
    first = submit(svc, "support-check", w.answers)
    again = submit(svc, "support-check", w.answers)
    assert again.reference == first.reference and store.references() == [first.reference]
    events = [e.event for e in store.audit_entries()]
    assert events.count("submission.created") == 1


def test_receipts_handed_out_are_audited_without_content(store: Store) -> None:
    svc = services(store)
    visit = svc.visit.id
    receipt = submit(svc, "support-check", SUPPORT)
    exports = [e for e in store.audit_entries() if e.event == "export"]
    assert [(e.session_id, e.purpose, dict(e.fields)) for e in exports] == [
        (visit, "support-check", {"what": "receipt", "reference": receipt.reference,
                                  "outcome": "ok"}),
        (visit, "support-check", {"what": "data_use_receipt", "reference": receipt.reference,
                                  "outcome": "ok"}),
    ]  # fmt: skip
