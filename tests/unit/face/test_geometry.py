"""Pose from 5 landmarks, and the background test that tells a head from a flat picture."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kiosk.devices.face import geometry

# A frontal face: outer/inner corners of the image-right eye, then the image-left eye, nose.
FRONTAL = np.array([[150.0, 100], [130, 100], [70, 100], [90, 100], [110, 140]])


def similarity(points: np.ndarray, angle: float, scale: float, shift: tuple[float, float]):
    c, s = math.cos(angle), math.sin(angle)
    r = np.array([[c, -s], [s, c]]) * scale
    return points @ r.T + np.array(shift)


def test_frontal_face_has_no_yaw_and_a_positive_pitch() -> None:
    p = geometry.pose(FRONTAL)
    assert p.yaw == pytest.approx(0.0)
    assert p.pitch == pytest.approx(40 / 60)
    assert p.eye_distance == pytest.approx(60.0)


@pytest.mark.parametrize("angle", [-0.4, 0.0, 0.3])
@pytest.mark.parametrize("scale", [0.5, 1.0, 2.5])
def test_pose_ignores_moving_rotating_and_scaling_a_picture(angle: float, scale: float) -> None:
    turned = FRONTAL.copy()
    turned[4, 0] += 9  # the nose offset a head turn gives
    before = geometry.pose(turned)
    after = geometry.pose(similarity(turned, angle, scale, (33, -12)))
    assert after.yaw == pytest.approx(before.yaw, abs=1e-9)
    assert after.pitch == pytest.approx(before.pitch, abs=1e-9)


def test_nose_moving_sideways_changes_yaw_with_its_sign() -> None:
    right, left = FRONTAL.copy(), FRONTAL.copy()
    right[4, 0] += 6
    left[4, 0] -= 6
    assert geometry.pose(right).yaw == pytest.approx(0.1)
    assert geometry.pose(left).yaw == pytest.approx(-0.1)


def textured(h: int = 120, w: int = 160, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (h // 8, w // 8)).astype(np.uint8)
    import cv2

    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def test_a_picture_moved_as_a_whole_carries_its_surroundings() -> None:
    import cv2

    scene = textured()
    pts = np.array([[95.0, 50], [88, 50], [65, 50], [72, 50], [80, 65]])
    m = np.array([[1.0, 0, 7], [0, 1.0, 3]])
    moved_scene = cv2.warpAffine(scene, m, (160, 120), borderMode=cv2.BORDER_REPLICATE)
    moved_pts = pts + np.array([7, 3])
    moved, stayed = geometry.surroundings_follow(
        scene, moved_scene, pts, moved_pts, (60, 35, 100, 80)
    )
    assert moved < stayed / 3


def test_a_head_moving_before_a_still_background_leaves_it_in_place() -> None:
    scene = textured()
    pts = np.array([[95.0, 50], [88, 50], [65, 50], [72, 50], [80, 65]])
    after = scene.copy()
    after[35:80, 60:100] = textured(seed=2)[35:80, 60:100]  # only the face region changes
    moved, stayed = geometry.surroundings_follow(
        scene, after, pts, pts + np.array([6, 0]), (60, 35, 100, 80)
    )
    assert stayed < moved / 3
