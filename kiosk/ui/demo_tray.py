"""The demo card tray: a small panel beside the kiosk that places and removes virtual cards.

It stands in for the resident's hand on the reader and for what the camera sees, so a
newcomer can walk every case of `assets/demo/` without hardware. It is never shown at a real
site (the app builds it only in demo mode).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.ui.i18n import tr


class CardSlot(Protocol):
    """Where a virtual card goes in and out (the virtual card's vpcd connection)."""

    @property
    def inserted(self) -> str | None: ...

    def insert(self, resident_id: str) -> None: ...

    def remove(self) -> None: ...

    def tap(self, card_id: str) -> None:
        """Hold a card to its own reader for a moment (a staff card), leaving the resident's
        card where it is."""
        ...


@dataclass(frozen=True)
class TrayResident:
    """What the tray shows of a demo resident: the case and its demo-only secrets."""

    id: str
    label: str
    pin: str
    pin_b: str
    tap: bool = False  # a staff card: tapped on the staff reader, not placed in the slot


class DemoTray(QWidget):
    def __init__(
        self,
        residents: Sequence[TrayResident],
        slot: CardSlot,
        camera_sources: Sequence[str] = (),
        on_camera_source: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
        *,
        source_on_insert: str | None = None,
    ) -> None:
        """`camera_sources` are message ids of the demo camera's scenes (shown translated);
        `source_on_insert` is the scene the camera turns to when a card is placed (the card's
        holder standing in front of it)."""
        super().__init__(parent)
        self.setObjectName("demoTray")
        self._slot = slot
        self._residents = {r.id: r for r in residents}
        self._on_camera_source = on_camera_source
        self._source_on_insert = source_on_insert

        self._title = QLabel()
        self._title.setObjectName("demoTrayTitle")
        self._list = QListWidget()
        self._list.setObjectName("demoResidents")
        for r in residents:
            item = QListWidgetItem(r.label)
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            self._list.addItem(item)
        self._list.setCurrentRow(0)
        self._secrets = QLabel()
        self._secrets.setObjectName("demoSecrets")
        self._secrets.setWordWrap(True)
        self._insert = QPushButton()
        self._insert.setObjectName("demoInsert")
        self._remove = QPushButton()
        self._remove.setObjectName("demoRemove")
        self._camera_label = QLabel()
        self._camera = QComboBox()
        self._camera.setObjectName("demoCamera")
        for source in camera_sources:
            self._camera.addItem(source, source)  # the text is translated in _retranslate

        buttons = QHBoxLayout()
        buttons.addWidget(self._insert)
        buttons.addWidget(self._remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._list, 1)
        layout.addWidget(self._secrets)
        layout.addLayout(buttons)
        if camera_sources:
            layout.addWidget(self._camera_label)
            layout.addWidget(self._camera)

        self._list.currentItemChanged.connect(lambda *_: self._refresh())
        self._insert.clicked.connect(self.insert_selected)
        self._remove.clicked.connect(self.remove_card)
        self._camera.currentIndexChanged.connect(self._camera_changed)
        self._retranslate()
        self._refresh()

    def selected(self) -> TrayResident | None:
        item = self._list.currentItem()
        return None if item is None else self._residents[item.data(Qt.ItemDataRole.UserRole)]

    def select(self, resident_id: str) -> None:
        for row in range(self._list.count()):
            if self._list.item(row).data(Qt.ItemDataRole.UserRole) == resident_id:
                self._list.setCurrentRow(row)
                return
        raise KeyError(resident_id)

    def insert_selected(self) -> None:
        resident = self.selected()
        if resident is None:
            return
        if resident.tap:
            self._slot.tap(resident.id)
            return
        if self._slot.inserted is not None:
            self._slot.remove()
        self._slot.insert(resident.id)
        if self._source_on_insert is not None:
            self.choose_camera_source(self._source_on_insert)
        self._refresh()

    def remove_card(self) -> None:
        if self._slot.inserted is not None:
            self._slot.remove()
        self._refresh()

    def choose_camera_source(self, source: str) -> None:
        """Show `source` (a scene's message id) in the chooser and on the demo camera."""
        index = self._camera.findData(source)
        if index < 0:
            raise KeyError(source)
        if index == self._camera.currentIndex():
            self._camera_changed(index)  # say it again: a new card may have new scenes
        else:
            self._camera.setCurrentIndex(index)

    def camera_source(self) -> str | None:
        data = self._camera.currentData()
        return data if isinstance(data, str) else None

    def _camera_changed(self, index: int) -> None:
        source = self._camera.itemData(index)
        if self._on_camera_source is not None and isinstance(source, str):
            self._on_camera_source(source)

    def _refresh(self) -> None:
        resident = self.selected()
        self._secrets.setText(
            tr("demo.tray.secrets", pin=resident.pin, pin_b=resident.pin_b)
            if resident and not resident.tap
            else ""
        )
        self._remove.setEnabled(self._slot.inserted is not None)
        self._insert.setEnabled(resident is not None)

    def _retranslate(self) -> None:
        self.setWindowTitle(tr("demo.tray.title"))
        self._title.setText(tr("demo.tray.title"))
        self._insert.setText(tr("demo.tray.insert"))
        self._remove.setText(tr("demo.tray.remove"))
        self._camera_label.setText(tr("demo.tray.camera"))
        for index in range(self._camera.count()):
            self._camera.setItemText(index, tr(self._camera.itemData(index)))
        self._refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)
