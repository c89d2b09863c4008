"""Each quality rule returns its message id, in the order a person can act on them."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.devices.face import quality
from kiosk.devices.face.geometry import Pose

LIMITS = quality.QualityLimits()
SIZE = (640, 480)


def view(**changes: object) -> quality.FaceView:
    base: dict[str, object] = {
        "box": (250, 150, 390, 300),
        "pose": Pose(yaw=0.0, pitch=0.7, eye_distance=60.0, centre=(320, 200)),
        "brightness": 130.0,
        "background": 120.0,
        "motion": 0.0,
    }
    base.update(changes)
    return quality.FaceView(**base)  # type: ignore[arg-type]


def test_a_good_frame_passes() -> None:
    assert quality.check(view(), SIZE, LIMITS) is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"pose": Pose(0.0, 0.7, 20.0, (320, 200))}, quality.TOO_FAR),
        ({"pose": Pose(0.0, 0.7, 230.0, (320, 200))}, quality.TOO_CLOSE),
        ({"box": (-60, 150, 100, 300)}, quality.TOO_CLOSE),
        ({"brightness": 30.0, "background": 40.0}, quality.TOO_DARK),
        ({"brightness": 70.0, "background": 220.0}, quality.BACKLIT),
        ({"pose": Pose(0.3, 0.7, 60.0, (320, 200))}, quality.FACE_CAMERA),
        ({"motion": 0.2}, quality.HOLD_STILL),
    ],
)
def test_each_problem_names_itself(changes: dict[str, object], expected: str) -> None:
    assert quality.check(view(**changes), SIZE, LIMITS) == expected


def test_distance_comes_before_light_and_pose() -> None:
    v = view(pose=Pose(0.4, 0.7, 20.0, (320, 200)), brightness=10.0, background=10.0)
    assert quality.check(v, SIZE, LIMITS) == quality.TOO_FAR


def test_light_is_measured_inside_and_outside_the_face_box() -> None:
    grey = np.full((100, 100), 200, np.uint8)
    grey[20:60, 30:70] = 50
    face, background = quality.measure_light(grey, (30, 20, 70, 60))
    assert face == pytest.approx(50.0)
    assert background == pytest.approx(200.0)
