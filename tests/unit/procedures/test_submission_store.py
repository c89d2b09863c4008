"""A procedure's submission through the real store: envelope and payload schemas both hold."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from kiosk.config import Settings
from kiosk.flows.procedures import support_check as sc
from kiosk.flows.procedures.common import PhotoKind
from kiosk.flows.procedures.risai import Damage, DamagedPart, RisaiRequest
from kiosk.flows.rules import DamageGrade, Plan, RuleBook
from kiosk.paths import DataDir
from kiosk.store import Store, Submission, new_session_id
from tests.helpers.procedures import DISASTERS, NOW, Camera, me

SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "schema"


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@pytest.fixture
def store(data_dir: Path):  # type: ignore[no-untyped-def]
    with Store.open(DataDir(data_dir), Settings()) as s:
        yield s


def check_envelope(store: Store, sub: Submission) -> dict:
    receipt = store.submit(sub, session_id=new_session_id())
    doc = store.read(receipt.reference)
    jsonschema.validate(doc, schema("submission-envelope.v1.json"))
    jsonschema.validate(doc["payload"], schema(f"{doc['kind']}.v{doc['schema_version']}.json"))
    return doc


def test_risai_with_photos_goes_through_the_store(store: Store) -> None:
    r = RisaiRequest(applicant=me(), disaster_id="typhoon", dwelling=True, phone="0312345678")
    r.damage = Damage(parts={DamagedPart.ROOF}, resident_says_light=True)
    r.survey = "self"
    r.self_assessment_consent = True
    cam = Camera()
    for kind in (PhotoKind.FRONT, PhotoKind.BACK, PhotoKind.LEFT, PhotoKind.RIGHT,
                 PhotoKind.CLOSEUP):  # fmt: skip
        r.photos.take(cam, kind, NOW)
    assert r.problems(DISASTERS, NOW.date()) == []
    sub = r.to_submission(DISASTERS, NOW, kiosk_id="kiosk-01", language="ja",
                          idempotency_key="risai-test-0001")  # fmt: skip
    doc = check_envelope(store, sub)
    got = [hashlib.sha256(base64.b64decode(a["data"])).hexdigest() for a in doc["attachments"]]
    assert got == [p["sha256"] for p in doc["payload"]["photos"]]


def test_support_check_goes_through_the_store(store: Store) -> None:
    a = sc.SupportAnswers(grade=DamageGrade.ZENKAI, household=2, plan=Plan.REPAIR)
    result = sc.results(a, RuleBook.load(on=NOW.date()), disaster=DISASTERS[0])
    body = sc.payload(a, result, NOW, kiosk_id="kiosk-01", language="ja", disaster=DISASTERS[0])
    doc = check_envelope(
        store, Submission("support-check", 1, body, idempotency_key="support-test-0001",
                          categories=("damage.report", "household"))
    )  # fmt: skip
    assert doc["payload"]["estimates"][0]["total_yen"] == 2_000_000
