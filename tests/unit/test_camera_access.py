"""The camera as the session's steps use it: preview on demand, card front for 照合番号B."""

from __future__ import annotations

from datetime import date

import numpy as np

from kiosk.devices.camera import UNPLUGGED, Camera, CameraError, FileCamera
from kiosk.devices.card.front_ocr import CardFrontReader
from kiosk.flows.camera_access import CameraCardFront, CameraPreview
from tests.unit.card_front.synthetic import Capture, CardFace, photograph, render_front


class UnpluggedCamera(Camera):
    """A camera whose device is gone: opening it fails, as OpenCvCamera's does."""

    def __init__(self) -> None:
        super().__init__()
        self.opens = 0

    def _open(self) -> None:
        self.opens += 1
        raise CameraError(UNPLUGGED, "no /dev/video0")

    def _read(self) -> np.ndarray | None:
        raise AssertionError("never read: it never opened")

    def _release(self) -> None:
        pass


def still(frame: np.ndarray) -> FileCamera:
    return FileCamera({"card": lambda: [frame]}, fps=20)


def test_an_unplugged_camera_gives_no_frames_and_is_not_hammered() -> None:
    camera = UnpluggedCamera()
    preview = CameraPreview(camera)
    assert [preview.latest_frame() for _ in range(20)] == [None] * 20
    assert camera.opens == 1  # retried only after RETRY_S, not on every paint


def test_preview_starts_on_demand_and_rests() -> None:
    frame = np.full((48, 64, 3), 120, np.uint8)
    camera = still(frame)
    preview = CameraPreview(camera)
    assert not camera.running
    got = None
    for _ in range(200):
        got = preview.latest_frame()
        if got is not None:
            break
        camera._stop.wait(0.01)
    assert got is not None and got.shape == (48, 64, 3)
    preview.rest()
    assert not camera.running and camera.latest() is None  # the last frame is dropped too


HANAKO = CardFace(
    "山田　花子", "東京都千代田区霞が関２丁目１番２号", date(1941, 3, 5), "女",
    date(2033, 3, 5), "2285",
)  # fmt: skip


def test_card_front_gives_the_fourteen_digits() -> None:
    frame = photograph(render_front(HANAKO), Capture(frame=(1280, 720)))
    camera = still(frame)
    try:
        got = CameraCardFront(CameraPreview(camera), CardFrontReader(), wait_s=20).read_front()
    finally:
        camera.stop()
    assert got is not None and got.pin_b == "16030520332285" == HANAKO.expected_pin_b()
    # What the resident is asked to confirm, as printed on the card.
    assert (got.birth_as_printed, got.birth_date) == ("昭和16年3月5日", date(1941, 3, 5))
    assert (got.expiry_year, got.security_code) == (2033, "2285")


def test_card_front_without_a_card_gives_none() -> None:
    camera = still(np.full((720, 1280, 3), 30, np.uint8))
    try:
        got = CameraCardFront(CameraPreview(camera), CardFrontReader(), wait_s=5).read_front()
    finally:
        camera.stop()
    assert got is None
