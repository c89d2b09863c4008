"""A face step leaves nothing of a face behind: not in the data dir, logs or temp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import pytest

from kiosk.devices.face.matcher import Decision, MatchSettings
from kiosk.devices.face.verifier import FaceVerifier
from tests.conftest import REPO
from tests.helpers import faces, residue


def test_kiosk_face_verify_leaves_no_image_or_encoding(tmp_path: Path) -> None:
    inputs, data, tmp = tmp_path / "inputs", tmp_path / "data", tmp_path / "tmp"
    for d in (inputs, data, tmp):
        d.mkdir()
    (inputs / "card.jp2").write_bytes(faces.card_photo("obama.jpg"))
    frames = inputs / "frames"
    frames.mkdir()
    for i, f in enumerate(faces.head_turn("obama3.jpg")):
        cv2.imwrite(str(frames / f"{i:03d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    env = {**os.environ, "TMPDIR": str(tmp), "HOME": str(tmp_path / "home")}
    r = subprocess.run(
        [sys.executable, "-m", "kiosk", "--data-dir", str(data), "face", "verify",
         "--card-photo", str(inputs / "card.jp2"), "--frames", str(frames), "--json"],
        cwd=REPO, env=env, capture_output=True, check=False, timeout=110,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr.decode()
    assert b'"match": true' in r.stdout
    # The inputs themselves are images: the scan must see them, or it proves nothing.
    assert residue.scan([inputs])
    assert residue.scan([data, tmp, tmp_path / "home"]) == []
    assert residue.scan_bytes(r.stdout + r.stderr) == []


def test_the_child_process_matcher_writes_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    decided = threading.Event()
    got: list[Decision] = []
    v = FaceVerifier.in_child_process(
        MatchSettings(liveness=False), on_decision=lambda d: (got.append(d), decided.set())
    )
    try:
        v.enroll(faces.card_photo("obama.jpg"))
        for i in range(300):
            if decided.is_set():
                break
            v.submit(faces.live_frame("obama3.jpg"), t=i / 15)
            time.sleep(0.02)
        assert decided.wait(timeout=60)
    finally:
        v.close()
    assert got and got[0].match
    assert residue.scan([tmp]) == []
