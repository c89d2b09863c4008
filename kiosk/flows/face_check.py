"""The session's face check over the camera and the face verifier, off the GUI thread.

Frames go from the camera's thread straight to the verifier's worker; the session hears
guidance and the verdict through callbacks that the composition root routes to the GUI
thread. When the check ends, the card photo's encoding and every frame are dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk import logs
from kiosk.devices.camera import Camera, CameraError, Frame
from kiosk.devices.face.card_photo import CardPhotoError
from kiosk.devices.face.matcher import Decision, FaceMatcher, Observation
from kiosk.devices.face.process import MatcherProcess
from kiosk.devices.face.verifier import FaceVerifier
from kiosk.flows.ports import FaceVerdict

log = logging.getLogger("kiosk.face_check")

Guidance = Callable[[str | None], None]
Verdict = Callable[[FaceVerdict], None]


class CameraFaceCheck:
    """`FacePort` for a live camera: `start()` returns at once; the verdict comes later."""

    def __init__(self, camera: Camera, matcher: FaceMatcher | MatcherProcess) -> None:
        """`matcher`: a `MatcherProcess` in the kiosk, so dlib's hold on the interpreter lock
        never slows the preview; a `FaceMatcher` in-process where that does not matter."""
        self._camera = camera
        self._verifier = FaceVerifier(matcher, self._observed, self._decided)
        self._lock = threading.Lock()
        self._on_verdict: Verdict | None = None
        self._on_guidance: Guidance | None = None
        self._last_guidance: str | None = None

    @property
    def busy(self) -> bool:
        return self._on_verdict is not None

    def start(self, photo: bytes, on_guidance: Guidance, on_verdict: Verdict) -> None:
        """Enroll the card photo and watch the camera; exactly one `on_verdict` follows."""
        self.cancel()
        try:
            self._camera.start()
            self._verifier.enroll(photo)
        except CameraError as e:
            logs.event(log, "face.camera_unavailable", error=e.message_id)
            on_verdict(FaceVerdict(False, "camera_unavailable"))
            return
        except CardPhotoError as e:
            logs.event(log, "face.card_photo_unusable", error=e.message_id)
            self._verifier.forget()
            on_verdict(FaceVerdict(False, "face_unavailable"))
            return
        with self._lock:
            self._on_verdict, self._on_guidance = on_verdict, on_guidance
            self._last_guidance = None
        self._camera.subscribe(self._frame)

    def retry(self, on_guidance: Guidance, on_verdict: Verdict) -> None:
        """The next attempt with the photo already enrolled (attempts are counted)."""
        with self._lock:
            self._on_verdict, self._on_guidance = on_verdict, on_guidance
            self._last_guidance = None
        self._verifier.retry()
        self._camera.subscribe(self._frame)

    def cancel(self) -> None:
        """End the check without a verdict and forget everything of the face."""
        self._camera.unsubscribe(self._frame)
        with self._lock:
            self._on_verdict = self._on_guidance = None
        self._verifier.forget()

    def close(self) -> None:
        self.cancel()
        self._verifier.close()

    def _frame(self, frame: Frame) -> None:
        self._verifier.submit(frame.rgb, frame.t)

    def _observed(self, obs: Observation) -> None:
        with self._lock:
            tell = self._on_guidance
            changed = obs.guidance != self._last_guidance
            self._last_guidance = obs.guidance
        if tell is not None and changed:
            tell(obs.guidance)

    def _decided(self, decision: Decision) -> None:
        self._camera.unsubscribe(self._frame)
        with self._lock:
            tell, self._on_verdict, self._on_guidance = self._on_verdict, None, None
        logs.event(
            log,
            "face.decided",
            match=decision.match,
            reason=decision.reason,
            frames_used=decision.frames_used,
            attempt=decision.attempt,
        )
        if tell is None:
            return  # cancelled meanwhile
        reason = "" if decision.match else "face_no_match"
        tell(FaceVerdict(decision.match, reason))
