"""Staff sign-in by keyboard or two-switch scan: every staff id can be reached (they were in a
QButtonGroup, which Qt gives Tab focus only as a whole), then the keys, then cancel; one id
is chosen at a time."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from kiosk.flows.session import Page
from kiosk.ui.i18n import Translations
from tests.helpers.kiosk_ui import Kiosk
from tests.helpers.session import World


def test_tab_reaches_every_staff_id_then_the_keys(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use, World())
    k.activate()
    k.tap("staffSignin")
    assert k.page is Page.STAFF_SIGNIN
    order: list[str] = []
    focused = QApplication.focusWidget()
    for _ in range(16):
        assert isinstance(focused, QWidget)
        order.append(focused.objectName())
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
    assert order[:4] == ["staff_clerk1", "staff_helper1", "staff_admin1", "key1"]
    assert order[4:12] == [f"key{d}" for d in "23456789"]
    assert "signinCancel" in order


def test_one_staff_id_at_a_time(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use, World())
    k.tap("staffSignin")
    k.tap("staff_clerk1")
    k.tap("staff_admin1")
    assert not k.button("staff_clerk1").isChecked() and k.button("staff_admin1").isChecked()
    k.tap("staff_admin1")  # tapped again: still chosen
    assert k.button("staff_admin1").isChecked()
    k.keypad("0000", "staffKeypad")
    assert k.session.staff is not None and k.page is Page.ADMIN
