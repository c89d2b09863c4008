"""Finding pcscd, and what the kiosk says when it is not there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.devices.card import pcscd as pcscd_mod
from kiosk.devices.card.pcscd import PcscDaemon
from tests.conftest import REPO

pytestmark = pytest.mark.pcscd

NO_DAEMON_PROBE = """
import threading
from kiosk.devices.card.errors import PcscdNotRunning
from kiosk.devices.card.monitor import CardWatcher
from kiosk.devices.card.pcscd import PcscDaemon
try:
    PcscDaemon.ensure(autostart=False)
except PcscdNotRunning as e:
    print("ensure:", e.message_id, "|", e.detail)
got = threading.Event()
errors = []
w = CardWatcher(print, print, lambda e: (errors.append(e), got.set())).start()
got.wait(10)
w.stop()
print("watcher:", [e.message_id for e in errors])
"""


def test_a_running_daemon_is_used_and_left_alone(pcscd: PcscDaemon) -> None:
    found = PcscDaemon.ensure(autostart=False)
    assert not found.started_here
    found.stop()  # not ours: nothing happens
    assert pcscd_mod.is_running()


def test_without_a_daemon_ensure_and_watcher_say_so(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PCSCLITE_CSOCK_NAME": str(tmp_path / "nobody-listens.comm"),
        "PYTHONPATH": str(REPO),
    }
    r = subprocess.run(
        [sys.executable, "-c", NO_DAEMON_PROBE],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "ensure: card.pcscd_down | pcscd is not running" in r.stdout
    assert "watcher: ['card.pcscd_down']" in r.stdout
