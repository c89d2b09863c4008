"""`kiosk card emulate` puts a demo card in a vpcd reader that any PC/SC client can read."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.devices.card.mynumber import InternalAuth, MyNumberCard
from kiosk.devices.card.reader import open_my_number_card
from kiosk.devices.card.trust import TrustTable
from kiosk.devices.card.virtual import VirtualCardSlot
from kiosk.devices.card.virtual.slot import reader_state
from tests.conftest import REPO

pytestmark = pytest.mark.pcscd


@pytest.mark.parametrize("profile", ["tlv-extended", "value-short"])
def test_emulate_prints_the_demo_secrets_and_serves_the_card(
    card_slot: VirtualCardSlot, tmp_path: Path, profile: str
) -> None:
    port = card_slot.port  # a free vpcd reader; the command puts its own card there
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "kiosk", "--data-dir", str(tmp_path), "card", "emulate",
           "--resident", "hanako", "--port", str(port), "--seconds", "20",
           "--profile", profile]  # fmt: skip
    with subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stderr is not None
            lines = []
            for line in proc.stderr:
                lines.append(line)
                if "card in reader" in line:
                    break
            text = "".join(lines)
            assert "demo PIN: 1234" in text and "照合番号B: 16030520332285" in text
            assert f"profile {profile}" in text
            with open_my_number_card(card_slot.reader_name) as transport:
                reading = MyNumberCard(transport, TrustTable.demo()).read(pin="1234")
            assert reading.basic is not None and reading.basic.name == "山田　花子"
            assert reading.cvc_signed_over == profile.split("-")[0]  # tlv / value
            assert reading.internal_auth is InternalAuth.OK
        finally:
            proc.terminate()  # SIGTERM: the command removes its card and exits cleanly
            assert proc.wait(20) == 0
    assert reader_state(card_slot.reader_name, present=False, until=time.monotonic() + 10)


def test_emulate_unknown_resident_is_an_error(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run(
        [sys.executable, "-m", "kiosk", "--data-dir", str(tmp_path), "card", "emulate",
         "--resident", "nobody"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 1 and "no demo resident 'nobody'" in r.stderr


def test_emulate_unknown_profile_is_an_error(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run(
        [sys.executable, "-m", "kiosk", "--data-dir", str(tmp_path), "card", "emulate",
         "--resident", "hanako", "--profile", "round"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 2 and "no card profile 'round'" in r.stderr
