"""Cameras: frames on a worker thread, handed over as contiguous RGB uint8 numpy arrays.

`OpenCvCamera` reads a real camera (OpenCV VideoCapture, the device index from [camera]);
`FileCamera` plays images, folders of images, videos or in-memory sequences, for the demo and
the tests, and can switch what it shows (`choose`) — the demo tray uses that to put "the
resident", "another person" or "a printed photo" in front of the kiosk.

Qt-free: the UI polls `latest()` from its preview timer (or subscribes and bridges to a
signal) and wraps the array into a QImage itself. A camera that is unplugged, busy, or stops
delivering raises or reports a `CameraError` with a message id; the UI then offers the PIN
or a staff check instead of waiting on a frozen preview.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kiosk.errors import KnownError

log = logging.getLogger("kiosk.camera")

Image = npt.NDArray[Any]  # (height, width, 3) uint8, C-contiguous, RGB

UNPLUGGED = "face.camera.unplugged"
BUSY = "face.camera.busy"
LOST = "face.camera.lost"
NO_SOURCE = "face.camera.no_source"

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".jp2", ".webp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".mjpeg")

# Names of the demo camera's scenes; the tray shows them through these message ids.
DEMO_RESIDENT = "face.demo.resident"
DEMO_OTHER = "face.demo.another_person"
DEMO_PRINTED = "face.demo.printed_photo"
DEMO_SCREEN = "face.demo.phone_screen"
DEMO_NOBODY = "face.demo.nobody"
DEMO_CARD_FRONT = "face.demo.card_front"


class CameraError(KnownError):
    """The camera cannot give frames. `message_id` is one of face.camera.*."""


@dataclass(frozen=True)
class Frame:
    """One picture: `rgb` is (height, width, 3) uint8 RGB, C-contiguous; `t` is
    time.monotonic() at capture; `seq` counts frames from 1 since start()."""

    rgb: Image
    seq: int
    t: float


class Camera:
    """A camera read on its own thread. Subclasses open, read and release the device.

    `start()` raises CameraError if the device cannot be opened; a failure later is kept in
    `error` and passed to `on_error` (on the worker thread), and the worker stops.
    """

    fps: float = 30.0

    def __init__(self, on_error: Callable[[CameraError], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._latest: Frame | None = None
        self._subscribers: list[Callable[[Frame], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0
        self.error: CameraError | None = None
        self.on_error = on_error

    # -- for callers ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self.error = None
        self._seq = 0
        self._open()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker, release the device and drop the last frame."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._release()
        with self._lock:
            self._latest = None

    def latest(self) -> Frame | None:
        """The newest frame, or None before the first one; never blocks on the device."""
        with self._lock:
            return self._latest

    def subscribe(self, callback: Callable[[Frame], None]) -> None:
        """Call `callback(frame)` on the worker thread for every frame (keep it quick)."""
        with self._lock:
            self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[Frame], None]) -> None:
        with self._lock:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Camera:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- for subclasses -------------------------------------------------------------------

    def _open(self) -> None:
        raise NotImplementedError

    def _read(self) -> Image | None:
        """The next RGB frame; None when the device stopped giving frames."""
        raise NotImplementedError

    def _release(self) -> None:
        pass

    def _pace(self) -> float:
        """Seconds to wait before the next read (0 for devices that block on their own)."""
        return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                rgb = self._read()
            except CameraError as e:
                rgb, self.error = None, e
            if rgb is None:
                if self.error is None:
                    self.error = CameraError(LOST, "the camera stopped giving frames")
                log.warning("camera.lost", extra={"message_id": self.error.message_id})
                if self.on_error is not None:
                    self.on_error(self.error)
                return
            self._seq += 1
            frame = Frame(np.ascontiguousarray(rgb, dtype=np.uint8), self._seq, started)
            with self._lock:
                self._latest = frame
                subscribers = list(self._subscribers)
            for callback in subscribers:
                callback(frame)
            wait = self._pace() - (time.monotonic() - started)
            if wait > 0:
                self._stop.wait(wait)


def camera_present(device: int) -> bool:
    """Whether a video device node exists for `device` (Linux); no device is opened."""
    return Path(f"/dev/video{device}").exists()


class OpenCvCamera(Camera):
    """A USB or built-in camera through OpenCV. `device` is the VideoCapture index."""

    def __init__(
        self,
        device: int = 0,
        width: int = 640,
        height: int = 480,
        on_error: Callable[[CameraError], None] | None = None,
        lost_after: int = 30,
    ) -> None:
        super().__init__(on_error)
        self.device, self.width, self.height = device, width, height
        self._lost_after = lost_after  # consecutive failed reads before the camera counts as lost
        self._capture: Any = None

    def _open(self) -> None:
        import cv2

        node = Path(f"/dev/video{self.device}")
        if Path("/dev").is_dir() and not node.exists():
            raise CameraError(UNPLUGGED, f"{node} does not exist")
        cap = cv2.VideoCapture(self.device)
        if not cap.isOpened():
            cap.release()
            raise CameraError(BUSY, f"camera {self.device} could not be opened")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of old ones
        ok, _ = cap.read()
        if not ok:
            cap.release()
            raise CameraError(BUSY, f"camera {self.device} opened but gives no frames")
        self._capture = cap

    def _read(self) -> Image | None:
        import cv2

        for _ in range(self._lost_after):
            if self._stop.is_set():
                return None
            ok, bgr = self._capture.read()
            if ok and bgr is not None:
                return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            time.sleep(0.02)
        node = Path(f"/dev/video{self.device}")
        gone = Path("/dev").is_dir() and not node.exists()
        raise CameraError(UNPLUGGED if gone else LOST, f"camera {self.device} stopped")

    def _release(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


SceneFactory = Callable[[], Sequence[Image]]
Scene = Path | SceneFactory


class FileCamera(Camera):
    """Plays scenes at `fps`, looping: each scene is an image file, a folder of images (in name
    order), a video file, or a function returning frames (built on first use, kept in memory).

    `choose(name)` switches scene from any thread; the next frame comes from it.
    """

    def __init__(
        self,
        scenes: Mapping[str, Scene],
        first: str | None = None,
        fps: float = 30.0,
        on_error: Callable[[CameraError], None] | None = None,
    ) -> None:
        super().__init__(on_error)
        if not scenes:
            raise CameraError(NO_SOURCE, "no scenes for the file camera")
        self._scenes = dict(scenes)
        self._cache: dict[str, Sequence[Image]] = {}
        self._current = first if first is not None else next(iter(self._scenes))
        self._frames: Iterator[Image] | None = None
        self.fps = fps

    @classmethod
    def from_path(cls, path: Path, fps: float = 30.0) -> FileCamera:
        """One scene named after the file or folder (a `--frames` argument, `demo_frames`)."""
        if not path.exists():
            raise CameraError(NO_SOURCE, f"{path} does not exist")
        return cls({path.name: path}, fps=fps)

    @property
    def scene_names(self) -> tuple[str, ...]:
        return tuple(self._scenes)

    @property
    def scene(self) -> str:
        return self._current

    def replace_scenes(self, scenes: Mapping[str, Scene], first: str | None = None) -> None:
        """Play other scenes from the next frame on (the demo: another resident's card was
        placed); frames built for the old scenes are dropped."""
        if not scenes:
            raise CameraError(NO_SOURCE, "no scenes for the file camera")
        with self._lock:
            self._scenes = dict(scenes)
            self._cache = {}
            self._current = first if first is not None else next(iter(self._scenes))
            self._frames = None

    def choose(self, name: str) -> None:
        if name not in self._scenes:
            raise KeyError(name)
        with self._lock:
            self._current = name
            self._frames = None

    def frames(self, name: str | None = None) -> Iterator[Image]:
        """The frames of a scene once through, without the worker (for commands and tests)."""
        scene = self._scenes[name or self._current]
        if isinstance(scene, Path):
            yield from read_frames(scene)
        else:
            yield from self._built(name or self._current, scene)

    def _built(self, name: str, factory: SceneFactory) -> Sequence[Image]:
        if name not in self._cache:
            self._cache[name] = [np.ascontiguousarray(f) for f in factory()]
        return self._cache[name]

    def _open(self) -> None:
        with self._lock:
            self._frames = None

    def _read(self) -> Image | None:
        with self._lock:
            frames = self._frames
        if frames is None:
            frames = self._loop(self._current)
            with self._lock:
                self._frames = frames
        return next(frames)

    def _loop(self, name: str) -> Iterator[Image]:
        while True:
            empty = True
            for f in self.frames(name):
                empty = False
                yield f
            if empty:
                raise CameraError(NO_SOURCE, f"scene {name!r} has no frames")

    def _pace(self) -> float:
        return 1.0 / self.fps

    def _release(self) -> None:
        with self._lock:
            self._frames = None


def read_frames(path: Path) -> Iterator[Image]:
    """RGB frames of an image file, a folder of images (sorted by name) or a video file."""
    import cv2

    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for p in files:
            yield from read_frames(p)
        return
    if path.suffix.lower() in IMAGE_SUFFIXES:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise CameraError(NO_SOURCE, f"{path.name} is not a readable image")
        yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        return
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise CameraError(NO_SOURCE, f"{path.name} is not a readable video")
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                return
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()


def demo_camera(resident: Path, other: Path, fps: float = 30.0) -> FileCamera:
    """The demo camera: the resident (a synthetic head turn made from the card's source photo,
    since no genuine video is available), another person, a printed photo and a phone screen
    of the resident (flat pictures moved about), and nobody. Scenes are built on first use."""

    return FileCamera(demo_scenes(resident, other), first=DEMO_NOBODY, fps=fps)


def demo_scenes(
    resident: Path, other: Path, card_front: Callable[[], list[Image]] | None = None
) -> dict[str, Scene]:
    """The demo camera's scenes for one resident (see `demo_camera`); `card_front` draws the
    frames of the resident's card front lying under the camera, for reading 照合番号B."""
    scenes: dict[str, Scene] = {
        DEMO_NOBODY: lambda: [_empty_room()],
        DEMO_RESIDENT: lambda: _scene(resident, "turn"),
        DEMO_OTHER: lambda: _scene(other, "turn"),
        DEMO_PRINTED: lambda: _scene(resident, "printed"),
        DEMO_SCREEN: lambda: _scene(resident, "screen"),
    }
    if card_front is not None:
        scenes[DEMO_CARD_FRONT] = card_front
    return scenes


def _scene(photo: Path, kind: str) -> list[Image]:
    from kiosk.devices.face import synth

    rgb = next(read_frames(photo))
    frame = synth.fit_frame(rgb)
    if kind == "turn":
        return list(synth.head_turn(frame, steps=60))
    if kind == "screen":
        return list(synth.flat_picture(frame, "wave", steps=60, screen=True))
    return list(synth.flat_picture(frame, "wave", steps=60))


def _empty_room(width: int = 640, height: int = 480) -> Image:
    ys = np.linspace(150, 90, height, dtype=np.float64)[:, None, None]
    room = np.broadcast_to(ys, (height, width, 3)) * np.array([1.0, 0.97, 0.9])
    return np.ascontiguousarray(room.astype(np.uint8))
