"""Find the PC/SC daemon, or start `pcscd --foreground` when allowed (demo, tests, no systemd).

A caller may rely on: `PcscDaemon.ensure()` returns only when clients can connect;
`stop()` stops only a daemon this object started; a daemon that is down and may not be
started raises `PcscdNotRunning` whose detail says how a site starts it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from kiosk.devices.card.errors import PcscdNotRunning

SITE_HINT = (
    "pcscd is not running. At a real site enable it once with "
    "`sudo systemctl enable --now pcscd.socket` (Debian package pcscd); "
    "without systemd run `sudo pcscd` before starting the kiosk."
)


def is_running() -> bool:
    """True when a PC/SC client can open a context (the daemon answers on its socket)."""
    from smartcard import scard

    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    scard.SCardReleaseContext(ctx)
    return True


def socket_path() -> Path:
    return Path(os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm"))


class PcscDaemon:
    """A running pcscd, and whether we started it."""

    def __init__(self, process: subprocess.Popen[bytes] | None = None) -> None:
        self._process = process

    @property
    def started_here(self) -> bool:
        return self._process is not None

    @classmethod
    def ensure(cls, autostart: bool, timeout: float = 10.0) -> PcscDaemon:
        """The running daemon; started in the foreground as a child when down and allowed."""
        if is_running():
            return cls()
        if not autostart:
            raise PcscdNotRunning(SITE_HINT)
        exe = shutil.which("pcscd") or (
            "/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None
        )
        if exe is None:
            raise PcscdNotRunning(
                "pcscd is not installed (Debian: apt install pcscd). " + SITE_HINT
            )
        if os.geteuid() != 0:
            raise PcscdNotRunning("pcscd is down and only root may start it. " + SITE_HINT)
        proc = subprocess.Popen(
            [exe, "--foreground", "--error"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in a terminal must not reach it before we stop it
        )
        daemon = cls(proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise PcscdNotRunning(
                    f"pcscd exited at start (code {proc.returncode}). {SITE_HINT}"
                )
            if is_running():
                return daemon
            time.sleep(0.05)
        daemon.stop()
        raise PcscdNotRunning(f"pcscd did not answer within {timeout:.0f} s. {SITE_HINT}")

    def stop(self) -> None:
        """Stop the daemon if we started it; leave anyone else's alone."""
        proc, self._process = self._process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
