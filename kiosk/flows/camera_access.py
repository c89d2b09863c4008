"""The camera as the session's steps use it: a preview, and the card front read for 照合番号B.

The camera runs only while a step looks through it; the composition root rests it on the
first screen, so its light is off while nobody is being served.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from kiosk import logs
from kiosk.devices.camera import Camera, CameraError, Frame
from kiosk.devices.card.front_ocr import CardFrontReader
from kiosk.flows.ports import FrontRead
from kiosk.wareki import pin_b

log = logging.getLogger("kiosk.camera")


class CameraPreview:
    """`FrameSource` for the pages: the newest frame, starting the camera on first use.

    A camera that cannot start gives no frames (the page shows its guide without a picture
    and the face check reports `camera_unavailable`); it is not retried on every paint."""

    RETRY_S = 5.0

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self._failed_at: float | None = None

    def latest_frame(self) -> np.ndarray | None:
        frame = self.latest()
        return None if frame is None else frame.rgb

    def latest(self) -> Frame | None:
        if not self.camera.running:
            if self._failed_at is not None and time.monotonic() - self._failed_at < self.RETRY_S:
                return None
            try:
                self.camera.start()
                self._failed_at = None
            except CameraError as e:
                self._failed_at = time.monotonic()
                logs.event(log, "camera.unavailable", error=e.message_id)
                return None
        return self.camera.latest()

    def rest(self) -> None:
        """Stop the camera (and drop its last frame) until a step needs it again."""
        if self.camera.running:
            self.camera.stop()


class CameraCardFront:
    """`CardFrontPort`: reads 照合番号B off the card front lying under the camera.

    Several frames are tried; only a complete reading is returned, and nothing of what was
    read is logged or kept."""

    def __init__(
        self, preview: CameraPreview, reader: CardFrontReader, frames: int = 3, wait_s: float = 2.0
    ) -> None:
        self._preview = preview
        self._reader = reader
        self._frames = frames
        self._wait_s = wait_s

    def read_front(self) -> FrontRead | None:
        self._preview.camera.start()  # CameraError (a KnownError) reaches the session
        deadline = time.monotonic() + self._wait_s
        seen: set[int] = set()
        while len(seen) < self._frames and time.monotonic() < deadline:
            frame = self._preview.camera.latest()
            if frame is None or id(frame) in seen:
                time.sleep(0.05)
                continue
            seen.add(id(frame))
            reading = self._reader.read(frame.rgb)
            birth = reading.birth.value
            year, code = reading.expiry_year.value, reading.security_code.value
            if birth is None or year is None or code is None:  # not `complete`: next frame
                continue
            try:
                born = birth.to_date()
            except ValueError:  # an era date that is no day (misread): try the next frame
                continue
            logs.event(log, "card_front.read", complete=True, frames=len(seen))
            return FrontRead(str(birth), born, year, code, pin_b(birth, year, code))
        logs.event(log, "card_front.read", complete=False, frames=len(seen))
        return None
