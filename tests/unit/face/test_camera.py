"""Cameras hand over contiguous RGB uint8 frames on a worker thread, switch demo scenes, and
report an unplugged or lost camera with a message id instead of freezing."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.devices import camera


def write_images(folder: Path, colours: list[tuple[int, int, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, rgb in enumerate(colours):
        img = np.zeros((48, 64, 3), np.uint8)
        img[:] = rgb
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


def test_folder_frames_are_contiguous_rgb_in_name_order(tmp_path: Path) -> None:
    write_images(tmp_path / "f", [(255, 0, 0), (0, 0, 255)])
    frames = list(camera.read_frames(tmp_path / "f"))
    assert len(frames) == 2
    for f in frames:
        assert f.dtype == np.uint8 and f.shape == (48, 64, 3) and f.flags.c_contiguous
    assert tuple(frames[0][0, 0]) == (255, 0, 0)  # red stays red: RGB, not BGR
    assert tuple(frames[1][0, 0]) == (0, 0, 255)


def test_video_files_are_read_frame_by_frame(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for v in (0, 120, 240):
        out.write(np.full((48, 64, 3), v, np.uint8))
    out.release()
    frames = list(camera.read_frames(path))
    assert len(frames) == 3
    assert abs(int(frames[2].mean()) - 240) < 8


def test_file_camera_plays_on_its_thread_and_switches_scene(tmp_path: Path) -> None:
    write_images(tmp_path / "red", [(255, 0, 0)])
    write_images(tmp_path / "blue", [(0, 0, 255)])
    cam = camera.FileCamera({"red": tmp_path / "red", "blue": tmp_path / "blue"}, fps=100)
    seen_blue = threading.Event()
    threads: set[str] = set()

    def on_frame(f: camera.Frame) -> None:
        threads.add(threading.current_thread().name)
        if tuple(f.rgb[0, 0]) == (0, 0, 255):
            seen_blue.set()

    cam.subscribe(on_frame)
    with cam:
        cam.choose("blue")
        assert seen_blue.wait(timeout=10)
        latest = cam.latest()
    assert latest is not None and latest.seq >= 1
    assert threads == {"FileCamera"}
    assert cam.latest() is None  # stop() drops the last frame
    with pytest.raises(KeyError):
        cam.choose("green")


def test_in_memory_scenes_are_built_once_on_first_use() -> None:
    calls: list[int] = []

    def scene() -> list[np.ndarray]:
        calls.append(1)
        return [np.zeros((4, 4, 3), np.uint8)]

    cam = camera.FileCamera({"s": scene})
    assert len(list(cam.frames())) == 1
    assert len(list(cam.frames())) == 1
    assert calls == [1]


def test_a_missing_device_is_unplugged() -> None:
    with pytest.raises(camera.CameraError) as e:
        camera.OpenCvCamera(device=97).start()
    assert e.value.message_id == camera.UNPLUGGED


class FlakyCamera(camera.Camera):
    """A camera that gives two frames and then nothing, like a cable pulled mid-session."""

    fps = 100.0

    def __init__(self) -> None:
        super().__init__()
        self.left = 2

    def _open(self) -> None:
        pass

    def _read(self) -> np.ndarray | None:
        if self.left == 0:
            return None
        self.left -= 1
        return np.zeros((8, 8, 3), np.uint8)


def test_a_camera_that_stops_reports_lost_once() -> None:
    errors: list[camera.CameraError] = []
    reported = threading.Event()
    cam = FlakyCamera()
    cam.on_error = lambda e: (errors.append(e), reported.set())
    cam.start()
    assert reported.wait(timeout=10)
    cam.stop()
    assert [e.message_id for e in errors] == [camera.LOST]
    assert cam.error is errors[0]


def test_an_empty_scene_reports_no_source() -> None:
    reported = threading.Event()
    errors: list[camera.CameraError] = []
    cam = camera.FileCamera({"empty": lambda: []}, fps=100)
    cam.on_error = lambda e: (errors.append(e), reported.set())
    cam.start()
    assert reported.wait(timeout=10)
    cam.stop()
    assert errors[0].message_id == camera.NO_SOURCE
