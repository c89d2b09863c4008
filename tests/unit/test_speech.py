"""Voice guidance: real synthesis to WAV bytes, the worker, mute, and the digit guard."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import wave

import numpy as np
import pytest

from kiosk.devices.speech import (
    ESPEAK_VOICES,
    CallbackPlayer,
    CommandPlayer,
    Speaker,
    Synthesizer,
    contains_my_number_like,
    contains_pin_like,
    wav_duration_s,
)


def samples_of(wav: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(wav)) as w:
        assert w.getnchannels() == 1
        assert w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()


def assert_speech_like(wav: bytes) -> None:
    samples, rate = samples_of(wav)
    duration = len(samples) / rate
    assert 0.5 < duration < 15
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    assert rms > 300  # not silence
    # Speech has pauses and peaks: the loudest 10 ms window is far above the quietest.
    window = rate // 100
    energies = [
        float(np.abs(samples[i : i + window]).mean())
        for i in range(0, len(samples) - window, window)
    ]
    assert max(energies) > 10 * (min(energies) + 1)


@pytest.fixture(scope="module")
def synth() -> Synthesizer:
    return Synthesizer()


def test_japanese_phrase_becomes_audio(synth: Synthesizer) -> None:
    wav = synth.synthesize("マイナンバーカードを置いてください。", "ja")
    assert wav[:4] == b"RIFF"
    assert_speech_like(wav)


def test_english_phrase_becomes_audio(synth: Synthesizer) -> None:
    wav = synth.synthesize("Please place your card on the reader.", "en")
    assert wav[:4] == b"RIFF"
    assert_speech_like(wav)
    assert wav_duration_s(wav) > 1.0


@pytest.mark.parametrize("lang", sorted(set(ESPEAK_VOICES) - {"en"}))
def test_every_other_language_has_a_voice(synth: Synthesizer, lang: str) -> None:
    phrases = {
        "zh": "请把卡放在读卡器上。",
        "ko": "카드를 리더기에 올려 주세요.",
        "vi": "Vui lòng đặt thẻ lên đầu đọc.",
        "pt": "Coloque o cartão no leitor, por favor.",
    }
    assert_speech_like(synth.synthesize(phrases[lang], lang))


def test_importing_open_jtalk_keeps_stdout_and_stderr_clean() -> None:
    # `kiosk ... --json` prints exactly one object on stdout, and stderr carries JSON lines:
    # pyopenjtalk-plus's import notice becomes one log event instead of stray text.
    code = (
        "import logging, sys; logging.basicConfig(stream=sys.stderr, format='%(message)s',"
        " level=logging.INFO); from kiosk.devices.speech import Synthesizer;"
        " Synthesizer().synthesize('テスト', 'ja')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=True)
    assert done.stdout == b""
    assert b"Warning:" not in done.stderr and b"pip install" not in done.stderr


class CountingSynthesizer(Synthesizer):
    """The real synthesizer, counting how often it actually synthesized."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def synthesize(self, text: str, lang: str) -> bytes:
        self.calls += 1
        return super().synthesize(text, lang)


class RecordingPlayer:
    """Keeps what it was asked to play; can hold playback until stopped."""

    def __init__(self, hold: bool = False) -> None:
        self.played: list[bytes] = []
        self.stops = 0
        self.hold = hold
        self.playing = threading.Event()
        self._release = threading.Event()

    def play(self, wav: bytes) -> None:
        self.played.append(wav)
        self.playing.set()
        if self.hold:
            self._release.wait(timeout=30)
            self._release.clear()

    def stop(self) -> None:
        self.stops += 1
        self._release.set()


def test_say_plays_and_caches_in_memory() -> None:
    synth = CountingSynthesizer()
    player = RecordingPlayer()
    with Speaker(player, synth) as speaker:
        assert speaker.say("カードを置いてください。", "ja")
        assert speaker.wait_idle(60)
        assert speaker.say("カードを置いてください。", "ja")
        assert speaker.wait_idle(60)
    assert len(player.played) == 2
    assert player.played[0] == player.played[1]
    assert synth.calls == 1
    assert_speech_like(player.played[0])


def test_personal_text_is_not_cached_and_forget_clears() -> None:
    synth = CountingSynthesizer()
    player = RecordingPlayer()
    with Speaker(player, synth) as speaker:
        for _ in range(2):
            speaker.say("山田 花子 様、あなたですか？", "ja", personal=True)
            assert speaker.wait_idle(60)
        assert synth.calls == 2
        speaker.say("はい", "ja")
        assert speaker.wait_idle(60)
        speaker.forget()
        speaker.say("はい", "ja")
        assert speaker.wait_idle(60)
    assert synth.calls == 4
    assert len(player.played) == 4


def test_newest_say_interrupts_the_current_one() -> None:
    player = RecordingPlayer(hold=True)
    with Speaker(player, CountingSynthesizer()) as speaker:
        speaker.say("一つ目の案内です。", "ja")
        assert player.playing.wait(60)
        player.playing.clear()
        player.hold = False
        speaker.say("Second message.", "en")
        assert speaker.wait_idle(60)
    assert player.stops >= 1
    assert len(player.played) == 2
    assert player.played[0] != player.played[1]


def test_mute_stops_and_refuses() -> None:
    player = RecordingPlayer(hold=True)
    with Speaker(player, CountingSynthesizer()) as speaker:
        speaker.say("ご案内します。", "ja")
        assert player.playing.wait(60)
        speaker.muted = True
        assert speaker.wait_idle(60)
        assert player.stops >= 1
        assert speaker.say("ご案内します。", "ja") is False
        assert speaker.wait_idle(60)
        assert speaker.muted
    assert len(player.played) == 1


def test_muted_from_the_start_plays_nothing() -> None:
    player = RecordingPlayer()
    with Speaker(player, CountingSynthesizer(), muted=True) as speaker:
        assert speaker.say("ようこそ", "ja") is False
        assert speaker.wait_idle(10)
    assert player.played == []


@pytest.mark.parametrize(
    "text",
    [
        "暗証番号は1234です",
        "暗証番号は１２３４です",
        "1 2 3 4",
        "一二三四",
        "12-34",
        "55021720352285",
    ],
)
def test_secret_context_refuses_pin_like_text(text: str) -> None:
    player = RecordingPlayer()
    with Speaker(player, CountingSynthesizer()) as speaker, speaker.secret():
        assert speaker.secret_context
        assert speaker.say(text, "ja") is False
        assert speaker.wait_idle(10)
    assert player.played == []


def test_secret_context_allows_guidance_and_ends() -> None:
    player = RecordingPlayer()
    with Speaker(player, CountingSynthesizer()) as speaker:
        with speaker.secret():
            assert speaker.say("4けたの暗証番号を入力してください。", "ja")
            assert speaker.wait_idle(60)
        assert not speaker.secret_context
        assert speaker.say("有効期限は2035年です。", "ja")
        assert speaker.wait_idle(60)
    assert len(player.played) == 2


def test_twelve_digits_are_refused_everywhere() -> None:
    player = RecordingPlayer()
    with Speaker(player, CountingSynthesizer()) as speaker:
        assert speaker.say("番号 1234 5678 9012", "ja") is False
        assert speaker.say("number 123456789012", "en") is False
        assert speaker.wait_idle(10)
    assert player.played == []


def test_digit_detectors() -> None:
    assert contains_pin_like("０９８７")
    assert not contains_pin_like("3回まで")
    assert not contains_pin_like("123")
    assert contains_my_number_like("1234-5678-9012")
    assert not contains_my_number_like("2035年2月17日")


def test_unknown_language_is_a_caller_error() -> None:
    with Speaker(RecordingPlayer(), CountingSynthesizer()) as speaker, pytest.raises(ValueError):
        speaker.say("Bonjour", "fr")


def test_closed_speaker_says_nothing() -> None:
    speaker = Speaker(RecordingPlayer(), CountingSynthesizer())
    speaker.close()
    assert speaker.say("ようこそ", "ja") is False


def test_callback_player_hands_over_bytes() -> None:
    received: list[bytes] = []
    stopped: list[bool] = []
    player = CallbackPlayer(received.append, lambda: stopped.append(True))
    with Speaker(player, CountingSynthesizer()) as speaker:
        speaker.say("Welcome.", "en")
        assert speaker.wait_idle(60)
    assert len(received) == 1
    assert received[0][:4] == b"RIFF"
    assert stopped  # close() stops the player


def test_command_player_stop_ends_playback() -> None:
    # `sleep` stands in for a sound device that would play for a long time.
    player = CommandPlayer(["sleep", "60"])
    worker = threading.Thread(target=player.play, args=(b"RIFF",))
    worker.start()
    while worker.is_alive() and not player.is_playing:
        threading.Event().wait(0.01)
    assert player.is_playing
    player.stop()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert not player.is_playing
