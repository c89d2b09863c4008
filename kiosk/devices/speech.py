"""Voice guidance: Japanese through Open JTalk (pyopenjtalk), other languages through espeak-ng.

A `Speaker` takes already-translated message text and speaks it on its own worker thread, so
`say()` returns at once. Callers may rely on:
- the newest `say()` interrupts what is playing (guidance follows the screen);
- `muted` stops playback and drops further requests until unmuted;
- while `secret_context` is on (PIN and 照合番号B pages), any text with a run of 4 or more
  digits is refused; a 12-digit run (a My Number) is refused always. There is no method that
  speaks keypad digits: PIN pages have nothing to pass;
- audio is cached in memory only (never on disk), except for text marked `personal`, which is
  not cached at all; `forget()` empties the cache at the end of a session;
- log records carry event names only, never the text spoken.
"""

from __future__ import annotations

import contextlib
import io
import logging
import queue
import re
import shutil
import subprocess
import threading
import unicodedata
import wave
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kiosk.errors import KnownError
from kiosk.logs import event

__all__ = [
    "ESPEAK_VOICES",
    "AudioPlayer",
    "CallbackPlayer",
    "CommandPlayer",
    "SilentPlayer",
    "Speaker",
    "Synthesizer",
    "contains_my_number_like",
    "contains_pin_like",
    "default_player",
    "wav_duration_s",
]

log = logging.getLogger("kiosk.devices.speech")

# Kiosk language → espeak-ng voice. pt-br: most Portuguese speakers in Japan are Brazilian.
ESPEAK_VOICES: dict[str, str] = {
    "en": "en-us",
    "zh": "cmn",
    "ko": "ko",
    "vi": "vi",
    "pt": "pt-br",
}
JAPANESE = frozenset({"ja", "ja-easy"})

_DIGIT = "0-9〇零一二三四五六七八九"
_SEP = r"[\s\-‐－・,.、]?"
_PIN_LIKE = re.compile(rf"[{_DIGIT}](?:{_SEP}[{_DIGIT}]){{3,}}")
_MY_NUMBER_LIKE = re.compile(rf"[0-9](?:{_SEP}[0-9]){{11,}}")


def contains_pin_like(text: str) -> bool:
    """True if `text` holds a run of 4+ digits (ASCII, full-width or kanji, spaced or not)."""
    return _PIN_LIKE.search(unicodedata.normalize("NFKC", text)) is not None


def contains_my_number_like(text: str) -> bool:
    """True if `text` holds a run of 12+ digits, grouped or not."""
    return _MY_NUMBER_LIKE.search(unicodedata.normalize("NFKC", text)) is not None


def wav_duration_s(wav: bytes) -> float:
    """Length in seconds of a WAV file held in memory."""
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / w.getframerate()


class Synthesizer:
    """Text → WAV bytes. Japanese with pyopenjtalk, the other languages with espeak-ng."""

    def __init__(self, rate: float = 0.9, espeak_binary: str = "espeak-ng") -> None:
        """`rate` 1.0 is normal speed; the default is a little slower for older residents."""
        self._rate = rate
        self._espeak = espeak_binary
        self._jtalk_lock = threading.Lock()

    def synthesize(self, text: str, lang: str) -> bytes:
        """A mono 16-bit WAV of `text`. Raises KnownError if the engine is missing or fails."""
        if lang in JAPANESE:
            return self._japanese(text)
        voice = ESPEAK_VOICES.get(lang)
        if voice is None:
            raise ValueError(f"no voice for language {lang!r}")
        return self._espeak_ng(text, voice)

    def _japanese(self, text: str) -> bytes:
        notice = io.StringIO()
        try:
            # pyopenjtalk-plus prints a notice at import (no ONNX Runtime: the reading of 何 is
            # not guessed). stdout may carry --json and stderr carries JSON lines: it goes into
            # the log as one event instead.
            with contextlib.redirect_stdout(notice):
                import pyopenjtalk
        except ImportError as exc:
            raise KnownError("speech.unavailable", "pyopenjtalk is not installed") from exc
        if notice.getvalue().strip():
            event(log, "speech.jtalk_notice", notice=" ".join(notice.getvalue().split())[:300])
        # Open JTalk is not thread-safe; one synthesis at a time.
        with self._jtalk_lock:
            samples, rate = pyopenjtalk.tts(text, speed=self._rate)
        pcm = np.clip(np.asarray(samples), -32768, 32767).astype("<i2")
        return _wav(pcm.tobytes(), int(rate))

    def _espeak_ng(self, text: str, voice: str) -> bytes:
        binary = shutil.which(self._espeak)
        if binary is None:
            raise KnownError("speech.unavailable", f"{self._espeak} not found on PATH")
        words_per_minute = str(round(175 * self._rate))
        # Text on stdin, not argv: the process list should not show what the kiosk says.
        done = subprocess.run(
            [binary, "--stdout", "-b", "1", "-v", voice, "-s", words_per_minute],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
            raise KnownError("speech.failed", f"espeak-ng exited with {done.returncode}")
        return _fix_wav_sizes(done.stdout)


def _wav(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def _fix_wav_sizes(data: bytes) -> bytes:
    """espeak-ng writing to a pipe leaves the RIFF sizes unset; rewrite a well-formed WAV."""
    channels = int.from_bytes(data[22:24], "little")
    rate = int.from_bytes(data[24:28], "little")
    width = int.from_bytes(data[34:36], "little") // 8
    marker = data.find(b"data", 36)
    if marker < 0 or channels != 1 or width != 2:
        raise KnownError("speech.failed", "unexpected espeak-ng output format")
    pcm = data[marker + 8 :]
    return _wav(pcm[: len(pcm) - len(pcm) % 2], rate)


class AudioPlayer(Protocol):
    """Plays WAV bytes. `play` blocks until done or `stop` is called from another thread."""

    def play(self, wav: bytes) -> None: ...

    def stop(self) -> None: ...


class CommandPlayer:
    """Plays through a command that reads a WAV on stdin (`aplay -q -`, `paplay`)."""

    def __init__(self, command: list[str]) -> None:
        self._command = command
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def play(self, wav: bytes) -> None:
        with self._lock:
            self._process = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            process = self._process
        try:
            assert process.stdin is not None
            # A player that quits early (a bell cancelled mid-chime) breaks the pipe: the
            # pipe is closed either way, or its file is left open.
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write(wav)
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
            process.wait()
        finally:
            with self._lock:
                self._process = None

    @property
    def is_playing(self) -> bool:
        """True while the play command runs."""
        with self._lock:
            return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()


class CallbackPlayer:
    """Hands WAV bytes to the caller (e.g. the UI plays them with Qt); `on_stop` stops it."""

    def __init__(
        self, on_play: Callable[[bytes], None], on_stop: Callable[[], None] | None = None
    ) -> None:
        self._on_play = on_play
        self._on_stop = on_stop

    def play(self, wav: bytes) -> None:
        self._on_play(wav)

    def stop(self) -> None:
        if self._on_stop is not None:
            self._on_stop()


class SilentPlayer:
    """No sound device: plays nothing (the kiosk still shows every message on screen)."""

    def play(self, wav: bytes) -> None:
        return None

    def stop(self) -> None:
        return None


def default_player() -> AudioPlayer:
    """`aplay` if installed, else `paplay`, else a silent player."""
    if shutil.which("aplay"):
        return CommandPlayer(["aplay", "-q", "-"])
    if shutil.which("paplay"):
        return CommandPlayer(["paplay"])
    return SilentPlayer()


@dataclass(frozen=True)
class _Request:
    generation: int
    text: str
    lang: str
    personal: bool


class Speaker:
    """Speaks guidance on a worker thread. Thread-safe; call `close()` when done.

    `synthesizer` is anything with `synthesize(text, lang) -> bytes` (a `Synthesizer` by
    default); `player` an `AudioPlayer` (`default_player()` by default).
    """

    CACHE_ENTRIES = 64

    def __init__(
        self,
        player: AudioPlayer | None = None,
        synthesizer: Synthesizer | None = None,
        *,
        muted: bool = False,
    ) -> None:
        self._player: AudioPlayer = player if player is not None else default_player()
        self._synth = synthesizer if synthesizer is not None else Synthesizer()
        self._muted = muted
        self._secret = False
        self._lock = threading.Lock()
        self._generation = 0
        self._cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, name="kiosk-speech", daemon=True)
        self._thread.start()

    # --- what the UI calls -------------------------------------------------------------

    def say(self, text: str, lang: str, *, personal: bool = False) -> bool:
        """Speak translated message `text` in `lang`; stops what is playing. Returns at once.

        Returns False (and speaks nothing) when muted, when `text` is refused by the digit
        guard, or when the speaker is closed. Mark read-back text (name, birth date) as
        `personal` so its audio is not cached.
        """
        if lang not in JAPANESE and lang not in ESPEAK_VOICES:
            raise ValueError(f"no voice for language {lang!r}")
        if contains_my_number_like(text):
            event(log, "speech.refused", level=logging.WARNING, reason="twelve_digits")
            return False
        with self._lock:
            if self._secret and contains_pin_like(text):
                event(log, "speech.refused", level=logging.WARNING, reason="secret_context")
                return False
            if self._muted or not self._thread.is_alive():
                return False
            self._generation += 1
            request = _Request(self._generation, text, lang, personal)
            self._pending += 1
        self._player.stop()
        self._queue.put(request)
        return True

    def stop(self) -> None:
        """Stop what is playing and drop anything queued."""
        with self._lock:
            self._generation += 1
        self._player.stop()

    @property
    def muted(self) -> bool:
        """When True nothing is spoken (staff mute); setting it stops current speech."""
        return self._muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self._muted = value
        if value:
            self.stop()

    @property
    def secret_context(self) -> bool:
        """On while a PIN or 照合番号B page is shown: texts with 4+ digits are refused."""
        return self._secret

    @secret_context.setter
    def secret_context(self, value: bool) -> None:
        with self._lock:
            self._secret = value

    @contextlib.contextmanager
    def secret(self) -> Iterator[None]:
        """`with speaker.secret():` turns `secret_context` on for the block."""
        previous = self.secret_context
        self.secret_context = True
        try:
            yield
        finally:
            self.secret_context = previous

    def forget(self) -> None:
        """Drop all cached audio (call when a session ends)."""
        with self._lock:
            self._cache.clear()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or playing; True if idle before `timeout`."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        """Stop speaking and end the worker thread; later `say()` calls return False."""
        self.stop()
        self._queue.put(None)
        self._thread.join(timeout=10)
        self.forget()

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- worker ------------------------------------------------------------------------

    def audio_for(self, text: str, lang: str, *, personal: bool = False) -> bytes:
        """WAV bytes for `text` (from the memory cache when possible). Blocking."""
        key = (lang, text)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        audio = self._synth.synthesize(text, lang)
        if not personal:
            with self._lock:
                self._cache[key] = audio
                while len(self._cache) > self.CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return audio

    def _current(self, request: _Request) -> bool:
        with self._lock:
            return request.generation == self._generation and not self._muted

    def _run(self) -> None:
        while True:
            request = self._queue.get()
            if request is None:
                return
            try:
                if self._current(request):
                    audio = self.audio_for(request.text, request.lang, personal=request.personal)
                    if self._current(request):
                        self._player.play(audio)
            except KnownError as exc:
                event(log, "speech.failed", level=logging.WARNING, message_id=exc.message_id)
            except Exception:
                # Speech is an aid: a fault must not take the session down with it.
                log.exception("speech.bug")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()
