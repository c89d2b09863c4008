"""Leaving the kiosk: under systemd the stop flag is written first, or nothing quits."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.app import AdminExit
from kiosk.watchdog import ADMIN_STOP_ENV, Watchdog


def test_under_systemd_the_flag_is_written(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = tmp_path / "run" / "admin-stop"
    monkeypatch.setenv(ADMIN_STOP_ENV, str(flag))
    assert AdminExit(qapp, Watchdog(socket_path=str(tmp_path / "notify"))).leave()
    assert flag.read_text(encoding="utf-8").startswith("stopped by staff")


def test_an_unwritable_flag_keeps_the_kiosk_running(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(ADMIN_STOP_ENV, str(blocker / "admin-stop"))  # a file is no folder
    assert not AdminExit(qapp, Watchdog(socket_path=str(tmp_path / "notify"))).leave()


def test_outside_systemd_it_just_quits(qapp: QApplication, tmp_path: Path) -> None:
    assert AdminExit(qapp, Watchdog()).leave()
