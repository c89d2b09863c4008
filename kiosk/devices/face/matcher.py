"""Compare a live face with the card photo over several frames: the synchronous core.

`FaceMatcher` takes one frame at a time (contiguous RGB uint8) and answers with an
`Observation`: what to tell the resident and, once there is enough evidence, a `Decision`.
It holds the card photo's encoding and the encodings of live frames in memory only;
`forget()` drops them. `kiosk.devices.face.verifier.FaceVerifier` runs it on a worker thread.

Per frame: find the face cheaply (HOG without upsampling on a reduced frame, then only in a
window around the last face), take its 5 landmarks, check quality, and encode only the
frames that pass, after bringing them into the card's domain (greyscale, the card photo's
scale). The decision uses the mean of the best k distances among up to n encoded frames, and
(if enabled) a head-turn liveness check from the same landmarks.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from kiosk.devices.face import card_photo, geometry, quality
from kiosk.devices.face.geometry import Points
from kiosk.devices.face.models import FaceModels, Image

if TYPE_CHECKING:
    from kiosk.config import FaceSettings

Liveness = Literal["passed", "failed", "off"]
NextStep = Literal["done", "retry", "pin_or_staff"]

MATCH = "face.result.match"
NO_MATCH = "face.result.no_match"
NO_GOOD_FRAMES = "face.result.no_good_frames"
LIVENESS_FAILED = "face.result.liveness_failed"
NOT_SAME_PERSON = "face.result.not_same_person"
RESULTS = (MATCH, NO_MATCH, NO_GOOD_FRAMES, LIVENESS_FAILED, NOT_SAME_PERSON)
PIN_OR_STAFF = "face.next.pin_or_staff"  # what the UI says when next_step is "pin_or_staff"


@dataclass(frozen=True)
class MatchSettings:
    """Everything the matcher decides with. `from_face_settings` maps kiosk.toml's [face]."""

    threshold: float = 0.55  # mean of the best k distances at or below this is a match
    max_attempts: int = 3  # then the decision says: offer the PIN or a staff check
    frames_window: int = 8  # n: encoded frames an attempt may use
    best_of: int = 3  # k
    attempt_s: float = 15.0  # an attempt without a decision ends after this long
    liveness: bool = True
    turn_yaw: float = 0.08  # liveness: change of yaw (eye distances) from the first frontal frame
    parallax: float = 1.4  # liveness: surroundings must fit "stayed" this much better than "moved"
    min_pixel_motion: float = 2.0  # liveness: mean grey change around the face (not a still image)
    liveness_width: int = 160  # frames are reduced to this width for the liveness comparison
    same_person: float = 0.65  # any two encoded frames further apart: not one person throughout
    detect_width: int = 400  # frames are reduced to this width for a full search
    redetect_every: int = 6  # full search this often to count faces, else track
    limits: quality.QualityLimits = field(default_factory=quality.QualityLimits)

    @classmethod
    def from_face_settings(cls, s: FaceSettings) -> MatchSettings:
        return cls(
            threshold=s.threshold,
            max_attempts=s.max_attempts,
            frames_window=s.frames_window,
            best_of=s.best_of,
            attempt_s=s.attempt_s,
            liveness=s.liveness,
            turn_yaw=s.turn_yaw,
            parallax=s.parallax,
        )


@dataclass(frozen=True)
class Decision:
    """The outcome of one attempt. Never locks anything: `next_step` only says what to offer.

    `distance` is the mean of the best `best_of` distances (None if fewer frames were good);
    `reason` is a message id (face.result.*); `advice` are guidance ids worth showing (the most
    common quality problem; masks/glasses once per resident).
    """

    match: bool
    distance: float | None
    threshold: float
    frames_used: int
    frames_seen: int
    reason: str
    liveness: Liveness
    attempt: int
    next_step: NextStep
    advice: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["advice"] = list(self.advice)
        if self.distance is not None:
            d["distance"] = round(self.distance, 4)
        return d


@dataclass(frozen=True)
class Observation:
    """What one frame told: the face box for the preview overlay, what to say, and the
    decision if this frame completed the attempt."""

    box: tuple[int, int, int, int] | None
    guidance: str | None
    decision: Decision | None = None


@dataclass
class _Track:
    box: tuple[int, int, int, int]
    points: Points


@dataclass
class _Attempt:
    started: float
    frames_seen: int = 0
    distances: list[float] = field(default_factory=list)
    encodings: list[npt.NDArray[np.float64]] = field(default_factory=list)
    guidance: Counter[str] = field(default_factory=Counter)
    baseline: Points | None = None  # landmarks of the first frontal frame of this track
    baseline_yaw: float = 0.0
    baseline_small: Image | None = None  # that frame, reduced, for parallax
    live: bool = False

    def drop(self) -> None:
        for e in self.encodings:
            e[:] = 0.0
        self.distances.clear()
        self.encodings.clear()
        self.baseline = None
        self.baseline_small = None


class FaceMatcher:
    """Enroll the card photo once, then `observe()` frames until a Decision comes.

    Not thread-safe: one thread at a time (FaceVerifier gives it its own worker).
    """

    def __init__(self, settings: MatchSettings | None = None, models: FaceModels | None = None):
        self.settings = settings or MatchSettings()
        self._models = models
        self._card: npt.NDArray[np.float64] | None = None
        self._card_eye_px = 0.0
        self._attempt: _Attempt | None = None
        self._track: _Track | None = None
        self._frame_no = 0
        self._far_seen = -(10**9)  # frame number when only the full-size search found a face
        self.attempts = 0  # attempts decided so far for this card
        self._asked_mask = False

    @property
    def models(self) -> FaceModels:
        if self._models is None:
            from kiosk.devices.face import models

            self._models = models.load()
        return self._models

    @property
    def enrolled(self) -> bool:
        return self._card is not None

    # -- the card photo -------------------------------------------------------------------

    def enroll(self, photo: bytes) -> None:
        """Take the card photo (JPEG 2000 bytes from DF27; JPEG/PNG accepted for demo data).

        Keeps only its encoding and eye distance. Raises CardPhotoError if there is no face.
        """
        self._card, self._card_eye_px = self.encode_card(photo)
        self.attempts = 0
        self._asked_mask = False
        self.new_attempt()

    def encode_card(self, photo: bytes) -> tuple[npt.NDArray[np.float64], float]:
        """The card photo's encoding and eye distance in pixels; CardPhotoError if no face."""
        import cv2

        grey = card_photo.decode(photo)
        rects = self.models.detect(grey, 1) or self.models.detect(grey, 2)
        if not rects:
            raise card_photo.CardPhotoError("face.error.card_photo_no_face", "no face found")
        rect = max(rects, key=lambda r: r.width() * r.height())
        shape = self.models.landmarks(grey, rect)
        rgb = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
        return self.models.encode(rgb, shape), geometry.pose(_points(shape)).eye_distance

    def encode_frame(
        self, rgb: Image, card_eye_px: float | None = None
    ) -> npt.NDArray[np.float64] | None:
        """The encoding of the largest face in one frame, brought into the card's domain as
        `observe` does (without quality checks); None if no face. For evaluation and benches."""
        import cv2

        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
        boxes = self._search_all(grey)
        if not boxes:
            return None
        box = max(boxes, key=lambda b: b[2] - b[0])
        saved = self._card_eye_px
        if card_eye_px is not None:
            self._card_eye_px = card_eye_px
        try:
            return self._encode(grey, box, self._landmarks(grey, box))
        finally:
            self._card_eye_px = saved

    # -- frames ---------------------------------------------------------------------------

    def new_attempt(self) -> None:
        """Start over (after a decision, or when the resident presses "try again")."""
        if self._attempt is not None:
            self._attempt.drop()
        self._attempt = None
        self._track = None

    def observe(self, rgb: Image, t: float | None = None) -> Observation:
        """Look at one frame; `t` is its capture time in seconds (monotonic clock)."""
        import cv2

        if self._card is None:
            raise RuntimeError("enroll() the card photo first")
        now = time.monotonic() if t is None else t
        a = self._attempt
        if a is None:
            a = self._attempt = _Attempt(started=now)
        a.frames_seen += 1
        self._frame_no += 1
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
        obs = self._look(grey, a)
        if obs.guidance is not None:
            a.guidance[obs.guidance] += 1
        decision = self._maybe_decide(a, now)
        if decision is not None:
            return Observation(obs.box, obs.guidance, decision)
        if obs.guidance is None and len(a.distances) >= self.settings.best_of:
            guide = quality.TURN_HEAD if self.settings.liveness and not a.live else None
            return Observation(obs.box, guide)
        return obs

    def finish(self, now: float | None = None) -> Decision:
        """Decide with what this attempt has seen (end of a recording, or the resident gave up)."""
        a = self._attempt or _Attempt(started=0.0)
        return self._decide(a)

    def close(self) -> None:
        """The same as forget(); for symmetry with MatcherProcess."""
        self.forget()

    def forget(self) -> None:
        """Drop the card encoding and everything seen. The matcher must be enrolled again."""
        self.new_attempt()
        if self._card is not None:
            self._card[:] = 0.0
        self._card = None
        self._card_eye_px = 0.0
        self.attempts = 0

    # -- inside ---------------------------------------------------------------------------

    def _look(self, grey: Image, a: _Attempt) -> Observation:
        s = self.settings
        h, w = grey.shape[:2]
        full_search = self._track is None or self._frame_no % s.redetect_every == 0
        box: tuple[int, int, int, int] | None = None
        if not full_search and self._track is not None:
            box = self._search_near(grey, self._track.box)
        if box is None:
            boxes = self._search_all(grey)
            if not boxes:
                self._lost(a)
                recently_far = self._frame_no - self._far_seen <= s.redetect_every
                return Observation(None, quality.TOO_FAR if recently_far else quality.NO_FACE)
            biggest = max(boxes, key=lambda b: b[2] - b[0])
            rivals = [b for b in boxes if (b[2] - b[0]) >= 0.6 * (biggest[2] - biggest[0])]
            if len(rivals) > 1:
                self._lost(a)  # liveness evidence must come from one person
                return Observation(biggest, quality.ONE_PERSON)
            box = biggest
        points = self._landmarks(grey, box)
        pose = geometry.pose(points)
        previous = self._track
        motion = 0.0
        if previous is not None and pose.eye_distance > 0:
            jump = np.max(np.hypot(*(points - previous.points).T)) / pose.eye_distance
            if jump > 1.0:  # a different face took the tracked one's place
                a.baseline, a.baseline_small = None, None
                a.live = False
            else:
                motion = float(jump)
        self._track = _Track(box, points)
        brightness, background = quality.measure_light(grey, box)
        view = quality.FaceView(box, pose, brightness, background, motion)
        problem = quality.check(view, (w, h), s.limits)
        if s.liveness and not a.live:
            self._liveness(a, grey, points, pose)
        if problem == quality.FACE_CAMERA and a.baseline is not None:
            return Observation(box, None)  # turning is what we ask for; just not encoded
        if problem is not None:
            return Observation(box, problem)
        if len(a.distances) < s.frames_window and self._card is not None:
            enc = self._encode(grey, box, points)
            a.encodings.append(enc)
            a.distances.append(float(np.linalg.norm(enc - self._card)))
        if a.live and len(a.distances) < s.best_of:
            return Observation(box, quality.LOOK_STRAIGHT)
        return Observation(box, None)

    def _liveness(self, a: _Attempt, grey: Image, points: Points, pose: geometry.Pose) -> None:
        """Live when the head turned (yaw changed) and its surroundings did not turn with it."""
        import cv2

        s = self.settings
        scale = min(1.0, s.liveness_width / grey.shape[1])
        if a.baseline is None or a.baseline_small is None:
            if abs(pose.yaw) <= s.limits.max_yaw:
                a.baseline, a.baseline_yaw = points.copy(), pose.yaw
                a.baseline_small = cv2.resize(
                    grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA
                )
            return
        if abs(pose.yaw - a.baseline_yaw) < s.turn_yaw:
            return
        small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        base = geometry.pose(a.baseline)
        d, (cx, cy) = base.eye_distance, base.centre
        face = ((cx - d) * scale, (cy - 0.8 * d) * scale, (cx + d) * scale, (cy + 1.6 * d) * scale)
        moved, stayed = geometry.surroundings_follow(
            a.baseline_small, small, a.baseline * scale, points * scale, face
        )
        a.live = moved >= s.parallax * stayed and stayed >= s.min_pixel_motion

    def _lost(self, a: _Attempt) -> None:
        self._track = None

    def _search_all(self, grey: Image) -> list[tuple[int, int, int, int]]:
        import cv2

        w = grey.shape[1]
        scale = min(1.0, self.settings.detect_width / w)
        small = (
            grey
            if scale == 1.0
            else cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        rects = self.models.detect(small, 0)
        if not rects and scale < 1.0 and self._frame_no % self.settings.redetect_every == 0:
            rects, scale = self.models.detect(grey, 0), 1.0  # smaller faces: "come closer"
            if rects:
                self._far_seen = self._frame_no
        return [_box(r, 1 / scale) for r in rects]

    def _search_near(
        self, grey: Image, box: tuple[int, int, int, int]
    ) -> tuple[int, int, int, int] | None:
        import cv2

        h, w = grey.shape[:2]
        left, top, right, bottom = box
        size = right - left
        x0, y0 = max(0, int(left - 0.6 * size)), max(0, int(top - 0.6 * size))
        x1, y1 = min(w, int(right + 0.6 * size)), min(h, int(bottom + 0.6 * size))
        roi = grey[y0:y1, x0:x1]
        if roi.size == 0:
            return None
        # The face at ~110 px: above HOG's 80 px window; a small window is cheap to enlarge.
        scale = min(2.0, 110 / max(size, 1))
        small = (
            roi
            if scale == 1.0
            else cv2.resize(
                roi,
                None,
                fx=scale,
                fy=scale,
                interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
            )
        )
        rects = self.models.detect(small, 0)
        if len(rects) != 1:
            return None
        b = _box(rects[0], 1 / scale)
        return b[0] + x0, b[1] + y0, b[2] + x0, b[3] + y0

    def _landmarks(self, grey: Image, box: tuple[int, int, int, int]) -> Points:
        import dlib

        return _points(self.models.landmarks(grey, dlib.rectangle(*box)))

    def _encode(
        self, grey: Image, box: tuple[int, int, int, int], points: Points
    ) -> npt.NDArray[np.float64]:
        """Encode the face after bringing it to the card photo's scale, in greyscale."""
        import cv2
        import dlib

        h, w = grey.shape[:2]
        left, top, right, bottom = box
        size = right - left
        x0, y0 = max(0, left - size), max(0, top - size)
        x1, y1 = min(w, right + size), min(h, bottom + size)
        crop = grey[y0:y1, x0:x1]
        eye = geometry.pose(points).eye_distance
        scale = min(1.0, self._card_eye_px / eye) if eye > 0 and self._card_eye_px > 0 else 1.0
        if scale < 1.0:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rect = dlib.rectangle(
            int((left - x0) * scale),
            int((top - y0) * scale),
            int((right - x0) * scale),
            int((bottom - y0) * scale),
        )
        shape = self.models.landmarks(crop, rect)
        rgb = cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)
        return self.models.encode(rgb, shape)

    def _maybe_decide(self, a: _Attempt, now: float) -> Decision | None:
        s = self.settings
        live_ok = a.live or not s.liveness
        enough = len(a.distances) >= s.best_of
        if enough and live_ok and _best(a.distances, s.best_of) <= s.threshold:
            return self._decide(a)
        if len(a.distances) >= s.frames_window and live_ok:
            return self._decide(a)
        if now - a.started >= s.attempt_s:
            return self._decide(a)
        return None

    def _decide(self, a: _Attempt) -> Decision:
        s = self.settings
        liveness: Liveness = "off" if not s.liveness else ("passed" if a.live else "failed")
        distance = _best(a.distances, s.best_of) if len(a.distances) >= s.best_of else None
        if distance is None:
            reason = NO_GOOD_FRAMES
        elif _spread(a.encodings) > s.same_person:
            reason = NOT_SAME_PERSON
        elif liveness == "failed":
            reason = LIVENESS_FAILED
        elif distance <= s.threshold:
            reason = MATCH
        else:
            reason = NO_MATCH
        match = reason == MATCH
        self.attempts += 1
        advice: list[str] = []
        if a.guidance:
            common = [g for g, _ in a.guidance.most_common() if g != quality.TURN_HEAD]
            advice += common[:1]
        if not match and reason in (NO_MATCH, NOT_SAME_PERSON) and not self._asked_mask:
            advice.append(quality.MASK_GLASSES)  # asked once: a new pair of glasses is common
            self._asked_mask = True
        if match:
            step: NextStep = "done"
        elif self.attempts >= s.max_attempts:
            step = "pin_or_staff"
        else:
            step = "retry"
        decision = Decision(
            match=match,
            distance=distance,
            threshold=s.threshold,
            frames_used=len(a.distances),
            frames_seen=a.frames_seen,
            reason=reason,
            liveness=liveness,
            attempt=self.attempts,
            next_step=step,
            advice=tuple(advice),
        )
        self.new_attempt()
        return decision


def _best(distances: list[float], k: int) -> float:
    return float(np.mean(sorted(distances)[:k]))


def _spread(encodings: list[npt.NDArray[np.float64]]) -> float:
    if len(encodings) < 2:
        return 0.0
    e = np.stack(encodings)
    return float(np.max(np.linalg.norm(e[:, None, :] - e[None, :, :], axis=2)))


def _points(shape: Any) -> Points:
    return np.array([(p.x, p.y) for p in shape.parts()], np.float64)


def _box(rect: Any, scale: float) -> tuple[int, int, int, int]:
    return (
        int(rect.left() * scale),
        int(rect.top() * scale),
        int(rect.right() * scale),
        int(rect.bottom() * scale),
    )
