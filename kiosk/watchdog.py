"""Tell systemd the kiosk is alive (sd_notify over $NOTIFY_SOCKET, standard library only).

The service (packaging/debian/madoguchi-kiosk.service) is `Type=notify` with `WatchdogSec=`:
systemd restarts the kiosk when `READY=1` never comes, or when `WATCHDOG=1` pings stop for
longer than that. The app pings from a Qt timer on the GUI thread, so a frozen UI stops the
pings and is restarted; a restart starts with an empty session (sessions live in memory only)
and the durable outbox carries on.

Callers may rely on:
- `Watchdog.from_env()` never raises; outside systemd it returns a watchdog whose methods
  do nothing and return False (`enabled` is False), so the app calls it unconditionally;
- `ping()`, `ready()`, `stopping()` never raise: a lost socket must not take the UI down;
- `ping_interval_ms` is half of WatchdogSec (systemd's advice), or None without a watchdog;
- `request_admin_stop()` writes the admin stop flag the service checks before every
  (re)start, so a staff "leave the kiosk" exit is not undone by `Restart=always`.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from kiosk.logs import event

log = logging.getLogger("kiosk.watchdog")

# Set by the unit; the service has `ConditionPathExists=!` on the same path.
ADMIN_STOP_ENV = "KIOSK_ADMIN_STOP_FILE"
DEFAULT_ADMIN_STOP_FILE = Path("/run/madoguchi-kiosk/admin-stop")


@dataclass
class Watchdog:
    """A systemd notification socket (or none), and how often systemd wants a ping."""

    socket_path: str | None = None
    watchdog_usec: int | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Watchdog:
        """The watchdog systemd set up for this process (from $NOTIFY_SOCKET, $WATCHDOG_USEC).

        Under cage the kiosk is the compositor's child, so `$WATCHDOG_PID` names the parent:
        the pings are accepted for this process or its parent (the unit has NotifyAccess=all).
        """
        env = os.environ if environ is None else environ
        path = env.get("NOTIFY_SOCKET") or None
        usec: int | None = None
        raw = env.get("WATCHDOG_USEC", "")
        if raw.isdigit() and int(raw) > 0:
            usec = int(raw)
        pid = env.get("WATCHDOG_PID", "")
        if usec is not None and pid.isdigit() and int(pid) not in (os.getpid(), os.getppid()):
            usec = None  # the watchdog belongs to some other process
        return cls(path, usec)

    @property
    def enabled(self) -> bool:
        """True when there is a socket to notify (running under systemd's Type=notify)."""
        return self.socket_path is not None

    @property
    def ping_interval_ms(self) -> int | None:
        """Milliseconds between pings: half of WatchdogSec; None when no watchdog is set."""
        if self.watchdog_usec is None or self.socket_path is None:
            return None
        return max(1, self.watchdog_usec // 2000)

    def ready(self) -> bool:
        """Startup is done (the first screen is up)."""
        return self.notify("READY=1")

    def ping(self) -> bool:
        """The GUI thread is still answering."""
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        """An orderly shutdown has begun (systemd stops expecting pings)."""
        return self.notify("STOPPING=1")

    def status(self, text: str) -> bool:
        """A short status line for `systemctl status` (no personal data: ids only)."""
        return self.notify(f"STATUS={text}")

    def notify(self, state: str) -> bool:
        """Send one datagram; True when it was sent, False without a socket or on error."""
        if self.socket_path is None:
            return False
        address = self.socket_path
        if address.startswith("@"):  # abstract namespace socket
            address = "\0" + address[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.connect(address)
                s.sendall(state.encode("utf-8"))
        except OSError as e:
            event(log, "watchdog.notify_failed", level=logging.WARNING, errno=e.errno)
            return False
        return True


def admin_stop_file(environ: dict[str, str] | None = None) -> Path:
    """Where the admin stop flag lives (the unit sets $KIOSK_ADMIN_STOP_FILE)."""
    env = os.environ if environ is None else environ
    value = env.get(ADMIN_STOP_ENV, "")
    return Path(value) if value else DEFAULT_ADMIN_STOP_FILE


def request_admin_stop(path: Path | None = None) -> Path:
    """Leave the kiosk for good (until reboot or `kiosk-resume`): write the stop flag.

    Call after a staff member with the admin role signed in, then quit the app. The
    service's `ConditionPathExists=!<flag>` then keeps systemd from restarting it.
    Raises OSError when the flag cannot be written (the caller should then not quit).
    """
    flag = path or admin_stop_file()
    flag.parent.mkdir(parents=True, exist_ok=True)
    flag.write_text("stopped by staff\n", encoding="utf-8")
    return flag


def admin_stop_requested(path: Path | None = None) -> bool:
    """Whether the admin stop flag is set."""
    return (path or admin_stop_file()).exists()
