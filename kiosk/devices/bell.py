"""The staff bell: a soft two-tone chime, made in memory (no sound file to ship or lose)."""

from __future__ import annotations

import io
import math
import struct
import wave

from kiosk.devices.speech import AudioPlayer, default_player

RATE = 22050


def chime(tones: tuple[float, ...] = (784.0, 659.3), tone_s: float = 0.45) -> bytes:
    """16-bit mono WAV bytes: each tone with a gentle attack and a long decay."""
    frames = bytearray()
    n = int(RATE * tone_s)
    for freq in tones:
        for i in range(n):
            envelope = min(1.0, i / (RATE * 0.01)) * math.exp(-4.0 * i / n)
            sample = 0.5 * envelope * math.sin(2 * math.pi * freq * i / RATE)
            frames += struct.pack("<h", int(sample * 32767))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return buf.getvalue()


class Bell:
    """Rings the chime on a player (aplay/paplay when present, silent otherwise)."""

    def __init__(self, player: AudioPlayer | None = None) -> None:
        self._player = player if player is not None else default_player()
        self._sound: bytes | None = None  # made at the first ring: 0.1 s off the start-up

    def ring(self) -> None:
        if self._sound is None:
            self._sound = chime()
        self._player.play(self._sound)
