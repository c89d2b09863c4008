"""The window over the real procedures (SiteServices, a real encrypted store in a temporary data
dir): every procedure from card on reader to receipt, taps and screens counted for the report
(docs/taps-real.json)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.config import Settings, SiteSettings
from kiosk.flows.services import SiteServices
from kiosk.flows.session import Page
from kiosk.paths import DataDir
from kiosk.store import Store
from kiosk.ui.i18n import Translations
from tests.helpers.kiosk_ui import Kiosk
from tests.helpers.procedures import DISASTERS, Camera
from tests.helpers.session import HANAKO

JST = timezone(timedelta(hours=9))
TAPS_FILE = Path(__file__).resolve().parents[2] / "docs" / "taps-real.json"

# What a resident answers (a photo question takes a photo; anything not listed: first choice).
ANSWERS = {
    "risai": {"disaster": "typhoon", "property_here": "yes", "dwelling": "yes",
              "flooding": "none", "damage.1": "roof", "damage.2": "none", "light": "no",
              "phone": "09012345678"},
    "higai": {"disaster": "typhoon", "property_here": "yes", "item.1.kind": "vehicle",
              "item.1.damage": "flooded", "item.2.kind": "none", "phone": "0312345678"},
    "support-check": {"has_certificate": "yes", "grade": "zenkai", "household": "2",
                      "long_term_evacuation": "no", "plan": "build", "rented_first": "no",
                      "death": "no", "disability": "no", "injured": "no", "goods_lost": "no",
                      "dwelling_lost": "no", "wants_loan_check": "no"},
    "insurance": {"consent.medication": "yes", "consent.health-check": "no"},
}  # fmt: skip


class SiteClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 22, 9, 30, tzinfo=JST)

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return 0.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    settings = dataclasses.replace(Settings(), site=SiteSettings(kiosk_id="kiosk-07"))
    with Store.open(DataDir(tmp_path / "data"), settings) as s:
        yield s


def answer_everything(k: Kiosk, procedure: str) -> None:
    picks = ANSWERS[procedure]
    for _ in range(40):
        if k.page is not Page.QUESTION:
            return
        q = k.session.question()
        assert q is not None
        assert not q.problem_id, f"{q.id} asked again: {q.problem_id}"
        if q.kind == "photo":
            k.tap("photoTake")
            k.tap("photoUse")
        elif q.kind == "number":
            k.keypad(picks[q.id], "answerKeypad")
        else:
            value = picks.get(q.id, q.choices[0].value)
            k.tap(f"choice_{value}")
    raise AssertionError("the questions never end")


@pytest.mark.parametrize("large_text", [False, True])
def test_every_procedure_card_to_receipt(
    qtbot: QtBot, translations: Translations, store: Store, large_text: bool
) -> None:
    counts: dict[str, dict[str, int]] = {}
    for procedure in ANSWERS:
        svc = SiteServices(
            store.settings, store, clock=SiteClock(), demo=True, disasters=DISASTERS,
            camera=Camera(),
        )  # fmt: skip
        k = Kiosk(qtbot, translations.use, offered=tuple(ANSWERS), procedures=svc)
        if large_text:
            k.tap("largeText")
        k.taps = 0
        k.place(HANAKO)
        k.tap("methodPin")
        k.keypad(HANAKO.pin, "pinKeypad")
        k.tap("readbackYes")
        k.tap(f"service_{procedure}")
        if k.page is Page.QUESTION:
            answer_everything(k, procedure)
        assert k.page is Page.REVIEW, (procedure, k.page, k.window.notice.text())
        k.tap("reviewOk")
        k.tap("consentYes")
        assert k.page is Page.RECEIPT, (procedure, k.window.notice.text())
        assert k.session.receipt is not None
        assert k.session.receipt.reference in store.references()
        counts[procedure] = {
            "taps": k.taps,
            "swipes": k.swipes,
            "screens": len(k.screens),
            "questions": len(k.session.visit.asked),
        }
        if not large_text:
            assert k.swipes == 0  # at the normal size everything needed is in sight
        visit = k.session.visit
        assert visit.printouts.pdfs != ()
        k.tap("receiptDone")
        k.take()
        assert visit.printouts.pdfs == ()  # the printouts of the visit are gone with it
        k.window.close()
    path = TAPS_FILE.with_name("taps-real-large-text.json") if large_text else TAPS_FILE
    path.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n", encoding="utf-8")
