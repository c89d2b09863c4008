"""What the kiosk loads to show its first screen: no face models, no speech engine; those
load in the child process or the thread that needs them, when needed. Timings are in
bench/startup.py; these check which modules are loaded, and what starts lazily."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kiosk.app import FirstScreen
from kiosk.devices.bell import Bell
from kiosk.devices.face.process import MatcherProcess
from kiosk.errors import KnownError
from tests.conftest import REPO

HEAVY = ("dlib", "face_recognition", "face_recognition_models", "pyopenjtalk")


def modules_after(code: str) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_importing_the_app_loads_no_face_models_or_speech_engine() -> None:
    loaded = modules_after("import kiosk.app")
    assert "kiosk.app" in loaded and "PySide6.QtWidgets" in loaded  # it did import the app
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY) == []


def test_a_matcher_not_started_spawns_nothing_and_closes_at_once() -> None:
    m = MatcherProcess(start=False)
    assert not m.started
    m.forget()  # a visit dropped before any face check: nothing to tell a child
    m.close()
    m.start()  # a warm-up arriving after close starts nothing
    assert not m.started
    with pytest.raises(KnownError):
        m.new_attempt()


def test_the_bell_makes_its_chime_at_the_first_ring() -> None:
    played: list[bytes] = []

    class Player:
        def play(self, wav: bytes) -> None:
            played.append(wav)

        def stop(self) -> None:
            pass

    bell = Bell(Player())
    assert played == []
    bell.ring()
    bell.ring()
    assert len(played) == 2 and played[0] is played[1] and played[0].startswith(b"RIFF")


def test_the_first_screen_is_told_once_after_the_first_paint(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    first = FirstScreen(window, deadline_ms=60_000)
    told: list[int] = []
    first.painted.connect(lambda: told.append(1))
    window.show()
    qtbot.waitUntil(lambda: told == [1], timeout=5_000)
    window.update()
    window.repaint()
    qtbot.wait(50)
    assert told == [1]  # once, not at every paint


def test_a_window_never_painted_is_told_at_the_deadline(qtbot: QtBot) -> None:
    window = QWidget()  # never shown: no paint
    qtbot.addWidget(window)
    first = FirstScreen(window, deadline_ms=50)
    told: list[int] = []
    first.painted.connect(lambda: told.append(1))
    qtbot.waitUntil(lambda: told == [1], timeout=5_000)
