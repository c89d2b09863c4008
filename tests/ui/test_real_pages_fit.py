"""The real procedures' questions, review and consent (SiteServices over a real store) pass
the same page checks as tests/ui/test_page_fit.py: at normal text nothing scrolls on the
1920×1080 screen; in large text nothing runs off the side. Four language and size pairs are
enough to hold it (the longest texts are English and Portuguese, the tallest やさしい日本語);
all seven were checked when the choices moved into ColumnFlow."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
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
from tests.ui.test_page_fit import page_problems
from tests.ui.test_real_procedures import ANSWERS, SiteClock


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    settings = dataclasses.replace(Settings(), site=SiteSettings(kiosk_id="kiosk-07"))
    with Store.open(DataDir(tmp_path / "data"), settings) as s:
        yield s


def procedure_problems(k: Kiosk, procedure: str, large: bool) -> list[str]:
    """Go through one procedure from the services page to the receipt, checking each page."""
    problems: list[str] = []

    def check() -> None:
        q = k.session.question() if k.page is Page.QUESTION else None
        where = f"{procedure} {q.id}" if q is not None else procedure
        problems.extend(f"{where}: {p}" for p in page_problems(k, large))

    k.tap(f"service_{procedure}")
    picks = ANSWERS[procedure]
    for _ in range(40):
        check()
        q = k.session.question() if k.page is Page.QUESTION else None
        if q is None:
            break
        if q.kind == "photo":
            k.tap("photoTake")
            k.tap("photoUse")
        elif q.kind == "number":
            k.keypad(picks[q.id], "answerKeypad")
        else:
            k.tap(f"choice_{picks.get(q.id, q.choices[0].value)}")
    assert k.page is Page.REVIEW, (procedure, k.page)
    k.tap("reviewOk")
    check()  # consent
    k.tap("consentYes")
    check()  # receipt
    return problems


@pytest.mark.parametrize(
    "language,large", [("ja", False), ("ja-easy", False), ("en", True), ("pt", True)]
)
def test_real_procedure_pages_fit(
    qtbot: QtBot, translations: Translations, store: Store, language: str, large: bool
) -> None:
    problems: list[str] = []
    for procedure in ANSWERS:
        svc = SiteServices(
            store.settings, store, clock=SiteClock(), demo=True, disasters=DISASTERS,
            camera=Camera(),
        )  # fmt: skip
        k = Kiosk(qtbot, translations.use, offered=tuple(ANSWERS), procedures=svc)
        k.session.set_language(language)
        if large:
            k.tap("largeText")
        k.place(HANAKO)
        k.tap("methodPin")
        k.keypad(HANAKO.pin, "pinKeypad")
        k.tap("readbackYes")
        problems += procedure_problems(k, procedure, large)
        k.tap("receiptDone")
        k.take()
        k.window.close()
    assert not problems, "\n".join(problems)
