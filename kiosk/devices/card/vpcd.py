"""The card side of the vpcd protocol (vsmartcard's virtual reader driver inside pcscd).

pcscd's vpcd driver listens on TCP (35963 for "Virtual PCD 00 00", 35964 for "... 00 01");
a card connects to it. Each message is a 2-byte big-endian length and a payload. A 1-byte
payload is a control code (0 power off, 1 power on, 2 reset, 4 send the ATR); anything else is
an APDU to answer. Connected means the card is in the reader; closing means it was removed.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable

from kiosk.devices.card.virtual.card import VirtualCard

log = logging.getLogger("kiosk.card.vpcd")

POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4
DEFAULT_PORT = 35963


def _quickack(sock: socket.socket) -> None:
    # Linux re-arms delayed ACKs after each receive; without this each APDU waits ~40 ms.
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


class VpcdLink:
    """Holds one virtual card in a vpcd reader on a background thread.

    `start()` returns at once; the thread keeps trying to connect until `stop()` (so a card
    "inserted" before pcscd starts appears when it does). `connected` is set while pcscd
    holds the card.
    """

    def __init__(
        self,
        card: VirtualCard,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        before_connect: Callable[[], object] | None = None,
    ) -> None:
        self.card = card
        self.port = port
        self.host = host
        self.before_connect = before_connect  # runs on the link's thread, once
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, name=f"vpcd:{port}", daemon=True)

    def start(self) -> VpcdLink:
        self._thread.start()
        return self

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self.connected.wait(timeout)

    def stop(self) -> None:
        """Remove the card: close the connection and wait for the thread to end."""
        self._stop.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(5)

    def _run(self) -> None:
        if self.before_connect is not None:
            self.before_connect()
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                self._stop.wait(0.2)  # pcscd not (yet) listening
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            if self._stop.is_set():
                sock.close()
                break
            self.connected.set()
            try:
                self._serve(sock)
            except OSError as e:
                log.debug("vpcd link dropped: %s", e)
            finally:
                self.connected.clear()
                self._sock = None
                sock.close()
            self.card.power_off()
            if not self._stop.is_set():
                self._stop.wait(0.2)  # pcscd restarted: reconnect, the card is still "in"

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            _quickack(sock)
            header = _recv_exact(sock, 2)
            if header is None:
                return
            n = int.from_bytes(header, "big")
            _quickack(sock)
            payload = _recv_exact(sock, n) if n else b""
            if payload is None:
                return
            if len(payload) == 1:
                code = payload[0]
                if code == POWER_OFF:
                    self.card.power_off()
                elif code == POWER_ON:
                    self.card.power_on()
                elif code == RESET:
                    self.card.reset()
                elif code == GET_ATR:
                    _send(sock, self.card.atr)
                continue
            _send(sock, self.card.process(payload))


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)
