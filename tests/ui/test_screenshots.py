"""Screenshots of every page in 日本語 and English: docs/screenshots/<lang>/<page>.png.

Rendered offscreen with `widget.grab()`; the walk also proves every page can be reached.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.flows.session import Page
from kiosk.ui.i18n import Translations
from tests.helpers.kiosk_ui import Kiosk
from tests.helpers.session import HANAKO, Deferred, World

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def walk(k: Kiosk, shoot: object) -> None:
    """Visit every page once, calling shoot() on each."""
    snap = shoot  # type: ignore[assignment]
    snap()  # welcome
    k.world.defer.immediate = False
    k.place(HANAKO)
    snap()  # reading
    k.world.defer.run()
    k.world.defer.immediate = True
    snap()  # choose method
    k.tap("methodPin")
    snap()  # pin
    k.keypad("0000", "pinKeypad")
    k.keypad("0001", "pinKeypad")
    snap()  # last try
    k.tap("lastTryOther")
    k.tap("methodFace")
    snap()  # pin B
    k.keypad(HANAKO.pin_b, "pinBKeypad")
    snap()  # face
    k.tap("faceOther")
    k.tap("methodStaff")
    snap()  # staff sign-in
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    k.keypad(HANAKO.pin_b, "pinBKeypad")
    snap()  # staff check
    k.tap("reason_accessibility")
    snap()  # read-back
    k.tap("readbackYes")
    k.tap("staffSignOut")
    snap()  # services
    k.tap("service_risai")
    snap()  # question
    for name in ("choice_yes", "choice_roof", "choice_site"):
        k.tap(name)
    snap()  # review
    k.tap("reviewOk")
    snap()  # consent
    k.tap("consentYes")
    snap()  # receipt
    k.tap("receiptAnother")
    k.tap("staffSignin")
    k.tap("staff_helper1")
    k.keypad("1111", "staffKeypad")
    k.tap("service_insurance")
    snap()  # step away
    k.tap("residentAlone")
    k.tap("handoff")
    snap()  # hand-off
    k.tap("handoffDone")
    snap()  # take card
    k.take()
    k.place(HANAKO)
    k.tap("methodPin")
    k.keypad(HANAKO.pin, "pinKeypad")
    k.tap("readbackNo")
    snap()  # not me
    k.tap("notMeDone")
    k.take()
    k.tap("staffSignin")
    k.tap("staff_admin1")
    k.keypad("0000", "staffKeypad")
    snap()  # administrator's figures


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_rendered(qtbot: QtBot, translations: Translations, language: str) -> None:
    k = Kiosk(qtbot, translations.use, World(defer=Deferred()))
    k.session.set_language(language)
    k.session.default_language = language  # so a wiped visit stays in this language
    k.window.resize(1920, 1080)
    saved: dict[Page, Path] = {}

    def shoot() -> None:
        page = k.page
        if page in saved:
            return
        path = SHOTS / language / f"{page.value}.png"
        k.save(path)
        saved[page] = path

    walk(k, shoot)
    assert set(saved) == set(Page)
    for path in saved.values():
        assert path.stat().st_size > 10_000  # a real picture, not an empty grab
