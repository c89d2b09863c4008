"""The voice forgets the resident with the visit: the read-back (name, birth date) is said
as personal, so a caching speaker keeps no audio of it, and the window's record of what was
said, and the speaker's cache, are dropped when the visit is wiped."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.flows.session import Page
from kiosk.ui.i18n import Translations
from kiosk.ui.main_window import ForgetfulSpeech
from tests.helpers.kiosk_ui import Kiosk
from tests.helpers.session import HANAKO, Speech


class CachingSpeech(Speech):
    """Like the real Speaker: texts not marked personal are cached until forget()."""

    def __init__(self) -> None:
        super().__init__()
        self.cache: list[str] = []
        self.personal: list[str] = []

    def say(self, text: str, language: str, *, personal: bool = False) -> None:
        super().say(text, language)
        (self.personal if personal else self.cache).append(text)

    def forget(self) -> None:
        self.cache.clear()


def test_read_back_is_personal_and_forgotten(qtbot: QtBot, translations: Translations) -> None:
    speech = CachingSpeech()
    assert isinstance(speech, ForgetfulSpeech)
    k = Kiosk(qtbot, translations.use, speech=speech)  # the window's voice, as kiosk.app passes
    k.place(HANAKO)
    k.tap("methodPin")
    k.keypad(HANAKO.pin, "pinKeypad")
    assert k.page is Page.READBACK
    surname = HANAKO.holder.name.split("\u3000")[0]
    assert any(surname in text for text in speech.personal)  # said, but as personal
    assert not any(surname in text for text in speech.cache)
    assert any(surname in text for _, text in k.window.spoken)
    k.tap("readbackYes")
    k.tap("servicesFinish")
    k.take()
    QApplication.processEvents()
    assert k.page is Page.WELCOME
    assert not any(surname in text for _, text in k.window.spoken)
    assert all(surname not in text for text in speech.cache)
