"""The residue scanner finds face images and encodings wherever they hide, and stays quiet on
ordinary files (logs, JSON, random or encrypted bytes)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers import faces, residue


def kinds(found: list[residue.Residue]) -> set[str]:
    return {r.kind for r in found}


@pytest.fixture
def encoding() -> np.ndarray:
    from kiosk.devices.face.matcher import FaceMatcher

    enc, _ = FaceMatcher().encode_card(faces.card_photo("obama.jpg"))
    return enc


def test_images_are_found_at_the_start_and_inside_files(tmp_path: Path) -> None:
    frame = cv2.cvtColor(faces.live_frame("obama3.jpg"), cv2.COLOR_RGB2BGR)
    (tmp_path / "a.jpg").write_bytes(cv2.imencode(".jpg", frame)[1].tobytes())
    (tmp_path / "sub").mkdir()
    png = cv2.imencode(".png", frame[:50, :50])[1].tobytes()
    (tmp_path / "sub" / "blob.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + png)
    (tmp_path / "card.bin").write_bytes(b"header" + faces.card_photo("biden.jpg"))
    found = residue.scan([tmp_path])
    assert kinds(found) >= {"jpeg", "png", "jp2"}
    assert {r.path.name for r in found} == {"a.jpg", "blob.db", "card.bin"}
    assert any(r.offset == 116 and r.kind == "png" for r in found)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shift", [0, 3])
def test_binary_encodings_are_found_at_any_offset(
    tmp_path: Path, encoding: np.ndarray, dtype: type, shift: int
) -> None:
    (tmp_path / "x.bin").write_bytes(b"\x07" * (11 + shift) + encoding.astype(dtype).tobytes())
    found = residue.scan([tmp_path], images=False)
    assert [r.kind for r in found] == [f"float{np.dtype(dtype).itemsize * 8}[128]"]
    assert found[0].offset == 11 + shift


def test_encodings_printed_as_text_are_found(tmp_path: Path, encoding: np.ndarray) -> None:
    (tmp_path / "kiosk.log").write_text(
        json.dumps({"event": "face.debug", "vector": encoding.tolist()}) + "\n", encoding="utf-8"
    )
    assert kinds(residue.scan([tmp_path])) == {"text[128]"}


def test_ordinary_files_are_clean(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    (tmp_path / "random.bin").write_bytes(rng.bytes(2_000_000))
    (tmp_path / "zeros.bin").write_bytes(b"\x00" * 100_000)
    lines = [json.dumps({"event": "face.decision", "distance": 0.41, "frames": 8})] * 500
    (tmp_path / "kiosk.log").write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "numbers.csv").write_text(",".join(str(i) for i in range(100)), encoding="utf-8")
    assert residue.scan([tmp_path]) == []
