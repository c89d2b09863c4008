"""The session's face check: demo camera -> verifier worker -> one verdict, nothing kept."""

from __future__ import annotations

import threading

import pytest

from kiosk.devices.camera import DEMO_OTHER, DEMO_PRINTED, DEMO_RESIDENT, demo_camera
from kiosk.devices.face.matcher import FaceMatcher
from kiosk.flows.face_check import CameraFaceCheck
from kiosk.flows.ports import FaceVerdict
from tests.helpers import faces


class Outcome:
    """Collects what the check reports, from whichever thread it reports on."""

    def __init__(self) -> None:
        self.guidance: list[str | None] = []
        self.verdicts: list[FaceVerdict] = []
        self.done = threading.Event()

    def guide(self, g: str | None) -> None:
        self.guidance.append(g)

    def verdict(self, v: FaceVerdict) -> None:
        self.verdicts.append(v)
        self.done.set()


@pytest.fixture(scope="module")
def matcher() -> FaceMatcher:
    return FaceMatcher()


@pytest.mark.parametrize(
    ("scene", "matched"),
    [(DEMO_RESIDENT, True), (DEMO_OTHER, False), (DEMO_PRINTED, False)],
)
def test_one_verdict_per_check(matcher: FaceMatcher, scene: str, matched: bool) -> None:
    camera = demo_camera(faces.photo("obama.jpg"), faces.photo("biden.jpg"), fps=15)
    camera.choose(scene)
    check = CameraFaceCheck(camera, matcher)
    out = Outcome()
    try:
        check.start(faces.card_photo("obama2.jpg"), out.guide, out.verdict)
        assert out.done.wait(60), "no verdict within 60 s"
        assert [v.matched for v in out.verdicts] == [matched]
        assert out.verdicts[0].reason == ("" if matched else "face_no_match")
    finally:
        check.close()
        camera.stop()
    assert not matcher.enrolled  # the card photo's encoding is gone


def test_unusable_card_photo_is_a_verdict_not_a_crash(matcher: FaceMatcher) -> None:
    camera = demo_camera(faces.photo("obama.jpg"), faces.photo("biden.jpg"), fps=15)
    check = CameraFaceCheck(camera, matcher)
    out = Outcome()
    try:
        check.start(b"\x00\x00\x00\x0cjP  not a real photo", out.guide, out.verdict)
        assert out.verdicts == [FaceVerdict(False, "face_unavailable")]
    finally:
        check.close()
        camera.stop()
