"""`kiosk face verify` and `kiosk face evaluate` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from kiosk import cli
from tests.helpers import faces


def frames_folder(folder: Path, frames: tuple) -> Path:
    folder.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return folder


def verify(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], frames: tuple
) -> tuple[int, dict]:
    card = tmp_path / "card.jp2"
    card.write_bytes(faces.card_photo("obama.jpg"))
    folder = frames_folder(tmp_path / "frames", frames)
    argv = ["--data-dir", str(data_dir), "face", "verify", "--card-photo", str(card)]
    rc = cli.main([*argv, "--frames", str(folder), "--json"])
    return rc, json.loads(capsys.readouterr().out)


def test_verify_a_genuine_recording(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out = verify(tmp_path, data_dir, capsys, faces.head_turn("obama3.jpg"))
    assert rc == 0
    assert out["match"] is True and out["liveness"] == "passed"
    assert out["reason"] == "face.result.match"
    assert 0 < out["distance"] <= out["threshold"] and out["frames_used"] >= 3


def test_verify_a_printed_photo(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out = verify(tmp_path, data_dir, capsys, faces.flat_picture("obama3.jpg", "tilt"))
    assert rc == 1
    assert out["match"] is False and out["liveness"] == "failed"


def test_verify_a_missing_card_photo_is_a_usage_error(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = cli.main(["--data-dir", str(data_dir), "face", "verify", "--card-photo",
                   str(tmp_path / "nope.jp2"), "--frames", str(tmp_path), "--json"])  # fmt: skip
    assert rc == 2
    assert "nope.jp2" in capsys.readouterr().err


def test_evaluate_writes_rates_and_a_det_plot(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eval"
    rc = cli.main(
        ["--data-dir", str(data_dir), "face", "evaluate", str(faces.PEOPLE), "--out", str(out),
         "--json"]
    )  # fmt: skip
    assert rc == 0
    printed = json.loads(capsys.readouterr().out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["pairs"] == {"genuine": 20, "impostor": 22} == printed["pairs"]
    assert (out / "det.png").read_bytes()[:8] == bytes.fromhex("89504E470D0A1A0A")
    at = printed["at_configured_threshold"]
    assert at["fmr"] == 0.0  # no impostor pair of the reachable images matches
    assert at["fnmr"] is not None and at["fnmr"] <= 0.1
    rows = {r["threshold"]: r for r in summary["rates"]}
    assert rows[0.3]["fnmr"] > rows[0.6]["fnmr"]  # a stricter threshold rejects more
