"""Stills of the damage from the running kiosk camera, for photo questions."""

from __future__ import annotations

import io
from typing import Any, Protocol

from kiosk.errors import KnownError


class LiveCamera(Protocol):
    """The kiosk camera as `kiosk.devices.camera.Camera` offers it: the newest frame (with
    `rgb`, an (h, w, 3) uint8 RGB array) or None."""

    def latest(self) -> Any: ...


class CameraStills:
    """A `PhotoSource` over the running kiosk camera: the newest frame as JPEG, in memory."""

    def __init__(self, camera: LiveCamera, quality: int = 88) -> None:
        self._camera = camera
        self._quality = quality

    def capture_jpeg(self) -> bytes:
        from PIL import Image

        frame = self._camera.latest()
        if frame is None:
            raise KnownError("services.camera-unavailable")
        buf = io.BytesIO()
        Image.fromarray(frame.rgb, "RGB").save(buf, format="JPEG", quality=self._quality)
        return buf.getvalue()
