"""What systemd's watchdog does to a frozen kiosk, done by hand: SIGABRT, then start again.

The restarted kiosk must come up on the first screen (sessions live in memory only, so none
can survive) and deliver what the killed one left in the outbox (the store is durable).
"""

from __future__ import annotations

import resource
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store.outbox import AUDIT_HEAD_FILE
from tests.helpers.kiosk_process import KioskProcess
from tests.helpers.store import open_store, submission

pytestmark = pytest.mark.pcscd


def config(path: Path, drop: Path) -> Path:
    path.write_text(
        f'[sink]\nkind = "folder"\nfolder = "{drop}"\nallow_plaintext = true\n'
        "sync_interval_s = 1\nretry_base_s = 1\nretry_max_s = 1\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def no_core_dumps() -> Iterator[None]:
    """The aborted kiosk must not leave a core file in the working tree."""
    old = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, old[1]))
    yield
    resource.setrlimit(resource.RLIMIT_CORE, old)


def test_killed_kiosk_restarts_on_the_first_screen_and_the_outbox_carries_on(
    pcscd: object, data_dir: Path, tmp_path: Path, no_core_dumps: None
) -> None:
    with open_store(data_dir) as store:
        store.submit(submission(1))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("the back office share is down")
    first = KioskProcess(
        data_dir, "--config", str(config(tmp_path / "a.toml", blocked / "drop")),
        "run", "--offscreen", "--demo",
    )  # fmt: skip
    try:
        first.wait_for("app.ready")
    finally:
        first.proc.send_signal(signal.SIGABRT)  # systemd's WatchdogSignal
        first.proc.wait(30)
        first.proc.communicate()
    assert first.proc.returncode == -signal.SIGABRT
    assert "app.stopped" not in [e["event"] for e in first.events()]  # no orderly exit

    drop = tmp_path / "drop"
    second = KioskProcess(
        data_dir, "--config", str(config(tmp_path / "b.toml", drop)),
        "run", "--offscreen", "--demo",
    )  # fmt: skip
    try:
        # The killed kiosk's app.ready is in the same log file: wait for the second one.
        deadline = time.monotonic() + 60
        while len(readies := [e for e in second.events() if e["event"] == "app.ready"]) < 2:
            assert time.monotonic() < deadline, "the restarted kiosk never became ready"
            assert second.proc.poll() is None, second.proc.communicate()[1]
            time.sleep(0.1)
        ready_now = readies[-1]
        assert ready_now["page"] == "welcome"
        deadline = time.monotonic() + 60
        # The signed audit head (audit-head.json) is written at every sync, delivered or not.
        while not [p for p in drop.glob("*.json*") if p.name != AUDIT_HEAD_FILE]:
            assert time.monotonic() < deadline, "the outbox was not delivered after restart"
            time.sleep(0.2)
    finally:
        assert second.stop() == 0
    with open_store(data_dir) as store:
        status = store.outbox_status()
    assert (status.pending, status.delivered) == (0, 1)
