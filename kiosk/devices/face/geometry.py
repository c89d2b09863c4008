"""Head pose and planarity from dlib's 5-point landmarks (pure numpy, no model needed).

dlib's 5 points: 0/1 outer/inner corner of the eye on the image's right, 2/3 outer/inner
corner of the eye on the image's left, 4 the base of the nose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kiosk.devices.face.models import Image

Points = npt.NDArray[np.float64]  # shape (5, 2): x, y in frame pixels


@dataclass(frozen=True)
class Pose:
    """Where the face points, from the landmarks alone, independent of roll and scale.

    `yaw` is the nose's sideways offset from the eyes' midpoint in units of the distance
    between the eyes (0 facing the camera, about ±0.1 per 20° of head turn). `pitch` is the
    nose's drop below the eye line in the same unit. A flat picture moved, scaled, rotated in
    its plane or tilted keeps both nearly constant; a real head turning changes `yaw`.
    """

    yaw: float
    pitch: float
    eye_distance: float  # pixels between the eye centres
    centre: tuple[float, float]  # midpoint of the eyes, frame pixels


def eye_centres(points: Points) -> tuple[Points, Points]:
    a = points[0:2].mean(axis=0)
    b = points[2:4].mean(axis=0)
    return (a, b) if a[0] <= b[0] else (b, a)


def pose(points: Points) -> Pose:
    left, right = eye_centres(points)
    axis = right - left
    d = float(np.hypot(*axis))
    if d < 1e-6:
        return Pose(0.0, 0.0, 0.0, (float(left[0]), float(left[1])))
    u = axis / d
    n = np.array([-u[1], u[0]])  # perpendicular, pointing down the face
    mid = (left + right) / 2
    rel = points[4] - mid
    return Pose(
        yaw=float(rel @ u) / d,
        pitch=float(rel @ n) / d,
        eye_distance=d,
        centre=(float(mid[0]), float(mid[1])),
    )


def surroundings_follow(
    before: Image,
    after: Image,
    points_before: Points,
    points_after: Points,
    box: tuple[float, float, float, float],
) -> tuple[float, float]:
    """Does the picture around the face move with the face? (flat picture) Or stay? (a head)

    Returns (error if the surroundings moved as the face did, error if they stayed still), as
    mean grey differences over a ring around the face box `box` (left, top, right, bottom) of
    `before`. All inputs are in the same (reduced) pixel scale. A printed photo or a screen
    carries its surroundings with the face, so the first error is the smaller one; a head
    turns in front of a background that stays, so the second is.
    """
    import cv2

    h, w = before.shape[:2]
    # An affine fit: the 4 eye corners are nearly on one line, too few for a stable homography.
    src = np.hstack([points_before, np.ones((len(points_before), 1))])
    am, *_ = np.linalg.lstsq(src, points_after, rcond=None)
    moved = cv2.warpAffine(before, am.T, (w, h), borderMode=cv2.BORDER_REPLICATE)
    left, top, right, bottom = box
    cx, cy = (left + right) / 2, (top + bottom) / 2
    half_w, half_h = (right - left) / 2, (bottom - top) / 2
    ys, xs = np.mgrid[0:h, 0:w]
    rx, ry = np.abs(xs - cx) / half_w, np.abs(ys - cy) / half_h
    outer, inner = np.maximum(rx, ry) <= 2.2, np.maximum(rx, ry) >= 1.4
    ring = outer & inner
    if not ring.any():
        return float("inf"), 0.0
    a = after.astype(np.int16)
    return (
        float(np.abs(moved.astype(np.int16) - a)[ring].mean()),
        float(np.abs(before.astype(np.int16) - a)[ring].mean()),
    )
