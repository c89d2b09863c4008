"""被災証明書 request: items with photos, validation, payload."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from kiosk.flows.procedures.common import PhotoKind
from kiosk.flows.procedures.higai import DamagedItem, HigaiRequest, ItemDamage, ItemKind
from tests.helpers.procedures import DISASTERS, NOW, TODAY, me, still

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "schema" / "higai.v1.json").read_text()
)


def ready() -> HigaiRequest:
    r = HigaiRequest(applicant=me(), disaster_id="typhoon", phone="0312345678")
    car = DamagedItem(ItemKind.VEHICLE, {ItemDamage.FLOODED}, vehicle_registration="品川500あ1234")
    i = r.add_item(car)
    r.photos.add(PhotoKind.ITEM, still(), NOW, item=i)
    return r


def ids(r: HigaiRequest) -> list[str]:
    return [p.message_id for p in r.problems(DISASTERS, TODAY)]


def test_complete_request_matches_the_schema() -> None:
    r = ready()
    assert ids(r) == []
    body = r.payload(DISASTERS, NOW, kiosk_id="k", language="vi")
    jsonschema.validate(body, SCHEMA)
    assert body["items"][0]["vehicle_registration"] == "品川500あ1234"
    assert body["items"][0]["location"] == me().address
    assert body["photos"][0]["item"] == 0


def test_every_item_needs_damage_and_a_photo() -> None:
    r = ready()
    r.add_item(DamagedItem(ItemKind.OUTBUILDING))
    problems = r.problems(DISASTERS, TODAY)
    assert [(p.field, p.message_id) for p in problems] == [
        ("items[1].damage", "procedures.error.damage-required"),
        ("items[1].photos", "procedures.error.item-photo-missing"),
    ]
    assert problems[1].params["number"] == 2


def test_no_items_is_a_problem() -> None:
    r = HigaiRequest(applicant=me(), disaster_id="typhoon", phone="0312345678")
    assert ids(r) == ["procedures.error.items-required"]


def test_removing_an_item_renumbers_the_photos_of_later_items() -> None:
    r = ready()
    j = r.add_item(DamagedItem(ItemKind.HOUSEHOLD_GOODS, {ItemDamage.BROKEN}))
    r.photos.add(PhotoKind.ITEM, still((9, 9, 9)), NOW, item=j)
    second = r.photos.of_kind(PhotoKind.ITEM, item=1)[0].sha256
    r.remove_item(0)
    assert len(r.items) == 1 and r.items[0].kind is ItemKind.HOUSEHOLD_GOODS
    assert [p.sha256 for p in r.photos.of_kind(PhotoKind.ITEM, item=0)] == [second]
    assert ids(r) == []


def test_disaster_and_phone_checks_apply_here_too() -> None:
    r = ready()
    r.disaster_id = "closed"
    r.phone = "03-1234"
    assert ids(r) == ["procedures.error.disaster-not-active", "procedures.error.phone-digits"]


def test_submission_categories_and_attachments() -> None:
    r = ready()
    sub = r.to_submission(DISASTERS, NOW, kiosk_id="k", language="ja", idempotency_key="abcdefgh2")
    assert sub.kind == "higai"
    assert len(sub.attachments) == 1
    assert "damage.photos" in sub.categories
