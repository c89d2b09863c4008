"""The assembled kiosk in-process: real pcscd, the virtual card in the demo slot, the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk
from kiosk.config import CardSettings, SessionSettings, Settings, UiSettings
from kiosk.devices.card.virtual.profile import CardProfile
from kiosk.devices.card.virtual.slot import vpcd_reader_name
from kiosk.flows.session import Page
from kiosk.paths import DataDir
from kiosk.ui.i18n import Translations
from tests.helpers.card import ALL_PROFILES, PROFILE_IDS
from tests.helpers.pcscd import VPCD_PORTS, _reader_is_empty

pytestmark = pytest.mark.pcscd


@pytest.fixture
def kiosk(pcscd: object, data_dir: Path, translations: Translations) -> Iterator[Kiosk]:
    port = next(p for p in VPCD_PORTS if _reader_is_empty(vpcd_reader_name(p)))
    # The shortest grace a site may set: a lifted card ends the visit once it has run out.
    settings = Settings(
        card=CardSettings(vpcd_port=port),
        ui=UiSettings(voice=False),
        session=SessionSettings(card_grace_s=10),
    )
    k = Kiosk.assemble(settings, DataDir(data_dir).ensure(), "on", translations)
    yield k
    k.close()


def test_card_on_reading_then_removed_drops_the_visit(qtbot: QtBot, kiosk: Kiosk) -> None:
    assert kiosk.slot is not None and kiosk.tray is not None
    assert kiosk.current_page() == "welcome"
    kiosk.tray.select("hanako")
    kiosk.tray.insert_selected()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.CHOOSE_METHOD, timeout=20_000)
    assert kiosk.window.stack.currentWidget().objectName() != ""
    kiosk.tray.remove_card()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.WELCOME, timeout=20_000)
    assert kiosk.session.readback() is None and kiosk.session.visit.holder is None


def test_a_card_that_is_not_a_my_number_card_goes_to_a_person(qtbot: QtBot, kiosk: Kiosk) -> None:
    assert kiosk.tray is not None
    kiosk.tray.select("transit")
    kiosk.tray.insert_selected()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.HANDOFF, timeout=20_000)
    assert kiosk.session.visit.ticket  # a numbered ticket for the counter, no personal data
    notice = kiosk.window.notice.text()
    assert notice and not notice.startswith("card.")  # told in words, not as a message id
    kiosk.tray.remove_card()


@pytest.mark.parametrize(
    ("scene", "proven"), [("face.demo.resident", True), ("face.demo.printed_photo", False)]
)
@pytest.mark.parametrize("profile", ALL_PROFILES, ids=PROFILE_IDS)
def test_face_path_with_the_demo_camera(
    qtbot: QtBot, kiosk: Kiosk, scene: str, proven: bool, profile: CardProfile
) -> None:
    """照合番号B opens the card face; the live face is matched against the chip's photo.
    On each card profile: the kiosk reads every layout the public record allows."""
    assert kiosk.tray is not None and kiosk.slot is not None
    kiosk.slot.use_profile(profile)
    kiosk.tray.select("hanako")
    kiosk.tray.insert_selected()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.CHOOSE_METHOD, timeout=20_000)
    kiosk.session.choose_method("face")
    assert kiosk.session.page is Page.PIN_B
    kiosk.session.enter_pin_b("16030520332285")
    qtbot.waitUntil(lambda: kiosk.session.page is Page.FACE, timeout=20_000)
    kiosk.tray.choose_camera_source(scene)
    kiosk.session.start_face_check()
    if proven:
        qtbot.waitUntil(lambda: kiosk.session.page is Page.READBACK, timeout=60_000)
        assert kiosk.session.visit.holder is not None
    else:
        qtbot.waitUntil(lambda: not kiosk.session.visit.face_running, timeout=60_000)
        assert kiosk.session.page is Page.FACE  # another attempt is offered, nothing locked
        assert kiosk.session.visit.holder is None
    kiosk.tray.remove_card()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.WELCOME, timeout=20_000)


def test_the_demo_camera_reads_pin_b_off_the_card_front(qtbot: QtBot, kiosk: Kiosk) -> None:
    """No typing: the card front lies under the camera, OCR reads 照合番号B and opens the card
    face, then the camera turns to the resident for the face check."""
    assert kiosk.tray is not None
    kiosk.tray.select("hanako")
    kiosk.tray.insert_selected()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.CHOOSE_METHOD, timeout=20_000)
    kiosk.session.choose_method("face")
    assert kiosk.session.page is Page.PIN_B and kiosk.session.can_read_card_front()
    kiosk.tray.choose_camera_source("face.demo.nobody")
    kiosk.session.read_card_front()  # nothing under the camera: back to the keypad, told why
    qtbot.waitUntil(lambda: kiosk.session.page is Page.PIN_B, timeout=30_000)
    assert kiosk.window.notice.text()
    kiosk.tray.choose_camera_source("face.demo.card_front")
    kiosk.session.read_card_front()
    # Shown to be confirmed before it is sent: the card counts wrong 照合番号B.
    qtbot.waitUntil(lambda: kiosk.session.front_read() is not None, timeout=30_000)
    shown = kiosk.window.findChild(QLabel, "pinBRead")
    assert shown.isVisibleTo(kiosk.window) and "昭和16年3月5日" in shown.text()
    assert "2285" in shown.text()
    assert not kiosk.window.findChild(QWidget, "pinBKeypad").isVisibleTo(kiosk.window)
    qtbot.mouseClick(
        kiosk.window.findChild(QPushButton, "pinBReadRight"), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: kiosk.session.page is Page.FACE, timeout=30_000)
    assert not shown.text()  # the page forgets what it showed
    assert kiosk.session.visit.photo is not None  # the chip's photo, opened with what was read
    kiosk.tray.choose_camera_source("face.demo.resident")
    kiosk.session.start_face_check()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.READBACK, timeout=60_000)
    kiosk.tray.remove_card()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.WELCOME, timeout=20_000)


def test_a_clerk_signs_in_with_the_staff_card_on_the_other_reader(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    """The demo's staff card is tapped on vpcd's second reader: the resident's card stays on
    the first, the card chooses the clerk's id, and the clerk's PIN signs in."""
    assert kiosk.tray is not None and kiosk.slot is not None
    kiosk.tray.select("hanako")
    kiosk.tray.insert_selected()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.CHOOSE_METHOD, timeout=20_000)
    kiosk.session.choose_method("staff")
    assert kiosk.session.page is Page.STAFF_SIGNIN and kiosk.session.can_use_staff_card()
    hint = kiosk.window.findChild(QLabel, "signinCardHint")
    assert hint.isVisibleTo(kiosk.window) and hint.text()
    kiosk.tray.select("staffcard")
    kiosk.tray.insert_selected()
    qtbot.waitUntil(lambda: kiosk.session.staff_card_holder == "demo-clerk", timeout=20_000)
    assert kiosk.session.page is Page.STAFF_SIGNIN and kiosk.session.visit.staff is None
    assert kiosk.window.findChild(QPushButton, "staff_demo-clerk").isChecked()
    assert kiosk.session.staff_sign_in("demo-clerk", "1111")
    qtbot.waitUntil(lambda: kiosk.session.page is Page.PIN_B, timeout=20_000)
    staff = kiosk.session.visit.staff
    assert staff is not None and (staff.id, staff.role) == ("demo-clerk", "clerk")
    assert kiosk.slot.inserted == "hanako"  # the resident's card never moved
    qtbot.wait(2500)  # the staff card is taken away again: the visit goes on
    assert kiosk.session.page is Page.PIN_B and kiosk.session.visit.staff is not None
    kiosk.tray.remove_card()
    qtbot.waitUntil(lambda: kiosk.session.page is Page.WELCOME, timeout=20_000)
