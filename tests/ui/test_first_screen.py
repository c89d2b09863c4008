"""The first screen: card placed -> reading -> card removed -> first screen, nothing kept."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from kiosk.flows.session import Page, SessionMachine
from kiosk.ui.i18n import Translations
from kiosk.ui.main_window import MainWindow
from tests.helpers.session import HANAKO, Deferred, FakeCard, Speech, World


def build(
    qtbot: QtBot, translations: Translations, world: World
) -> tuple[SessionMachine, MainWindow]:
    session = SessionMachine(world.ports(), ("risai", "support-check"))
    window = MainWindow(session, translations.use, speech=Speech())
    qtbot.addWidget(window)
    return session, window


def test_first_screen_is_calm_japanese_with_language_staff_and_no_card(
    qtbot: QtBot, translations: Translations
) -> None:
    _session, window = build(qtbot, translations, World())
    assert window.current_page() is Page.WELCOME
    heading = window.pages[Page.WELCOME].heading
    assert heading.text() == "カードを置いてください"
    for name in ("languageButton", "callStaff", "noCard"):
        button = window.findChild(QPushButton, name)
        assert button is not None and button.isVisibleTo(window), name
        assert button.minimumHeight() >= 44 or button.sizeHint().height() >= 44
    assert window.findChild(QPushButton, "handoff").isHidden()


def test_card_on_reader_shows_reading_then_removal_drops_everything(
    qtbot: QtBot, translations: Translations
) -> None:
    world = World(defer=Deferred(immediate=False))
    session, window = build(qtbot, translations, world)
    world.reader.card = FakeCard(HANAKO)
    session.card_inserted()
    assert window.current_page() is Page.READING
    first_visit = session.visit.id
    world.defer.run()  # the card is checked after the reading screen is drawn
    assert window.current_page() is Page.CHOOSE_METHOD

    world.reader.card = None
    session.card_removed()
    assert not window.card_away_overlay.isHidden() and session.visit.id == first_visit  # held
    world.clock.advance(session.card_grace_s)
    session.tick()  # not put back: the grace runs out and the visit goes
    assert window.current_page() is Page.WELCOME and window.card_away_overlay.isHidden()
    assert session.visit.id != first_visit
    assert session.visit.holder is None and not session.visit.started
    assert "カードが取り出された" in window.notice.text()
    assert world.audit.events()[-1] == "session.ended"
    assert world.audit.lines[-1].fields == {"outcome": "card_removed", "reason": "other"}
