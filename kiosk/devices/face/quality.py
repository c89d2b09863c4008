"""Is this frame good enough to compare with the card photo? Each "no" is a message id the UI
shows and speaks (assets/i18n/face.toml), in the order a person can act on them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.devices.face.geometry import Pose
from kiosk.devices.face.models import Image

NO_FACE = "face.guide.no_face"
ONE_PERSON = "face.guide.one_person"
TOO_FAR = "face.guide.too_far"
TOO_CLOSE = "face.guide.too_close"
TOO_DARK = "face.guide.too_dark"
BACKLIT = "face.guide.backlit"
FACE_CAMERA = "face.guide.face_camera"
HOLD_STILL = "face.guide.hold_still"
TURN_HEAD = "face.guide.turn_head"
LOOK_STRAIGHT = "face.guide.look_straight"
MASK_GLASSES = "face.guide.mask_glasses"

ALL_GUIDANCE = (
    NO_FACE, ONE_PERSON, TOO_FAR, TOO_CLOSE, TOO_DARK, BACKLIT, FACE_CAMERA, HOLD_STILL,
    TURN_HEAD, LOOK_STRAIGHT, MASK_GLASSES,
)  # fmt: skip


@dataclass(frozen=True)
class QualityLimits:
    """Where each guidance starts. Eye distances are in pixels of the camera frame."""

    min_eye_px: float = 28.0  # below this the face has fewer pixels than the card photo
    max_eye_share: float = 0.30  # eye distance over frame width: closer than this is too close
    edge_margin: float = 0.02  # the face box may not leave the frame by more than this share
    min_brightness: float = 55.0  # mean grey of the face, 0-255
    backlit_ratio: float = 0.55  # face darker than this share of a bright background
    backlit_background: float = 150.0
    max_yaw: float = 0.15  # |yaw| for a frame to count as facing the camera
    max_motion: float = 0.06  # landmark travel between frames, in eye distances


@dataclass(frozen=True)
class FaceView:
    """What one frame shows of the tracked face, in frame pixels."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    pose: Pose
    brightness: float
    background: float
    motion: float  # landmark travel since the previous frame, in eye distances; 0 if first


def measure_light(grey: Image, box: tuple[int, int, int, int]) -> tuple[float, float]:
    """Mean grey of the face box, and of the frame outside it (the background)."""
    h, w = grey.shape[:2]
    left, top, right, bottom = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    if right <= left or bottom <= top:
        return 0.0, float(grey.mean())
    face = grey[top:bottom, left:right]
    face_sum = float(face.sum(dtype=np.float64))
    rest = grey.size - face.size
    background = (float(grey.sum(dtype=np.float64)) - face_sum) / rest if rest else 0.0
    return face_sum / face.size, background


def check(view: FaceView, frame_size: tuple[int, int], limits: QualityLimits) -> str | None:
    """The first thing the resident should change, or None when the frame is good to encode.

    `frame_size` is (width, height).
    """
    w, h = frame_size
    left, top, right, bottom = view.box
    margin_x, margin_y = limits.edge_margin * w, limits.edge_margin * h
    if view.pose.eye_distance > limits.max_eye_share * w:
        return TOO_CLOSE
    if left < -margin_x or top < -margin_y or right > w + margin_x or bottom > h + margin_y:
        return TOO_CLOSE
    if view.pose.eye_distance < limits.min_eye_px:
        return TOO_FAR
    if (
        view.background >= limits.backlit_background
        and view.brightness < limits.backlit_ratio * view.background
    ):
        return BACKLIT
    if view.brightness < limits.min_brightness:
        return TOO_DARK
    if abs(view.pose.yaw) > limits.max_yaw:
        return FACE_CAMERA
    if view.motion > limits.max_motion:
        return HOLD_STILL
    return None
