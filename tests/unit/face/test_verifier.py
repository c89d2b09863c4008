"""FaceVerifier: submit() never waits for matching, only the newest frame is kept, decisions
arrive by queue and callback, and the verifier pauses after a decision until retry()."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from kiosk.devices.face.matcher import Decision, FaceMatcher, MatchSettings, Observation
from kiosk.devices.face.verifier import FaceVerifier
from kiosk.errors import KnownError
from tests.helpers import faces


class GatedMatcher(FaceMatcher):
    """A real matcher whose observe() waits at a gate, to hold the worker mid-frame."""

    def __init__(self) -> None:
        super().__init__(MatchSettings(liveness=False))
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.seen: list[int] = []

    def observe(self, rgb: np.ndarray, t: float | None = None) -> Observation:
        self.entered.set()
        self.gate.wait(timeout=30)
        self.seen.append(int(rgb[0, 0, 0]))
        return super().observe(rgb, t)


def marked(value: int) -> np.ndarray:
    frame = faces.live_frame("obama3.jpg").copy()
    frame[0, 0, 0] = value
    return frame


def test_submit_returns_while_a_frame_is_being_matched_and_keeps_only_the_newest() -> None:
    m = GatedMatcher()
    with FaceVerifier(m) as v:
        v.enroll(faces.card_photo("obama.jpg"))
        assert v.submit(marked(1), t=0.0)
        assert m.entered.wait(timeout=30)  # the worker now holds frame 1 at the gate
        for i in range(2, 7):
            assert v.submit(marked(i), t=i / 30)
        # All five returned while the worker was still stuck on frame 1: submit never waits.
        assert v.frames_processed == 0 and v.frames_submitted == 6
        m.gate.set()
        decision = None
        for i in range(7, 400):
            if not v.decisions.empty():
                decision = v.decisions.get()
                break
            v.submit(marked(7), t=i / 30)
            time.sleep(0.01)
        assert decision is not None
    assert m.seen[0] == 1
    assert not set(m.seen) & {2, 3, 4, 5}  # older pending frames were dropped for the newest
    assert decision.match


def test_decisions_come_by_callback_then_the_verifier_waits_for_retry() -> None:
    got: list[Decision] = []
    observations: list[Observation] = []
    done = threading.Event()

    def on_decision(d: Decision) -> None:
        got.append(d)
        done.set()

    matcher = FaceMatcher(MatchSettings(liveness=False))
    with FaceVerifier(matcher, on_observation=observations.append, on_decision=on_decision) as v:
        v.enroll(faces.card_photo("obama.jpg"))
        frame = faces.live_frame("biden.jpg")
        i = 0
        while not done.is_set() and i < 200:
            v.submit(frame, t=i / 15)
            i += 1
            time.sleep(0.01)
        assert done.wait(timeout=60)
        assert not v.submit(frame)  # paused after the decision
        v.retry()
        assert v.submit(frame)
    assert got[0].reason == "face.result.no_match" and not got[0].match
    assert any(o.decision == got[0] for o in observations)


def test_forget_drops_the_enrolment_and_refuses_frames() -> None:
    with FaceVerifier(FaceMatcher(MatchSettings(liveness=False))) as v:
        v.enroll(faces.card_photo("obama.jpg"))
        v.forget()
        assert not v.submit(faces.live_frame("obama3.jpg"))


def test_matching_in_a_child_process_decides_and_reports_card_photo_errors() -> None:
    from kiosk.devices.face import card_photo

    decided = threading.Event()
    got: list[Decision] = []

    def on_decision(d: Decision) -> None:
        got.append(d)
        decided.set()

    v = FaceVerifier.in_child_process(MatchSettings(liveness=False), on_decision=on_decision)
    try:
        with pytest.raises(card_photo.CardPhotoError) as e:
            v.enroll(b"not a photo")
        assert e.value.message_id == "face.error.card_photo_unreadable"
        v.enroll(faces.card_photo("obama.jpg"))
        frame = faces.live_frame("obama3.jpg")
        for i in range(300):
            if decided.is_set():
                break
            v.submit(frame, t=i / 15)
            time.sleep(0.02)
        assert decided.wait(timeout=60)
    finally:
        v.close()
    assert got[0].match
    assert not v._matcher._proc.is_alive()  # type: ignore[attr-defined]  # its own child ended


def test_a_dead_matcher_process_becomes_a_known_error_not_a_hang() -> None:
    from kiosk.devices.face.process import UNAVAILABLE, MatcherProcess

    errors: list[KnownError] = []
    failed = threading.Event()

    def on_error(e: KnownError) -> None:
        errors.append(e)
        failed.set()

    matcher = MatcherProcess(MatchSettings(liveness=False))
    v = FaceVerifier(matcher, on_error=on_error)
    try:
        v.enroll(faces.card_photo("obama.jpg"))
        matcher._proc.kill()
        matcher._proc.join(timeout=10)
        v.submit(faces.live_frame("obama3.jpg"), t=0.0)
        assert failed.wait(timeout=30)
    finally:
        v.close()
        matcher.close()
    assert errors[0].message_id == UNAVAILABLE
    assert v.error is errors[0]
