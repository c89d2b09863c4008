"""Frame sequences made from still photos, for the demo camera, the tests and the measurements.

No genuine head-turn video is reachable here (no package ships one), so a "resident" sequence
is synthesised: the face is wrapped on a rough head shape (an ellipsoid with a nose bump at the
5-point nose landmark), turned about the vertical axis and projected back. It is a stand-in
for a person, good enough to run the liveness check end to end with the real detector and
landmark model, and it is labelled as synthetic wherever a figure comes from it.

The presentation attacks are honest models of what they imitate: a printed photo or a phone
screen is a flat picture, so every one of its frames is a plane-to-plane projection
(homography) of the same picture: held still, moved, rotated, tilted towards the camera.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from kiosk.devices.face import geometry, models
from kiosk.devices.face.models import Image

Rgb = Image


def fit_frame(rgb: Rgb, width: int = 640, height: int = 480, face_share: float = 0.14) -> Rgb:
    """The photo placed in a camera-sized frame with its face at a kiosk-like distance:
    eye distance about `face_share` of the frame width (roughly 50 cm from a 640x480 webcam)."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    points = landmarks_of(grey)
    p = geometry.pose(points)
    scale = face_share * width / p.eye_distance
    cx, cy = p.centre
    m = np.array(
        [[scale, 0, width / 2 - cx * scale], [0, scale, height * 0.42 - cy * scale]], np.float64
    )
    out = cv2.warpAffine(rgb, m, (width, height), flags=cv2.INTER_AREA,
                         borderMode=cv2.BORDER_REFLECT)  # fmt: skip
    return np.ascontiguousarray(out)


def landmarks_of(grey: Image) -> geometry.Points:
    import cv2

    m = models.load()
    scale = min(1.0, 640 / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    rects = m.detect(small, 0) or m.detect(small, 1)
    if not rects:
        raise ValueError("no face in the photo")
    r = max(rects, key=lambda r: r.width() * r.height())
    import dlib

    big = dlib.rectangle(
        int(r.left() / scale), int(r.top() / scale), int(r.right() / scale), int(r.bottom() / scale)
    )
    shape = m.landmarks(grey, big)
    return np.array([(q.x, q.y) for q in shape.parts()], np.float64)


def head_turn(
    frame: Rgb, max_degrees: float = 30.0, steps: int = 24, seed: int = 0
) -> Iterator[Rgb]:
    """A synthetic resident: still, turning to one side and back, with sensor noise and a
    little sway. `frame` should come from `fit_frame`."""
    import cv2

    rng = np.random.default_rng(seed)
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    pts = landmarks_of(grey)
    p = geometry.pose(pts)
    h, w = grey.shape
    d = p.eye_distance
    cx, cy = p.centre
    cy += 0.5 * d  # the head's centre sits a little below the eyes
    ax, ay, az = 1.35 * d, 1.8 * d, 1.3 * d  # half-width, half-height, depth of the head
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    r2 = ((xs - cx) / ax) ** 2 + ((ys - cy) / ay) ** 2
    depth = az * np.sqrt(np.clip(1.0 - r2, 0.0, None))
    nx, ny = pts[4]
    nose = 0.45 * d * np.exp(-(((xs - nx) ** 2) / (0.18 * d) ** 2 + ((ys - (ny - 0.35 * d)) ** 2)
                               / (0.45 * d) ** 2))  # fmt: skip
    depth = depth + nose * (r2 < 1)
    half = steps // 3
    angles = [0.0] * half + [
        max_degrees * math.sin(math.pi * i / (steps - half - 1)) for i in range(steps - half)
    ]
    for i, deg in enumerate(angles):
        th = math.radians(deg)
        new_x = cx + (xs - cx) * math.cos(th) + depth * math.sin(th)
        map_x = np.empty_like(xs, dtype=np.float32)
        for row in range(h):  # invert x -> new_x row by row (monotonic for these angles)
            nxr = np.maximum.accumulate(new_x[row])
            map_x[row] = np.interp(xs[row], nxr, xs[row])
        sway = 1.5 * math.sin(i / 3.0)
        map_y = (ys + sway).astype(np.float32)
        out = cv2.remap(frame, map_x + np.float32(sway), map_y, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        yield _noisy(out, rng)


def flat_picture(
    frame: Rgb,
    motion: str,
    steps: int = 24,
    seed: int = 0,
    screen: bool = False,
    cutout: bool = False,
) -> Iterator[Rgb]:
    """A printed photo (or, with `screen`, a phone screen) of `frame` held up to the camera.

    `motion`: "still", "slide" (moved and rotated in its plane), "tilt" (turned about the
    vertical axis, with perspective, up to 45 degrees) or "wave" (all of it at once).
    With `cutout`, only an oval around the face is printed, held in front of a room that
    stays still: the attack the background test cannot see (docs/face.md).
    """
    import cv2

    rng = np.random.default_rng(seed)
    h, w = frame.shape[:2]
    picture = frame
    room: Rgb | None = None
    oval: Image | None = None
    if cutout:
        p = geometry.pose(landmarks_of(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)))
        d, (cx, cy) = p.eye_distance, p.centre
        oval = np.zeros((h, w), np.uint8)
        cv2.ellipse(oval, (int(cx), int(cy + 0.4 * d)), (int(1.3 * d), int(1.8 * d)), 0, 0, 360,
                    255, -1)  # fmt: skip
        room = cv2.GaussianBlur(frame, (0, 0), 25)
    if screen:  # a screen: brighter, bluish, with a faint line pattern
        lines = (np.arange(h) % 3 == 0)[:, None, None] * np.array([0, 6, 10], np.int16)
        picture = np.clip(frame.astype(np.int16) * 1.1 + 12 + lines, 0, 255).astype(np.uint8)
    f = float(w)  # focal length in pixels: a webcam with about 60 degrees of view
    for i in range(steps):
        phase = i / max(1, steps - 1)
        tilt = slide = 0.0
        if motion in ("tilt", "wave"):
            tilt = 45.0 * math.sin(math.pi * phase)
        if motion in ("slide", "wave"):
            slide = math.sin(2 * math.pi * phase)
        hmat = _plane_homography(w, h, f, math.radians(tilt), distance=1.6 * f)
        move = np.array([[math.cos(0.1 * slide), -math.sin(0.1 * slide), 40 * slide],
                         [math.sin(0.1 * slide), math.cos(0.1 * slide), 15 * slide],
                         [0, 0, 1]])  # fmt: skip
        centre = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1]])
        m = centre @ move @ np.linalg.inv(centre) @ hmat
        grey_wall = (70, 70, 70)
        out = cv2.warpPerspective(
            picture, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=grey_wall
        )
        if oval is not None and room is not None:
            held = cv2.warpPerspective(oval, m, (w, h)) > 127
            out = np.where(held[:, :, None], out, room)
        yield _noisy(out, rng)


def _plane_homography(w: int, h: int, f: float, yaw: float, distance: float) -> np.ndarray:
    """Image of a flat picture filling the frame at `distance`, turned by `yaw` radians."""
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    r = np.array([[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]])
    # plane points (x, y, 0) in picture pixels scaled to world units at `distance`
    s = distance / f
    to_world = np.array([[s, 0, -s * w / 2], [0, s, -s * h / 2], [0, 0, 1]])
    rt = np.column_stack([r[:, 0], r[:, 1], np.array([0, 0, distance])])
    return k @ rt @ to_world


def _noisy(rgb: Rgb, rng: np.random.Generator) -> Rgb:
    noise = rng.normal(0, 2.0, rgb.shape)
    return np.ascontiguousarray(np.clip(rgb + noise, 0, 255).astype(np.uint8))
