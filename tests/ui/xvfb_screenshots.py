"""Run by tests/ui/test_screenshots.py in a child pytest on a private Xvfb display (not
collected on its own): every page in a real xcb window at 1920×1080, grabbed from the X
screen into docs/screenshots/<language>/<page>.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.flows.session import Page
from kiosk.ui.i18n import Translations
from tests.helpers.kiosk_ui import Kiosk
from tests.helpers.screen_walk import PANELS, to_card_front_reading, walk, walk_panels
from tests.helpers.session import Deferred, World

SHOTS = Path(
    os.environ.get("KIOSK_SHOTS", Path(__file__).resolve().parents[2] / "docs/screenshots")
)
LANGUAGES = ("ja", "en", "ja-easy")  # ja-easy: one set to show the furigana


def screen_grab(k: Kiosk, qtbot: QtBot) -> QImage:
    """The window's pixels as the X server shows them, once they match what Qt painted."""
    screen = k.window.screen()
    for _ in range(40):
        QApplication.processEvents()
        shot = screen.grabWindow(k.window.winId()).toImage()
        shot = shot.convertToFormat(QImage.Format.Format_RGB32)
        painted = k.window.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        if shot == painted:
            return shot
        qtbot.wait(50)  # the X server has not drawn the last paint yet
    raise AssertionError(f"{k.page}: the screen never showed what Qt painted")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_on_a_real_screen(
    qtbot: QtBot, translations: Translations, language: str
) -> None:
    assert QApplication.platformName() == "xcb", "run me on an X display (Xvfb)"
    # As at a real kiosk with a camera: the 照合番号B page offers to read the card front.
    k = Kiosk(qtbot, translations.use, World(defer=Deferred(), card_front=True))
    k.session.set_language(language)
    k.session.default_language = language  # so a wiped visit stays in this language
    k.window.setGeometry(0, 0, 1920, 1080)
    k.activate()  # the kiosk's window has the focus, so the focused control shows its outline
    saved: dict[Page, Path] = {}

    def shoot() -> None:
        if k.page in saved:
            return
        image = screen_grab(k, qtbot)
        assert (image.width(), image.height()) == (1920, 1080)
        path = SHOTS / language / f"{k.page.value}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        assert image.save(str(path)), path
        saved[k.page] = path

    walk(k, shoot)
    assert set(saved) == set(Page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_card_front_reading_on_a_real_screen(
    qtbot: QtBot, translations: Translations, language: str
) -> None:
    """The 照合番号B page asking to confirm what the camera read off the card front."""
    k = Kiosk(qtbot, translations.use, World(card_front=True))
    k.session.set_language(language)
    k.window.setGeometry(0, 0, 1920, 1080)
    k.activate()
    to_card_front_reading(k)
    image = screen_grab(k, qtbot)
    assert image.save(str(SHOTS / language / "pin_b_confirm.png"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_panel_on_a_real_screen(
    qtbot: QtBot, translations: Translations, language: str
) -> None:
    k = Kiosk(qtbot, translations.use, World())
    k.session.set_language(language)
    k.window.setGeometry(0, 0, 1920, 1080)
    k.activate()
    saved: list[str] = []

    def shoot(panel: str) -> None:
        image = screen_grab(k, qtbot)
        assert image.save(str(SHOTS / language / f"panel_{panel}.png"))
        saved.append(panel)

    walk_panels(k, shoot)
    assert tuple(saved) == PANELS
