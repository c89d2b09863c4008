"""The card side of the vpcd protocol, against a small stand-in for pcscd's vpcd driver."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from kiosk.devices.card import vpcd
from kiosk.devices.card.virtual.card import ATR
from tests.helpers.card import virtual_card


class VpcdDriver:
    """What pcscd's vpcd driver does: listen, then send framed control codes and APDUs."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.server.settimeout(10)
        self.conn, _ = self.server.accept()
        self.conn.settimeout(10)

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(len(payload).to_bytes(2, "big") + payload)

    def receive(self) -> bytes:
        assert self.conn is not None
        n = int.from_bytes(self._exact(2), "big")
        return self._exact(n)

    def _exact(self, n: int) -> bytes:
        assert self.conn is not None
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            assert chunk, "the card side closed the connection"
            buf += chunk
        return buf

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()


@pytest.fixture
def driver() -> Iterator[VpcdDriver]:
    d = VpcdDriver()
    yield d
    d.close()


def test_control_codes_atr_and_apdus(driver: VpcdDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    quickacks: list[socket.socket] = []
    real = vpcd._quickack

    def counting(sock: socket.socket) -> None:
        quickacks.append(sock)
        real(sock)

    monkeypatch.setattr(vpcd, "_quickack", counting)
    card = virtual_card("hanako")
    link = vpcd.VpcdLink(card, driver.port).start()
    try:
        driver.accept()
        assert link.wait_connected(5)
        driver.send(bytes([vpcd.POWER_ON]))
        driver.send(bytes([vpcd.GET_ATR]))
        assert driver.receive() == ATR
        driver.send(bytes.fromhex("00A4040C0AD3921000310001010408"))
        assert driver.receive() == b"\x90\x00"
        driver.send(bytes.fromhex("00200091"))
        assert driver.receive() == b"\x63\xc3"
        driver.send(bytes([vpcd.RESET]))
        driver.send(bytes.fromhex("00200091"))  # after reset no AP is selected
        assert driver.receive() == b"\x69\x86"
        assert len(quickacks) >= 2 * 6  # 6 messages: before each header and payload receive
        assert quickacks[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        link.stop()
    assert not link.connected.is_set()


def test_link_waits_for_the_driver_and_stop_closes(driver: VpcdDriver) -> None:
    port = driver.port
    driver.server.close()  # nothing listens yet: the link keeps trying
    link = vpcd.VpcdLink(virtual_card("hanako"), port).start()
    assert not link.wait_connected(0.5)
    later = socket.create_server(("127.0.0.1", port))
    try:
        later.settimeout(10)
        conn, _ = later.accept()
        assert link.wait_connected(5)
        stopped = threading.Thread(target=link.stop)
        stopped.start()
        stopped.join(10)
        conn.settimeout(5)
        assert conn.recv(2) == b""  # removal is a closed connection
        conn.close()
    finally:
        later.close()
