"""The whole kiosk as a subprocess: start, single instance, clean stop, honest logs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers.kiosk_process import KioskProcess
from tests.helpers.xvfb import display_env, xvfb

pytestmark = pytest.mark.pcscd


def test_second_kiosk_on_the_same_data_dir_refuses(pcscd: object, data_dir: Path) -> None:
    first = KioskProcess(data_dir, "run", "--offscreen", "--demo")
    try:
        ready = first.wait_for("app.ready")
        assert ready["page"] == "welcome"
        second = KioskProcess(data_dir, "run", "--offscreen", "--demo")
        assert second.proc.wait(60) == 1
        _, err = second.proc.communicate()
        assert "already running" in err
    finally:
        assert first.stop() == 0
    assert [e["event"] for e in first.events()][-1] == "app.stopped"


def test_first_screen_screenshot_under_xvfb(pcscd: object, data_dir: Path, tmp_path: Path) -> None:
    shot = tmp_path / "first-screen.png"
    with xvfb() as display:
        k = KioskProcess(
            data_dir, "run", "--demo", "--screenshot", str(shot), env=display_env(display)
        )
        rc = k.proc.wait(90)
        _, err = k.proc.communicate()
        assert rc == 0, err
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000  # a rendered screen, not a blank
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 1024 and image.height() >= 600
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)
    }
    assert len(colours) > 5  # text and illustration, not one flat colour
    target = REPO / "docs" / "screenshots" / "first-screen.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, target)  # the README shows the screen as the current code draws it


def test_the_kiosk_tells_systemd_it_is_up_and_alive(pcscd: object, data_dir: Path) -> None:
    import socket

    path = data_dir.parent / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(30)
    try:
        env = {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "400000"}  # a ping every 0.2 s
        k = KioskProcess(data_dir, "run", "--offscreen", "--demo", env=env)
        try:
            seen: list[str] = []
            while seen.count("WATCHDOG=1") < 3:
                seen.append(sock.recv(256).decode())
            assert seen[0] == "READY=1"  # before any ping: the first screen is up
        finally:
            assert k.stop() == 0
        rest = []
        sock.settimeout(1)
        try:
            while True:
                rest.append(sock.recv(256).decode())
        except TimeoutError:
            pass
        assert "STOPPING=1" in rest
    finally:
        sock.close()
