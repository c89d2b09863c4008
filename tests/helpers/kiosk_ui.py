"""Drive the kiosk window like a resident: tap named buttons, count taps and screens."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QScrollArea
from pytestqt.qtbot import QtBot

from kiosk.flows.session import Page, SessionMachine
from kiosk.ui.main_window import MainWindow, SwitchKeys
from kiosk.ui.widgets import Keypad, TrLabel
from tests.helpers.session import FakeCard, FakeFrames, Resident, Speech, World

OFFERED = ("risai", "higai", "support-check", "insurance")


class Kiosk:
    """One kiosk window over fake devices, with a tap counter."""

    def __init__(
        self,
        qtbot: QtBot,
        set_language: object,
        world: World | None = None,
        offered: tuple[str, ...] = OFFERED,
        switch_keys: SwitchKeys | None = None,
        procedures: object | None = None,
        speech: Speech | None = None,
    ) -> None:
        self.qtbot = qtbot
        self.world = world or World()
        self.speech = speech or Speech()
        ports = self.world.ports()
        if procedures is not None:  # the real SiteServices: questions and the desk in one
            ports = dataclasses.replace(ports, procedures=procedures, desk=procedures)
        self.session = SessionMachine(ports, offered)
        self.window = MainWindow(
            self.session,
            set_language,  # type: ignore[arg-type]
            speech=self.speech,
            frames=FakeFrames(),
            switch_keys=switch_keys,
        )
        qtbot.addWidget(self.window)
        self.window.show()
        self.taps = 0
        self.swipes = 0
        self.screens: list[Page] = []
        self._watch()

    def _watch(self) -> None:
        self.window.page_shown.connect(self.screens.append)

    def activate(self) -> None:
        """Make the window the active one, so it has keyboard focus (offscreen too)."""
        self.qtbot.waitExposed(self.window)
        handle = self.window.windowHandle()
        assert handle is not None
        handle.requestActivate()
        self.qtbot.waitUntil(self.window.isActiveWindow)

    @property
    def page(self) -> Page:
        return self.window.current_page()

    def button(self, name: str) -> QAbstractButton:
        b = self.window.findChild(QAbstractButton, name)
        assert b is not None, f"no button {name!r} on {self.page}"
        return b

    def tap(self, name: str) -> None:
        """A finger on the button: it must be visible and enabled to count."""
        b = self.button(name)
        assert b.isVisible(), f"{name!r} is not visible on {self.page}"
        assert b.isEnabled(), f"{name!r} is disabled on {self.page}"
        if b.visibleRegion().isEmpty():
            self._swipe_to(b)  # the resident scrolls the page first (counted as a swipe)
        # On screen, not scrolled out of sight: a finger must be able to reach it.
        assert not b.visibleRegion().isEmpty(), f"{name!r} is out of sight on {self.page}"
        self.taps += 1
        self.qtbot.mouseClick(b, Qt.MouseButton.LeftButton)

    def _swipe_to(self, b: QAbstractButton) -> None:
        w = b.parentWidget()
        while w is not None and not isinstance(w, QScrollArea):
            w = w.parentWidget()
        assert w is not None, f"{b.objectName()!r} is out of sight and nothing scrolls"
        w.ensureWidgetVisible(b)
        QApplication.processEvents()
        self.swipes += 1

    def keypad(self, digits: str, name: str) -> None:
        """Type digits on the named keypad of the current page, then press its OK key."""
        pad = self.window.pages[self.page].findChild(Keypad, name)
        assert pad is not None, f"no keypad {name!r} on {self.page}"
        for d in digits:
            self._press(pad.keys[d])
        self._press(pad.ok)

    def _press(self, b: QAbstractButton) -> None:
        assert b.isVisible() and b.isEnabled(), b.objectName()
        self.taps += 1
        self.qtbot.mouseClick(b, Qt.MouseButton.LeftButton)

    def place(self, resident: Resident) -> FakeCard:
        card = FakeCard(dataclasses.replace(resident))
        self.world.reader.card = card
        self.session.card_inserted()
        return card

    def take(self) -> None:
        self.world.reader.card = None
        self.session.card_removed()

    def all_text(self) -> str:
        """Every label and button text of every page and the chrome (for leak checks)."""
        texts = [lab.text() for lab in self.window.findChildren(TrLabel)]
        texts += [b.text() for b in self.window.findChildren(QAbstractButton)]
        return "\n".join(texts)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()
        assert self.window.grab().save(str(path)), path
