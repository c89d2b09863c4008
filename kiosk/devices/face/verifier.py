"""FaceMatcher on its own worker thread, so the preview never waits for recognition.

The camera (or the UI's preview timer) calls `submit(frame)` for every frame; it returns at
once. The worker takes the newest frame whenever it is free and drops the ones it had no time
for, so a slow machine decides later but the preview keeps its frame rate. Observations and
decisions arrive through callbacks on the worker thread (bridge them to Qt signals in the UI)
and decisions also through `decisions`, a queue.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from kiosk.devices.face.matcher import Decision, MatchSettings, Observation
from kiosk.devices.face.models import Image
from kiosk.errors import KnownError

log = logging.getLogger("kiosk.face")


class Matcher(Protocol):
    """What FaceVerifier needs: a FaceMatcher, or a MatcherProcess (the same in a child
    process, which keeps dlib from holding the GIL of the GUI's process)."""

    @property
    def enrolled(self) -> bool: ...

    def enroll(self, photo: bytes) -> None: ...

    def observe(self, rgb: Image, t: float | None = None) -> Observation: ...

    def new_attempt(self) -> None: ...

    def forget(self) -> None: ...

    def close(self) -> None: ...


class FaceVerifier:
    """Thread-safe face verification for one resident at a time.

    `enroll(photo)` (blocking, ~0.1 s after the models are loaded), then `submit()` frames.
    After a decision the verifier waits: `retry()` starts the next attempt. `forget()` drops
    the card photo's encoding and every frame; `close()` also stops the worker.
    """

    def __init__(
        self,
        matcher: Matcher,
        on_observation: Callable[[Observation], None] | None = None,
        on_decision: Callable[[Decision], None] | None = None,
        on_error: Callable[[KnownError], None] | None = None,
    ) -> None:
        self._matcher = matcher
        self._on_observation = on_observation
        self._on_decision = on_decision
        self._on_error = on_error
        self.error: KnownError | None = None  # set when matching cannot go on (UI: PIN/staff)
        self._owns_matcher = False  # a matcher passed in is the caller's to close
        self.decisions: queue.Queue[Decision] = queue.Queue()
        self._cv = threading.Condition()  # guards the pending frame and the flags only
        self._matcher_lock = threading.Lock()  # held while a frame is matched
        self._pending: tuple[Image, float] | None = None
        self._paused = False  # after a decision, until retry()
        self._closed = False
        self.frames_submitted = 0
        self.frames_processed = 0
        self._thread = threading.Thread(target=self._run, name="face-verifier", daemon=True)
        self._thread.start()

    @classmethod
    def in_child_process(
        cls,
        settings: MatchSettings,
        on_observation: Callable[[Observation], None] | None = None,
        on_decision: Callable[[Decision], None] | None = None,
        on_error: Callable[[KnownError], None] | None = None,
    ) -> FaceVerifier:
        """The verifier the kiosk uses: matching in a child process (see process.py), so the
        preview keeps >= 25 fps. Start it when the face step opens (the child needs a second
        or two to load the models); close() it when the step ends."""
        from kiosk.devices.face.process import MatcherProcess

        verifier = cls(MatcherProcess(settings), on_observation, on_decision, on_error)
        verifier._owns_matcher = True
        return verifier

    def enroll(self, photo: bytes) -> None:
        """Take the card photo; raises CardPhotoError if it has no usable face."""
        with self._matcher_lock:
            self._matcher.enroll(photo)
        with self._cv:
            self._pending = None
            self._paused = False

    def submit(self, frame: Image, t: float | None = None) -> bool:
        """Offer a frame (contiguous RGB uint8); never blocks. False if it will not be used."""
        with self._cv:
            if self._closed or self._paused or not self._matcher.enrolled:
                return False
            self.frames_submitted += 1
            # A copy, since the camera may reuse its buffer; the older pending frame is dropped.
            self._pending = (frame.copy(), time.monotonic() if t is None else t)
            self._cv.notify()
            return True

    def retry(self) -> None:
        """Start the next attempt after a failed decision (the count of attempts is kept)."""
        with self._matcher_lock:
            self._matcher.new_attempt()
        with self._cv:
            self._pending = None
            self._paused = False

    def forget(self) -> None:
        """Drop the card encoding, the pending frame and the attempt; enroll again to reuse."""
        with self._cv:
            self._pending = None
            self._paused = False
        with self._matcher_lock:
            self._matcher.forget()
            while not self.decisions.empty():
                self.decisions.get_nowait()

    def close(self) -> None:
        """Stop the worker and forget everything; a matcher this verifier made itself
        (`in_child_process`) is closed too, which ends its process."""
        with self._cv:
            self._closed = True
            self._cv.notify()
        self._thread.join(timeout=5)
        self.forget()
        if self._owns_matcher:
            with self._matcher_lock:
                self._matcher.close()

    def _fail(self, error: KnownError) -> None:
        log.warning("face.matcher_failed", extra={"message_id": error.message_id})
        with self._cv:
            self.error = error
            self._paused = True
        if self._on_error is not None:
            self._on_error(error)

    def __enter__(self) -> FaceVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._pending is None and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                assert self._pending is not None
                frame, t = self._pending
                self._pending = None
                if self._paused:  # submitted before the decision that paused us
                    continue
            with self._matcher_lock:  # submit() stays free while this frame is matched
                if not self._matcher.enrolled:
                    continue
                try:
                    obs = self._matcher.observe(frame, t)
                except KnownError as e:
                    self._fail(e)
                    continue
                except Exception:
                    log.exception("face.observe_failed")
                    continue
                finally:
                    del frame
            with self._cv:
                self.frames_processed += 1
                if obs.decision is not None:
                    self._paused = True
            if self._on_observation is not None:
                self._on_observation(obs)
            if obs.decision is not None:
                self.decisions.put(obs.decision)
                if self._on_decision is not None:
                    self._on_decision(obs.decision)
