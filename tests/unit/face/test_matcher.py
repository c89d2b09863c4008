"""The matcher on the reachable photos: genuine attempts match, other people and flat
pictures do not, failures never lock, and forget() drops what was held."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pytest

from kiosk.devices.face import quality
from kiosk.devices.face.matcher import (
    LIVENESS_FAILED,
    MATCH,
    NO_GOOD_FRAMES,
    NO_MATCH,
    Decision,
    FaceMatcher,
    MatchSettings,
)
from tests.helpers import faces

STILL = MatchSettings(liveness=False)


def run(m: FaceMatcher, frames: Iterable[np.ndarray], fps: float = 15.0) -> Decision:
    for i, f in enumerate(frames):
        obs = m.observe(f, t=i / fps)
        if obs.decision is not None:
            return obs.decision
    return m.finish()


def enrolled(card: str, settings: MatchSettings = STILL) -> FaceMatcher:
    m = FaceMatcher(settings)
    m.enroll(faces.card_photo(card))
    return m


def test_same_person_from_another_photo_matches() -> None:
    d = run(enrolled("obama.jpg"), [faces.live_frame("obama3.jpg")] * 8)
    assert d.match and d.reason == MATCH
    assert d.distance is not None and d.distance <= d.threshold
    assert d.frames_used == STILL.best_of  # decided as soon as the best k were good enough
    assert d.liveness == "off" and d.next_step == "done"


@pytest.mark.parametrize("other", ["biden.jpg", "astronaut.png"])
def test_another_person_does_not_match(other: str) -> None:
    d = run(enrolled("obama.jpg"), [faces.live_frame(other)] * 10)
    assert not d.match and d.reason == NO_MATCH
    assert d.distance is not None and d.distance > d.threshold
    assert d.frames_used == STILL.frames_window  # used all n before saying no


def test_three_failures_offer_pin_or_staff_and_lock_nothing() -> None:
    m = enrolled("obama.jpg")
    steps = [run(m, [faces.live_frame("biden.jpg")] * 10).next_step for _ in range(3)]
    assert steps == ["retry", "retry", "pin_or_staff"]
    # The resident can still try again, and succeed: nothing was locked.
    again = run(m, [faces.live_frame("obama3.jpg")] * 8)
    assert again.match and again.attempt == 4


def test_masks_and_glasses_are_asked_about_once() -> None:
    m = enrolled("obama.jpg")
    first = run(m, [faces.live_frame("biden.jpg")] * 10)
    second = run(m, [faces.live_frame("biden.jpg")] * 10)
    assert quality.MASK_GLASSES in first.advice
    assert quality.MASK_GLASSES not in second.advice


def test_an_empty_room_gives_no_face_guidance_and_no_decision_on_distance() -> None:
    m = enrolled("obama.jpg", replace(STILL, attempt_s=1.0))
    room = np.full((480, 640, 3), 140, np.uint8)
    obs = m.observe(room, t=0.0)
    assert obs.guidance == quality.NO_FACE and obs.box is None
    d = run(m, [room] * 20, fps=10)
    assert d.reason == NO_GOOD_FRAMES and d.distance is None
    assert d.advice[0] == quality.NO_FACE


def test_two_people_are_asked_to_come_one_at_a_time() -> None:
    m = enrolled("obama.jpg")
    obs = m.observe(faces.two_people(), t=0.0)
    assert obs.guidance == quality.ONE_PERSON


def test_a_face_cut_by_the_frame_edge_is_too_close() -> None:
    import cv2

    frame = cv2.resize(faces.rgb("obama_partial_face.jpg"), (640, 480))
    obs = enrolled("obama.jpg").observe(np.ascontiguousarray(frame), t=0.0)
    assert obs.guidance in (quality.TOO_CLOSE, quality.NO_FACE)
    assert obs.guidance is not None


def test_a_dark_frame_is_too_dark() -> None:
    dark = (faces.live_frame("obama3.jpg") * 0.25).astype(np.uint8)
    obs = enrolled("obama.jpg").observe(dark, t=0.0)
    assert obs.guidance == quality.TOO_DARK


def test_genuine_head_turn_passes_liveness_and_matches() -> None:
    m = enrolled("obama.jpg", MatchSettings())
    d = run(m, faces.head_turn("obama3.jpg"))
    assert d.liveness == "passed"
    assert d.match and d.reason == MATCH


@pytest.mark.parametrize("motion", ["still", "slide", "tilt", "wave"])
def test_a_printed_photo_fails_liveness(motion: str) -> None:
    m = enrolled("obama.jpg", MatchSettings())
    d = run(m, faces.flat_picture("obama3.jpg", motion))
    assert not d.match
    assert d.liveness == "failed"
    assert d.reason in (LIVENESS_FAILED, NO_GOOD_FRAMES)


def test_a_phone_screen_fails_liveness() -> None:
    m = enrolled("obama.jpg", MatchSettings())
    d = run(m, faces.flat_picture("obama3.jpg", "wave", screen=True))
    assert not d.match and d.liveness == "failed"


def test_the_turn_is_asked_for_once_the_frontal_frames_are_in() -> None:
    m = enrolled("obama.jpg", MatchSettings())
    guidance = [
        m.observe(f, t=i / 15).guidance for i, f in enumerate(faces.head_turn("obama3.jpg")[:8])
    ]
    assert quality.TURN_HEAD in guidance


def test_forget_zeroes_the_card_encoding_and_needs_a_new_enrolment() -> None:
    m = enrolled("obama.jpg")
    held = m._card
    assert held is not None and np.any(held)
    m.forget()
    assert not m.enrolled
    assert not np.any(held)  # the array itself was wiped, not just dropped
    with pytest.raises(RuntimeError):
        m.observe(faces.live_frame("obama3.jpg"))


def test_decision_json_has_the_promised_keys() -> None:
    d = run(enrolled("obama.jpg"), [faces.live_frame("obama3.jpg")] * 8).as_json()
    assert {"match", "distance", "threshold", "frames_used", "reason", "liveness"} <= set(d)
    assert isinstance(d["advice"], list)


def test_importing_face_code_loads_no_model_and_never_face_recognition() -> None:
    code = (
        "import sys\n"
        "import kiosk.devices.face.matcher, kiosk.devices.face.verifier, kiosk.devices.camera\n"
        "import kiosk.commands.face\n"
        "print(sorted(m for m in ('dlib', 'cv2', 'face_recognition') if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_the_kiosk_never_imports_face_recognition_which_loads_the_68_point_model() -> None:
    from tests.conftest import REPO

    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "kiosk").rglob("*.py")
        if "import face_recognition" in p.read_text(encoding="utf-8")
        or "from face_recognition " in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def small_face(scale: float) -> np.ndarray:
    import cv2

    small = cv2.resize(faces.live_frame("obama3.jpg"), None, fx=scale, fy=scale)
    canvas = np.full((480, 640, 3), 120, np.uint8)
    canvas[: small.shape[0], : small.shape[1]] = small
    return canvas


def test_a_face_too_small_to_compare_is_told_to_come_closer_steadily() -> None:
    m = enrolled("obama.jpg")
    guidance = [m.observe(small_face(0.3), t=i / 15).guidance for i in range(14)]
    first = guidance.index(quality.TOO_FAR)
    assert first <= STILL.redetect_every
    assert (
        guidance[first : first + STILL.redetect_every] == [quality.TOO_FAR] * STILL.redetect_every
    )


def test_a_smaller_face_still_good_enough_is_tracked_and_matched() -> None:
    d = run(enrolled("obama.jpg"), [small_face(0.45)] * 12)
    assert d.match


def test_a_bright_window_behind_a_dark_face_is_backlit() -> None:
    m = enrolled("obama.jpg")
    frame = faces.live_frame("obama3.jpg")
    box = m.observe(frame, t=0.0).box
    assert box is not None
    left, top, right, bottom = box
    pad = (right - left) // 2
    backlit = np.full_like(frame, 250)  # a bright window around the resident
    y0, x0 = max(0, top - pad), max(0, left - pad)
    backlit[y0 : bottom + pad, x0 : right + pad] = (
        frame[y0 : bottom + pad, x0 : right + pad] * 0.45
    ).astype(np.uint8)
    m.new_attempt()
    assert m.observe(backlit, t=0.0).guidance == quality.BACKLIT
