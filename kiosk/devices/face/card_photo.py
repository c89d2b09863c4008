"""The card photo's domain: a small greyscale JPEG 2000 (DF27 of the card-face AP).

`decode` reads what the card holds; `simulate` turns any portrait into something card-like
(greyscale, passport framing, card-like pixel size, JPEG 2000 at card-like bytes) so the
demo cards and `kiosk face evaluate` compare live frames against the same kind of picture a
real card gives. The real DF27 size is unconfirmed (DOMAIN.md): the format is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.devices.face import models
from kiosk.devices.face.models import Image
from kiosk.errors import KnownError

JP2_SIGNATURE = bytes.fromhex("0000000C6A502020")


@dataclass(frozen=True)
class CardPhotoFormat:
    """What a simulated card photo looks like. The defaults are a guess at DF27, not a fact."""

    width: int = 192
    height: int = 240
    max_bytes: int = 6000
    face_share: float = 0.5  # face box width as a share of the photo width (passport framing)


CARD_LIKE = CardPhotoFormat()


class CardPhotoError(KnownError):
    """The card photo cannot be used for a face match; the UI offers the PIN or staff."""


def decode(data: bytes) -> Image:
    """Greyscale pixels of a JPEG 2000 (or JPEG/PNG, for demo data) photo; raises CardPhotoError."""
    import cv2

    buf = np.frombuffer(data, np.uint8)
    grey = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if buf.size else None
    if grey is None or grey.size == 0:
        raise CardPhotoError("face.error.card_photo_unreadable", f"{len(data)} bytes, not an image")
    return np.ascontiguousarray(grey)


def encode_jp2(grey: Image, max_bytes: int) -> bytes:
    """JPEG 2000 (JP2 container) of `grey`, as good as fits in `max_bytes`."""
    import cv2

    best: bytes | None = None
    lo, hi = 1, 1000  # OpenCV's compression rate x1000: higher is better quality, more bytes
    while lo <= hi:
        mid = (lo + hi) // 2
        ok, buf = cv2.imencode(".jp2", grey, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, mid])
        if not ok:
            raise CardPhotoError("face.error.card_photo_unreadable", "JPEG 2000 encoder failed")
        if len(buf) <= max_bytes:
            best, lo = buf.tobytes(), mid + 1
        else:
            hi = mid - 1
    if best is None:
        ok, buf = cv2.imencode(".jp2", grey, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 1])
        best = buf.tobytes()
    return best


def simulate(rgb: Image, fmt: CardPhotoFormat = CARD_LIKE) -> bytes:
    """A card-like JP2 photo of the face in `rgb` (the largest); CardPhotoError if none."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    found = _largest_face(grey)
    if found is None:
        raise CardPhotoError("face.error.card_photo_no_face", "no face in the source photo")
    left, top, right, bottom = found
    face_w = right - left
    crop_w = face_w / fmt.face_share
    crop_h = crop_w * fmt.height / fmt.width
    cx, cy = (left + right) / 2, (top + bottom) / 2
    x0, y0 = cx - crop_w / 2, cy - crop_h * 0.45  # a little more room under the chin
    scale = fmt.width / crop_w
    m = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]], np.float64)
    card = cv2.warpAffine(
        grey, m, (fmt.width, fmt.height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    return encode_jp2(card, fmt.max_bytes)


def _largest_face(grey: Image) -> tuple[int, int, int, int] | None:
    import cv2

    m = models.load()
    scale = min(1.0, 640 / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    rects = m.detect(small, 0) or m.detect(small, 1)
    if not rects:
        return None
    r = max(rects, key=lambda r: r.width() * r.height())
    return (
        int(r.left() / scale),
        int(r.top() / scale),
        int(r.right() / scale),
        int(r.bottom() / scale),
    )
