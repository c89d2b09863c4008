"""The composition root closes in order: a card signal still queued when the kiosk closes is
dropped, never delivered to a session whose store is closed (real pcscd and virtual card)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.ui.i18n import Translations
from tests.helpers.e2e import assembled

pytestmark = pytest.mark.pcscd


def removal_from_the_watcher_thread(emit: object, reader: str) -> None:
    """Emit as the card watcher does: from another thread, so Qt queues the signal."""
    t = threading.Thread(target=emit, args=(reader,))  # type: ignore[arg-type]
    t.start()
    t.join()


def test_a_queued_removal_reaches_an_open_kiosk(
    qtbot: QtBot, pcscd: object, data_dir: Path, translations: Translations
) -> None:
    """The control: the same queued signal, delivered while the kiosk is open, ends the visit
    and is audited (so the test below would see a delivery)."""
    with assembled(qtbot, data_dir, translations) as k:
        k.place("taro")
        assert k.kiosk.slot is not None
        reader = k.kiosk.slot.reader_name
        removal_from_the_watcher_thread(k.kiosk.card_events.removed.emit, reader)
        qtbot.waitUntil(lambda: not k.session.card_present, timeout=10_000)
        k.clock.advance(k.session.card_grace_s)  # the lifted card's grace runs out
        k.session.tick()
        ended = [e for e in k.store.audit_entries() if e.event == "session.ended"]
    assert ended and ended[-1].fields.get("outcome") == "card_removed"


def test_a_removal_queued_at_shutdown_never_reaches_the_closed_store(
    qtbot: QtBot, pcscd: object, data_dir: Path, translations: Translations
) -> None:
    with assembled(qtbot, data_dir, translations) as k:
        k.place("taro")
        assert k.kiosk.slot is not None
        reader = k.kiosk.slot.reader_name
        removal_from_the_watcher_thread(k.kiosk.card_events.removed.emit, reader)
        k.kiosk.close()  # the removal is still in Qt's queue
        QApplication.processEvents()  # a slot raising here would fail the test (pytest-qt)
        assert k.session.card_present  # the removal was dropped, not delivered
        with pytest.raises(sqlite3.ProgrammingError):
            k.store.audit_entries().__next__()  # the store is closed indeed
