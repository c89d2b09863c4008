"""FaceMatcher in a child process, so the preview keeps its frame rate while matching runs.

dlib keeps Python's GIL while it detects and encodes (tens to hundreds of milliseconds a
frame), so a matcher on a thread of the GUI's process starves the camera and preview threads
(bench/face.py measured the preview falling to about half its rate). In a child process the
GUI's process only waits on a pipe, which releases the GIL. Frames, the card photo and
encodings travel through the pipe in memory only; the child writes nothing and is stopped
(its memory returned to the system) by `close()`.

`MatcherProcess` offers the same methods as FaceMatcher, so FaceVerifier takes either.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection
import threading
from typing import TYPE_CHECKING, Any

from kiosk.devices.face.matcher import MatchSettings
from kiosk.errors import KnownError

if TYPE_CHECKING:
    from kiosk.devices.face.matcher import Decision, Observation
    from kiosk.devices.face.models import Image

UNAVAILABLE = "face.error.unavailable"


class MatcherProcess:
    """A FaceMatcher living in a spawned child process. Not for concurrent use by several
    threads (FaceVerifier calls it from its one worker; a lock guards the pipe anyway).

    With `start=False` the child (and its dlib models, a second or more of CPU) starts at
    `start()` or at the first call: the kiosk starts it once its first screen is up."""

    def __init__(
        self, settings: MatchSettings | None = None, timeout_s: float = 60.0, start: bool = True
    ) -> None:
        self.settings = settings or MatchSettings()
        self._timeout = timeout_s
        ctx = mp.get_context("spawn")  # never fork a process that runs Qt and threads
        self._conn, self._child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve, args=(self._child, self.settings), name="face-matcher", daemon=True
        )
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._enrolled = False
        self.attempts = 0
        if start:
            self.start()

    def start(self) -> None:
        """Start the child if it has not started (nothing after `close()`)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._proc.start()
            self._child.close()
            self._started = True

    @property
    def started(self) -> bool:
        return self._started

    @property
    def enrolled(self) -> bool:
        return self._enrolled

    def enroll(self, photo: bytes) -> None:
        self._call("enroll", photo)
        self._enrolled = True
        self.attempts = 0

    def observe(self, rgb: Image, t: float | None = None) -> Observation:
        obs: Observation = self._call("observe", rgb, t)
        if obs.decision is not None:
            self.attempts = obs.decision.attempt
        return obs

    def finish(self, now: float | None = None) -> Decision:
        decision: Decision = self._call("finish")
        self.attempts = decision.attempt
        return decision

    def new_attempt(self) -> None:
        self._call("new_attempt")

    def forget(self) -> None:
        self._enrolled = False
        self.attempts = 0
        if self._started and self._proc.is_alive():
            self._call("forget")

    def close(self) -> None:
        """Forget, then stop the child process (if it ever started)."""
        with self._lock:
            self._closed = True
            started = self._started
        if not started:
            self._child.close()
            self._conn.close()
            return
        try:
            if self._proc.is_alive():
                self._call("close")
        except KnownError:
            pass
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=5)
        self._conn.close()

    def _call(self, method: str, *args: Any) -> Any:
        if not self._started:
            if self._closed:
                raise KnownError(UNAVAILABLE, f"face matcher closed before {method}")
            self.start()
        with self._lock:
            try:
                self._conn.send((method, args))
                if not self._conn.poll(self._timeout):
                    raise KnownError(UNAVAILABLE, f"face matcher did not answer {method}")
                status, value = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError) as e:
                raise KnownError(UNAVAILABLE, f"face matcher process ended: {e}") from None
        if status == "ok":
            return value
        if status == "known":
            cls, message_id, detail = value
            raise cls(message_id, detail)
        raise KnownError(UNAVAILABLE, f"face matcher failed in {method}: {value}")


def _serve(conn: multiprocessing.connection.Connection, settings: MatchSettings) -> None:
    """The child: one FaceMatcher, answering calls until "close" or the pipe closes."""
    from kiosk.devices.face.matcher import FaceMatcher

    matcher = FaceMatcher(settings)
    try:
        while True:
            try:
                method, args = conn.recv()
            except EOFError:
                return
            if method == "close":
                matcher.forget()
                conn.send(("ok", None))
                return
            try:
                conn.send(("ok", getattr(matcher, method)(*args)))
            except KnownError as e:
                conn.send(("known", (type(e), e.message_id, e.detail)))
            except Exception as e:  # reported to the parent, which raises a KnownError
                conn.send(("bug", f"{type(e).__name__}: {e}"))
            finally:
                args = None
    finally:
        matcher.forget()
        conn.close()
