"""kiosk.watchdog against a real AF_UNIX datagram socket, as systemd's $NOTIFY_SOCKET is."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from kiosk import watchdog
from kiosk.watchdog import Watchdog


class NotifySocket:
    """What systemd listens on: a bound datagram socket that collects what the kiosk sends."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        bind_to = "\0" + address[1:] if address.startswith("@") else address
        self.sock.bind(bind_to)
        self.sock.setblocking(False)

    def drain(self) -> list[str]:
        out: list[str] = []
        while True:
            try:
                out.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return out

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    s = NotifySocket(str(tmp_path / "notify"))
    yield s
    s.close()


def env_for(sock: NotifySocket, watchdog_usec: int | None = 30_000_000, **extra: str) -> dict:
    env = {"NOTIFY_SOCKET": sock.address, **extra}
    if watchdog_usec is not None:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    return env


def test_ready_ping_stopping_arrive_in_order(notify_socket: NotifySocket) -> None:
    dog = Watchdog.from_env(env_for(notify_socket))
    assert dog.enabled
    assert dog.ready() and dog.ping() and dog.ping() and dog.stopping()
    assert notify_socket.drain() == ["READY=1", "WATCHDOG=1", "WATCHDOG=1", "STOPPING=1"]


def test_status_is_sent_as_is(notify_socket: NotifySocket) -> None:
    dog = Watchdog.from_env(env_for(notify_socket))
    assert dog.status("first-screen")
    assert notify_socket.drain() == ["STATUS=first-screen"]


def test_abstract_namespace_socket() -> None:
    sock = NotifySocket(f"@kiosk-test-{uuid.uuid4().hex}")
    try:
        dog = Watchdog.from_env(env_for(sock))
        assert dog.ping()
        assert sock.drain() == ["WATCHDOG=1"]
    finally:
        sock.close()


def test_ping_interval_is_half_of_watchdog_sec(notify_socket: NotifySocket) -> None:
    assert Watchdog.from_env(env_for(notify_socket, 30_000_000)).ping_interval_ms == 15_000
    assert Watchdog.from_env(env_for(notify_socket, None)).ping_interval_ms is None
    assert Watchdog.from_env(env_for(notify_socket, 0)).ping_interval_ms is None


def test_outside_systemd_everything_is_a_quiet_no() -> None:
    dog = Watchdog.from_env({})
    assert not dog.enabled
    assert dog.ping_interval_ms is None
    assert (dog.ready(), dog.ping(), dog.stopping()) == (False, False, False)


def test_a_vanished_socket_does_not_raise(notify_socket: NotifySocket, tmp_path: Path) -> None:
    dog = Watchdog.from_env(env_for(notify_socket))
    notify_socket.close()
    os.unlink(notify_socket.address)
    assert dog.ping() is False


def test_watchdog_pid_of_parent_is_accepted_under_cage(notify_socket: NotifySocket) -> None:
    # cage is the unit's main process; the kiosk is its child.
    parent = Watchdog.from_env(env_for(notify_socket, WATCHDOG_PID=str(os.getppid())))
    assert parent.ping_interval_ms == 15_000
    mine = Watchdog.from_env(env_for(notify_socket, WATCHDOG_PID=str(os.getpid())))
    assert mine.ping_interval_ms == 15_000


def test_watchdog_meant_for_another_process_is_ignored(notify_socket: NotifySocket) -> None:
    other = max(os.getpid(), os.getppid()) + 100_000
    dog = Watchdog.from_env(env_for(notify_socket, WATCHDOG_PID=str(other)))
    assert dog.ping_interval_ms is None
    assert dog.ready()  # notifications still go out; only the pings are not ours to send


def test_a_frozen_gui_thread_sends_no_pings(qtbot: QtBot, notify_socket: NotifySocket) -> None:
    # The app pings from a QTimer on the GUI thread; this is that arrangement in miniature.
    dog = Watchdog.from_env(env_for(notify_socket, 20_000))  # WatchdogSec=20ms: 10 ms pings
    interval = dog.ping_interval_ms
    assert interval == 10
    timer = QTimer()
    timer.timeout.connect(dog.ping)
    timer.start(interval)
    try:
        qtbot.waitUntil(lambda: len(notify_socket.drain()) > 0, timeout=5000)
        notify_socket.drain()
        time.sleep(0.2)  # the GUI thread is stuck: no event loop, so no timer, so no ping
        assert notify_socket.drain() == []
        got: list[str] = []
        qtbot.waitUntil(lambda: bool(got.extend(notify_socket.drain()) or got), timeout=5000)
        assert set(got) == {"WATCHDOG=1"}
    finally:
        timer.stop()


def test_admin_stop_flag_round_trip(tmp_path: Path) -> None:
    flag = tmp_path / "run" / "admin-stop"
    env = {watchdog.ADMIN_STOP_ENV: str(flag)}
    assert watchdog.admin_stop_file(env) == flag
    assert not watchdog.admin_stop_requested(flag)
    assert watchdog.request_admin_stop(flag) == flag
    assert watchdog.admin_stop_requested(flag)


def test_admin_stop_default_matches_the_unit() -> None:
    unit = Path(__file__).resolve().parents[2] / "packaging/debian/madoguchi-kiosk.service"
    text = unit.read_text(encoding="utf-8")
    flag = watchdog.admin_stop_file({})
    assert f"ConditionPathExists=!{flag}" in text
    assert f"Environment={watchdog.ADMIN_STOP_ENV}={flag}" in text
