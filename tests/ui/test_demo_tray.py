from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QLabel
from pytestqt.qtbot import QtBot

from kiosk.ui.demo_tray import DemoTray, TrayResident
from kiosk.ui.i18n import Translations


class Slot:
    """A card slot that remembers what was put in, like the virtual card's vpcd link."""

    def __init__(self) -> None:
        self.inserted: str | None = None
        self.history: list[str] = []

    def insert(self, resident_id: str) -> None:
        assert self.inserted is None, "a card is already in the slot"
        self.inserted = resident_id
        self.history.append(f"in:{resident_id}")

    def remove(self) -> None:
        assert self.inserted is not None
        self.history.append(f"out:{self.inserted}")
        self.inserted = None

    def tap(self, card_id: str) -> None:
        self.history.append(f"tap:{card_id}")


RESIDENTS = [
    TrayResident("hanako", "山田 花子 (valid)", "1234", "15040120302285"),
    TrayResident("blocked", "blocked PIN", "0000", "55021720352285"),
    TrayResident("staffcard", "職員証", "", "", tap=True),
]


def test_tray_places_swaps_and_removes_cards(qtbot: QtBot, translations: Translations) -> None:
    slot = Slot()
    sources: list[str] = []
    tray = DemoTray(
        RESIDENTS,
        slot,
        ["face.demo.nobody", "face.demo.resident", "face.demo.another_person"],
        sources.append,
        source_on_insert="face.demo.resident",
    )
    qtbot.addWidget(tray)
    assert tray.windowTitle() == "デモ用カードトレイ"
    assert "1234" in tray.findChild(QLabel, "demoSecrets").text()

    chooser = tray.findChild(QComboBox, "demoCamera")
    assert chooser.currentText() == "だれもいない"  # scenes are named in words, not ids

    tray.insert_selected()  # the card's holder steps in front of the camera
    assert sources == ["face.demo.resident"] and chooser.currentText().startswith("本人")
    tray.select("blocked")
    tray.insert_selected()  # swapping removes the first card before placing the next
    tray.remove_card()
    assert slot.history == ["in:hanako", "out:hanako", "in:blocked", "out:blocked"]
    assert sources == ["face.demo.resident"] * 2  # said again: the new card has new scenes

    chooser.setCurrentIndex(2)
    assert sources[-1] == "face.demo.another_person" == tray.camera_source()
    with pytest.raises(KeyError):
        tray.choose_camera_source("face.demo.unknown")


def test_tray_retranslates(qtbot: QtBot, translations: Translations) -> None:
    t = translations
    tray = DemoTray(RESIDENTS, Slot(), ["face.demo.nobody"])
    qtbot.addWidget(tray)
    t.use("en")
    qtbot.waitUntil(lambda: tray.windowTitle() == "Demo card tray")
    assert tray.findChild(QLabel, "demoSecrets").text().startswith("PIN 1234")
    assert tray.findChild(QComboBox, "demoCamera").itemText(0) == "Nobody"


def test_a_staff_card_is_tapped_and_leaves_the_residents_card_in(
    qtbot: QtBot, translations: Translations
) -> None:
    slot = Slot()
    tray = DemoTray(RESIDENTS, slot)
    qtbot.addWidget(tray)
    tray.insert_selected()
    tray.select("staffcard")
    assert tray.findChild(QLabel, "demoSecrets").text() == ""  # a staff card has no demo PIN
    tray.insert_selected()
    assert slot.history == ["in:hanako", "tap:staffcard"] and slot.inserted == "hanako"
